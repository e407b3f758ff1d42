"""The comparison engine on constructed documents and products with known answers, and on real sample manifests."""

from __future__ import annotations

from pathlib import Path

import pytest

from rs.campaigns.comparison.costs import TaskCost, distribution, side_by_side
from rs.campaigns.comparison.metadata import Tolerances, documents_compare, flatten, values_equivalent
from rs.campaigns.comparison.outputs import OutputFacts, ProductStatus, Verdict, outputs_compare
from rs.campaigns.errors import InvalidDocument

SAMPLES = Path(__file__).resolve().parents[3].parent / "shared" / "samples"

MTD = b"""<?xml version="1.0"?>
<n1:Level-1C_User_Product xmlns:n1="https://psd-14.sentinel2.eo.esa.int/PSD/User_Product_Level-1C.xsd">
  <General_Info>
    <Product_Info>
      <PRODUCT_START_TIME>2024-06-10T10:00:01.024Z</PRODUCT_START_TIME>
      <GENERATION_TIME>2024-06-10T12:31:07.000000Z</GENERATION_TIME>
      <PROCESSING_BASELINE>05.10</PROCESSING_BASELINE>
    </Product_Info>
  </General_Info>
  <Quality_Indicators_Info>
    <Cloud_Coverage_Assessment>{cloud}</Cloud_Coverage_Assessment>
    <Footprint>{footprint}</Footprint>
    <Band id="1">B01</Band><Band id="2">B02</Band>
  </Quality_Indicators_Info>
</n1:Level-1C_User_Product>"""


def mtd(*, cloud: str = "12.5", footprint: str = "10.0 50.0 11.0 50.0 11.0 51.0", generation: str = "") -> bytes:
    document = MTD.replace(b"{cloud}", cloud.encode()).replace(b"{footprint}", footprint.encode())
    if generation:
        document = document.replace(b"2024-06-10T12:31:07.000000Z", generation.encode())
    return document


def test_a_document_flattens_to_paths_with_positions_only_where_siblings_repeat():
    assert flatten(b"<a xmlns='urn:x'><b x='1'>2</b><b>3</b><c/></a>") == {
        "a/b[1]/@x": "1", "a/b[1]": "2", "a/b[2]": "3", "a/c": ""}


def test_identical_documents_have_no_difference():
    result = documents_compare(mtd(), mtd(), Tolerances())
    assert (result.equivalent, result.compared, result.tolerated) == (True, 9, 0)


def test_a_changed_field_is_reported_with_its_path_and_both_values():
    result = documents_compare(mtd(cloud="12.5"), mtd(cloud="14.0"), Tolerances(number_abs=1.0))
    assert [(d.path, d.kind, d.expected, d.actual) for d in result.differences] == [
        ("Level-1C_User_Product/Quality_Indicators_Info/Cloud_Coverage_Assessment", "changed", "12.5", "14.0")]


def test_numbers_and_coordinate_lists_within_tolerance_are_tolerated_not_reported():
    result = documents_compare(mtd(cloud="12.5", footprint="10.0 50.0 11.0 50.0 11.0 51.0"),
                               mtd(cloud="12.5000001", footprint="10.00001,50.0 11.0 50.0 11.0 51.0"),
                               Tolerances(number_abs=1e-4))
    assert (result.equivalent, result.tolerated) == (True, 2)
    # a list of another length is a difference whatever the tolerance
    shorter = documents_compare(mtd(), mtd(footprint="10.0 50.0 11.0 50.0"), Tolerances(number_abs=100))
    assert [d.path for d in shorter.differences] == ["Level-1C_User_Product/Quality_Indicators_Info/Footprint"]


def test_times_are_compared_with_the_time_tolerance_whatever_their_spelling():
    assert values_equivalent("2024-06-10T10:00:01.024Z", "UTC=2024-06-10T10:00:01.524000", Tolerances(time_s=0.5))
    assert not values_equivalent("2024-06-10T10:00:01.024Z", "2024-06-10T10:00:01.525Z", Tolerances(time_s=0.5))
    assert values_equivalent("2024-06-10T10:00:01.0241234Z", "2024-06-10 10:00:01.024123", Tolerances())
    assert not values_equivalent("2024-06-10", "2024-06-11", Tolerances(time_s=10**6))  # dates alone are text


def test_ignored_paths_and_fields_on_one_side_only():
    tolerances = Tolerances(ignore=("*/GENERATION_TIME",))
    result = documents_compare(mtd(generation="2025-01-01T00:00:00Z"), mtd(), tolerances)
    assert result.equivalent and result.compared == 8
    extra = documents_compare(b"<a><b>1</b></a>", b"<a><b>1</b><c>2</c></a>", Tolerances())
    missing = documents_compare(b"<a><b>1</b><c>2</c></a>", b"<a><b>1</b></a>", Tolerances())
    assert [(d.path, d.kind) for d in extra.differences] == [("a/c", "extra")]
    assert [(d.path, d.kind) for d in missing.differences] == [("a/c", "missing")]


@pytest.mark.parametrize(("content", "message"), [
    (b"<a><b></a>", "not well-formed XML"),
    (b'<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>', "declares a DTD or entities"),
])
def test_untrusted_documents_are_refused_with_the_reason(content, message):
    with pytest.raises(InvalidDocument, match=message):
        flatten(content)


def facts(product_type: str, name: str, *, size: int = 100, md5: str = "", document: bytes | None = None
          ) -> OutputFacts:
    return OutputFacts(product_type=product_type, name=name, size=size, md5=md5,
                       documents={"MTD_MSIL1C.xml": document} if document is not None else {})


def test_outputs_are_paired_per_type_and_missing_extra_identical_equivalent_different_are_told_apart():
    expected = [
        facts("S2MSI1C", "S2A_MSIL1C_20240610T100001_N0510_R022_T32TQM_20240610T123107.SAFE", md5="a", document=mtd()),
        facts("S2MSI1C", "S2A_MSIL1C_20240610T100001_N0510_R022_T32TQN_20240610T123107.SAFE", md5="b", document=mtd()),
        facts("S2MSI1C", "S2A_MSIL1C_20240610T100001_N0510_R022_T32TQP_20240610T123107.SAFE", md5="c", document=mtd()),
        facts("AUX_ECMWFT", "S2__OPER_AUX_ECMWFT_ONE", md5="d"),
    ]
    actual = [
        facts("S2MSI1C", "S2A_MSIL1C_20240610T100001_N0510_R022_T32TQM_20241001T080000.SAFE", md5="a", document=mtd()),
        facts("S2MSI1C", "S2A_MSIL1C_20240610T100001_N0510_R022_T32TQN_20241001T080000.SAFE", md5="x",
              document=mtd(generation="2024-10-01T08:00:00Z")),
        facts("S2MSI1C", "S2A_MSIL1C_20240610T100001_N0510_R022_T32TQP_20241001T080000.SAFE", md5="y",
              document=mtd(cloud="40.0")),
        facts("S2MSI2A", "S2A_MSIL2A_20240610T100001_N0510_R022_T32TQM_20241001T080000.SAFE", md5="z"),
    ]
    result = outputs_compare(expected=expected, actual=actual, tolerances=Tolerances(ignore=("*/GENERATION_TIME",)))
    assert [(p.product_type, p.status) for p in result.products] == [
        ("AUX_ECMWFT", ProductStatus.MISSING),
        ("S2MSI1C", ProductStatus.IDENTICAL),
        ("S2MSI1C", ProductStatus.EQUIVALENT),
        ("S2MSI1C", ProductStatus.DIFFERENT),
        ("S2MSI2A", ProductStatus.EXTRA),
    ]
    assert result.verdict == Verdict.FAILED
    assert result.by_type()["S2MSI1C"] == {"identical": 1, "equivalent": 1, "different": 1, "missing": 0, "extra": 0}
    different = result.products[3].as_dict()
    assert different["documents"]["MTD_MSIL1C.xml"]["differences"] == [{
        "path": "Level-1C_User_Product/Quality_Indicators_Info/Cloud_Coverage_Assessment", "kind": "changed",
        "expected": "12.5", "actual": "40.0"}]


def test_a_product_without_metadata_is_judged_by_size_and_checksum():
    tolerances = Tolerances()
    same = outputs_compare(expected=[facts("T", "P", md5="a")], actual=[facts("T", "P", md5="a")],
                           tolerances=tolerances)
    resized = outputs_compare(expected=[facts("T", "P", md5="a")], actual=[facts("T", "P", size=90, md5="b")],
                              tolerances=tolerances)
    rewritten = outputs_compare(expected=[facts("T", "P", md5="a")], actual=[facts("T", "P", md5="b")],
                                tolerances=tolerances)
    assert (same.verdict, resized.verdict, rewritten.verdict) == (Verdict.PASSED, Verdict.FAILED, Verdict.FAILED)
    assert resized.products[0].problems == ["size 90 instead of 100, and no metadata to compare"]
    assert rewritten.products[0].problems == ["content differs (MD5), and no metadata to compare"]


def test_an_unreadable_produced_document_makes_the_product_different_with_the_reason():
    result = outputs_compare(expected=[facts("T", "P", md5="a", document=mtd())],
                             actual=[facts("T", "P", md5="b", document=b"<broken")], tolerances=Tolerances())
    assert result.products[0].status == ProductStatus.DIFFERENT
    assert result.products[0].problems[0].startswith("MTD_MSIL1C.xml: not well-formed XML")


def test_nothing_expected_and_nothing_produced_passes():
    assert outputs_compare(expected=[], actual=[], tolerances=Tolerances()).verdict == Verdict.PASSED


def test_a_real_manifest_compared_with_itself_shifted_in_time_is_equivalent_within_the_tolerance():
    manifests = sorted(SAMPLES.glob("*/*/manifest.safe")) if SAMPLES.exists() else []
    if not manifests:
        pytest.skip("the shared samples are not beside the repository")
    original = manifests[0].read_bytes()
    flat = flatten(original)
    time_path = next(path for path, value in flat.items() if value.startswith("20") and "T" in value[:11])
    value = flat[time_path]
    shifted_value = value[:17] + f"{(int(value[17:19]) + 1) % 60:02d}" + value[19:]
    shifted = original.replace(value.encode(), shifted_value.encode(), 1)
    assert documents_compare(original, shifted, Tolerances(time_s=1.0)).equivalent
    strict = documents_compare(original, shifted, Tolerances())
    assert [d.path for d in strict.differences] == [time_path]


def test_costs_give_the_distribution_over_repetitions_and_the_ratio_to_the_baseline():
    spread = distribution([3.0, 1.0, 2.0, 10.0])
    assert (spread.n, spread.minimum, spread.median, spread.mean, spread.p95, spread.maximum) == (
        4, 1.0, 2.5, 4.0, 10.0, 10.0)
    with pytest.raises(ValueError, match="at least one value"):
        distribution([])
    table = side_by_side({
        "A": [TaskCost("L1", wall_s=10, cpu_s=8, peak_memory_bytes=100), TaskCost("L1", 12, 9, 100)],
        "B": [TaskCost("L1", wall_s=15, cpu_s=12, peak_memory_bytes=150), TaskCost("L1", 18, 13, 150)],
    }, baseline="A")
    assert table["L1"]["wall_s"]["ratio"] == {"B": 1.5}
    assert table["L1"]["peak_memory_bytes"]["ratio"] == {"B": 1.5}
    assert table["L1"]["wall_s"]["A"] == {"n": 2, "minimum": 10.0, "median": 11.0, "mean": 11.0, "p95": 12.0,
                                          "maximum": 12.0, "stdev": pytest.approx(1.41421356)}
