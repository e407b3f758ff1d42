"""The simulated processors (processors/) run standalone on JobOrders written by rs.production.joborder with the demo
inputs: exit codes, IPF log lines, `.LIST`, outputs the ingestion identifies and extracts with footprints derived
from the inputs, and the injection knobs."""

from __future__ import annotations

import re
import resource
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.gis.geos import GEOSGeometry, MultiPolygon

from rs.ingestion.demo import DEMO_T0, demo_generate
from rs.production.tests.simulation import Run, catalogue_view, demo_table, interval_of, run_table

IPF_LOG_LINE = re.compile(  # ipf-interface.md §6.2
    r'^(?P<time>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?)\s+(?P<node>\S+)\s+(?P<processor>\S+)\s+'
    r'(?P<version>\S+)\s+\[(?P<pid>\d+)\]:\s+\[(?P<level>[DIPWE])\]\s?(?P<message>.*)$')
FAST = {"Sim_Duration_S": "0"}
S1_SESSION = "S1A_20261120102500061234"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return {w.name: w.path for w in demo_generate(tmp_path_factory.mktemp("demo"))}


def one(demo: dict[str, Path], fragment: str) -> Path:
    (found,) = [path for name, path in demo.items() if fragment in name]
    return found


def every(demo: dict[str, Path], fragment: str) -> list[Path]:
    return sorted(path for name, path in demo.items() if fragment in name)


def sensing(*paths: Path) -> tuple:
    intervals = [interval_of(p.name) for p in paths]
    return min(i[0] for i in intervals), max((i[1] or i[0]) for i in intervals)


def log_levels(run: Run) -> list[str]:
    lines = (run.stdout + run.stderr).splitlines()
    assert lines and all(IPF_LOG_LINE.match(line) for line in lines), [
        line for line in lines if not IPF_LOG_LINE.match(line)]
    return [IPF_LOG_LINE.match(line)["level"] for line in lines]  # type: ignore[index]


def footprint(path: Path) -> MultiPolygon:
    geometry = catalogue_view(path).metadata.footprint
    assert geometry is not None, path.name
    return geometry


def same_area(a: GEOSGeometry, b: GEOSGeometry) -> bool:
    """Equal up to the 4-decimal rounding of manifest coordinates (about 10 m)."""
    return a.sym_difference(b).area < 1e-3 * a.area


# --- Sentinel-1: session → AIOP → L0ASP → L1 → L2 OCN ------------------------------------------------------------

@pytest.fixture(scope="module")
def aiop(demo: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Run:
    session = every(demo, S1_SESSION)
    start = DEMO_T0 + timedelta(minutes=25)
    return run_table(demo_table("s1/AIO_PROCESSOR.xml"), tmp_path_factory.mktemp("aiop") / "4711_1",
                     inputs={"MPL_ORBPRE": [one(demo, "MPL_ORBPRE")]},
                     sensing=(start, start + timedelta(minutes=11, seconds=37)), parameters=FAST,
                     channels={c: [p for p in session if f"_ch{c}_" in p.name] for c in (1, 2)})


@pytest.fixture(scope="module")
def l0asp(aiop: Run, demo: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Run:
    segment = aiop.product(aiop.list_lines[0])
    meta = catalogue_view(segment).metadata
    return run_table(demo_table("s1/L0_ASSEMBLY_SLICING_PROC.xml"), tmp_path_factory.mktemp("asp") / "4712_1",
                     inputs={"Segments": [segment], "MPL_ORBPRE": [one(demo, "MPL_ORBPRE")]},
                     sensing=(meta.content_start, meta.content_end), parameters=FAST)


def test_aiop_turns_the_session_into_one_l0_segment_along_the_orbit(aiop: Run):
    assert aiop.codes == [0]
    assert (aiop.workdir / "AIOProc.LIST").is_file()
    (line,) = aiop.list_lines
    assert re.fullmatch(r"NRT/S1A_IW_RAW__0SDV_20261120T102500_20261120T102620_061234_06E4A5_[0-9A-F]{4}\.ISIP", line)
    seen = catalogue_view(aiop.product(line))
    assert (seen.identification.product_type, seen.metadata.family, seen.metadata.timeliness) == (
        "IW_RAW__0S", "L0_SEGMENT", "NRT")
    assert (seen.metadata.content_start, seen.metadata.content_end) == (
        DEMO_T0 + timedelta(minutes=25), DEMO_T0 + timedelta(minutes=26, seconds=20))
    # the swath of the reference orbit 37 min after its node: descending over the North Pacific, 250 km wide
    assert seen.metadata.footprint.centroid.coords == pytest.approx((-161.8, 42.4), abs=0.1)
    assert seen.metadata.attributes["orbitNumber"] == 61234
    assert "Channel 1: 2 of 2 chunks of session S1A_20261120102500061234" in aiop.stdout
    assert log_levels(aiop) == ["I", "P", "I", "I", "I", "I", "I", "I"]


def test_l0asp_slices_the_segment_and_writes_its_annotation_calibration_and_noise(aiop: Run, l0asp: Run):
    assert l0asp.codes == [0]
    assert [p.name for p in l0asp.workdir.glob("*.LIST")] == ["L0ASProcList.LIST"]
    views = {line: catalogue_view(l0asp.product(line)) for line in l0asp.list_lines}
    kinds = [(v.identification.product_type, v.metadata.family) for v in views.values()]
    assert kinds == [("IW_RAW__0S", "L0_SLICE")] * 3 + [("IW_RAW__0A", "L0_ACN"), ("IW_RAW__0C", "L0_ACN"),
                                                         ("IW_RAW__0N", "L0_ACN")]
    slices = list(views.values())[:3]
    assert [(v.metadata.attributes["sliceNumber"], v.metadata.content_start.strftime("%H%M%S"),
             v.metadata.content_end.strftime("%H%M%S")) for v in slices] == [
        (1, "102500", "102527"), (2, "102525", "102552"), (3, "102550", "102620")]
    segment = footprint(aiop.product(aiop.list_lines[0]))
    # slices tile the segment's swath; the A/C/N products cover the whole datatake
    union = slices[0].metadata.footprint.union(slices[1].metadata.footprint).union(slices[2].metadata.footprint)
    assert same_area(union, segment)
    assert all(same_area(v.metadata.footprint, segment) for v in list(views.values())[3:])


@pytest.fixture(scope="module")
def l1(l0asp: Run, demo: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Run:
    slice_2, acn = (l0asp.product(line) for line in (l0asp.list_lines[1], l0asp.list_lines[3]))
    return run_table(demo_table("s1/IW_RAW__0_SLC__1_GRDH_1.xml"), tmp_path_factory.mktemp("l1") / "4713_1",
                     sensing=sensing(acn), parameters={**FAST, "Slice_Number": "2", "Total_Number_Of_Slices": "3",
                                                       "Timeliness_Category": "NRT-3h"}, inputs={
        "L0": [slice_2], "L0_A": [acn], "L0_C": [l0asp.product(l0asp.list_lines[4])],
        "L0_N": [l0asp.product(l0asp.list_lines[5])], "AUX_PP1": [one(demo, "AUX_PP1")],
        "AUX_CAL": [one(demo, "AUX_CAL")], "AUX_INS": [one(demo, "AUX_INS")], "Orbit": [one(demo, "AUX_RESORB")]})


def ocn(l1: Run, demo: dict[str, Path], workdir: Path, **parameters: str) -> Run:
    slc = l1.product(l1.list_lines[0])
    return run_table(demo_table("s1/IW_SLC__1_OCN__2.xml"), workdir, sensing=sensing(slc), parameters=parameters,
                     inputs={"SLC": [slc], "AUX_PP2": [one(demo, "AUX_PP2")], "AUX_WND": [one(demo, "AUX_WND")]})


def test_s1_l1_and_ocn_keep_the_slice_footprint(l0asp: Run, l1: Run, demo: dict[str, Path], tmp_path: Path):
    assert l1.codes == [0]
    assert [p.name for p in l1.workdir.glob("*.LIST")] == ["4713_1.LIST"]
    slc, grd = (catalogue_view(l1.product(line)) for line in l1.list_lines)
    assert (slc.identification.product_type, slc.metadata.family) == ("IW_SLC__1S", "L1_SLICE")
    assert (grd.identification.product_type, grd.metadata.family) == ("IW_GRDH_1S", "L1_SLICE")
    assert (slc.metadata.attributes["sliceNumber"], slc.metadata.attributes["totalSlices"]) == (2, 3)
    assert slc.metadata.timeliness == "NRT-3h"
    slice_footprint = footprint(l0asp.product(l0asp.list_lines[1]))
    assert same_area(slc.metadata.footprint, slice_footprint)
    assert grd.metadata.footprint.within(slice_footprint.buffer(1e-6))
    assert slc.quicklook is not None and slc.quicklook[1].startswith(b"\x89PNG") and slc.quicklook[2] == "image/png"
    # the JobOrder of an S1 L1 processor is in its dialect
    assert "<List_of_Dynamic_Processing_Parameters count=" in (l1.workdir / "JobOrder.xml").read_text()

    level2 = ocn(l1, demo, tmp_path / "ocn", **FAST)
    assert level2.codes == [0, 0]  # the OCN task, then ProcEND which writes the list
    (line,) = level2.list_lines
    view = catalogue_view(level2.product(line))
    assert (view.identification.product_type, view.metadata.family) == ("IW_OCN__2S", "L2_SLICE")
    assert same_area(view.metadata.footprint, slc.metadata.footprint)


# --- Sentinel-2: L0 → L1C → L2A -------------------------------------------------------------------------------------

def test_s2_l1c_tiles_the_granules_and_l2a_follows(demo: dict[str, Path], tmp_path: Path):
    datastrip, granules = one(demo, "MSI_L0__DS"), every(demo, "MSI_L0__GR")
    aux = {key: [one(demo, key)] for key in ("AUX_UT1UTC", "GIP_ATMIMA", "GIP_ATMSAD", "GIP_DATATI")}
    l1c = run_table(demo_table("s2/S2_L1.xml"), tmp_path / "l1c", sensing=sensing(*granules), parameters=FAST,
                    inputs={"L0_DS": [datastrip], "L0_GR": granules, **aux})
    assert l1c.codes == [0]
    joborder = (l1c.workdir / "JobOrder.xml").read_text()  # the S2 dialect: acquisition station, ISO dates
    assert "<Acquisition_Station>SGS_</Acquisition_Station>" in joborder
    assert "<Start>2026-11-20T11:15:00.000Z</Start>" in joborder
    views = [catalogue_view(l1c.product(line)) for line in l1c.list_lines]
    types = [v.identification.product_type for v in views]
    assert types[0] == "MSI_L1C_DS" and types[1:] == ["MSI_L1C_TL", "S2MSI1C"] * ((len(types) - 1) // 2)
    tiles = [v.metadata.attributes["tileId"] for v in views if v.identification.product_type == "MSI_L1C_TL"]
    assert tiles == ["32TNR", "32TNS"]
    hull = MultiPolygon(*[footprint(g)[0] for g in granules]).convex_hull
    ds = views[0].metadata
    assert same_area(ds.footprint, hull)
    # from the first granule's start to the third's start + 3.6 s (granule sensing times of their MTD)
    start = DEMO_T0 + timedelta(hours=1, minutes=15)
    assert (ds.content_start, ds.content_end) == (start, start + timedelta(seconds=10.8))
    for tile, user in zip(views[1::2], views[2::2], strict=True):
        assert tile.metadata.footprint.within(hull.buffer(1e-6))
        # sensed inside the datastrip: a ValIntersect over the datastrip (L2A) selects it
        assert tile.metadata.content_start == start + timedelta(seconds=5.4)
        assert same_area(user.metadata.footprint, tile.metadata.footprint)
        assert user.metadata.attributes["tileId"] == tile.metadata.attributes["tileId"]
        assert user.metadata.attributes["cloudCover"] == pytest.approx(15.5)
    assert same_area(MultiPolygon(*[v.metadata.footprint[0] for v in views[1::2]]).unary_union, hull)

    l2a = run_table(demo_table("s2/S2_L2A.xml"), tmp_path / "l2a", sensing=(ds.content_start, ds.content_end),
                    parameters=FAST, inputs={"L1C_DS": [l1c.product(l1c.list_lines[0])],
                                             "L1C_TL": [l1c.product(line) for line in l1c.list_lines[1::2]],
                                             "GIP_PROBA2": [one(demo, "GIP_PROBA2")]})
    assert l2a.codes == [0]
    l2a_views = [catalogue_view(l2a.product(line)) for line in l2a.list_lines]
    assert [v.identification.product_type for v in l2a_views] == ["MSI_L2A_DS"] + ["MSI_L2A_TL", "S2MSI2A"] * 2
    assert [v.metadata.attributes.get("tileId") for v in l2a_views[1:]] == ["32TNR"] * 2 + ["32TNS"] * 2
    for before, after in zip(views[1::2], l2a_views[1::2], strict=True):
        assert same_area(after.metadata.footprint, before.metadata.footprint)


# --- Sentinel-3: OL0 → OL1 → OL2, SL0 → SL1 → SL2 --------------------------------------------------------------------

@pytest.mark.parametrize(("first", "second", "main", "aux", "level1", "level2"), [
    ("S3A_OL1.xml", "S3A_OL2.xml", "OL_0_EFR___", "OL_1_CLUTAX", ["OL_1_EFR___", "OL_1_ERR___"],
     ["OL_2_LFR___", "OL_2_WFR___"]),
    ("S3A_SL1.xml", "S3A_SL2.xml", "SL_0_SLT___", "SL_1_GEO_AX", ["SL_1_RBT___"], ["SL_2_LST___", "SL_2_WCT___"]),
])
def test_s3_level_1_and_2_keep_the_l0_footprint(demo, tmp_path, first, second, main, aux, level1, level2):
    l0 = one(demo, main)
    table = demo_table(f"s3/{first}")
    declared = list(table.declared_inputs())
    run1 = run_table(table, tmp_path / "l1", sensing=sensing(l0), parameters=FAST,
                     inputs={declared[0]: [l0], declared[1]: [one(demo, aux)]})
    assert run1.codes == [0]
    assert "<List_of_Dyn_Processing_Parameters count=" in (run1.workdir / "JobOrder.xml").read_text()  # GMES 1.1
    views = [catalogue_view(run1.product(line)) for line in run1.list_lines]
    assert [v.identification.product_type for v in views] == level1
    assert all(v.metadata.family == "S3_L1_NRT" and same_area(v.metadata.footprint, footprint(l0)) for v in views)
    assert all(v.quicklook is not None and v.quicklook[0] == "browse.png" for v in views)
    table2 = demo_table(f"s3/{second}")
    declared2 = list(table2.declared_inputs())
    inputs = {declared2[0]: [run1.product(run1.list_lines[0])]}
    if len(declared2) > 1:
        inputs[declared2[1]] = [one(demo, "SL_2_LSTCAX")]
    run2 = run_table(table2, tmp_path / "l2", sensing=sensing(run1.product(run1.list_lines[0])), parameters=FAST,
                     inputs=inputs)
    assert run2.codes == [0]
    views2 = [catalogue_view(run2.product(line)) for line in run2.list_lines]
    assert [v.identification.product_type for v in views2] == level2
    assert all(v.metadata.family == "S3_L2_NRT" and same_area(v.metadata.footprint, footprint(l0)) for v in views2)


# --- injection and errors -------------------------------------------------------------------------------------------

def ol1(demo: dict[str, Path], workdir: Path, **parameters: str) -> Run:
    l0 = one(demo, "OL_0_EFR___")
    return run_table(demo_table("s3/S3A_OL1.xml"), workdir, sensing=sensing(l0), parameters=parameters,
                     inputs={"OL_0_EFR": [l0], "OL_1_CLUTAX": [one(demo, "OL_1_CLUTAX")]})


def test_an_injected_error_exit_writes_no_output_and_a_warning_exit_keeps_them(demo, tmp_path):
    failed = ol1(demo, tmp_path / "failed", Sim_Exit_Code="134", Sim_Duration_S="0")
    assert failed.codes == [134]
    assert not list(failed.workdir.glob("*.LIST")) and not list(failed.workdir.glob("S3A_OL_1_E*"))
    assert "[E] Simulated processing error (Sim_Exit_Code 134): no output written" in failed.stderr
    assert log_levels(failed).count("E") == 1
    assert failed.stdout.splitlines()[-1].endswith("[I] Leaving OL1 with exit code 134 (ERROR)")
    warned = ol1(demo, tmp_path / "warned", Sim_Exit_Code="3", Sim_Duration_S="0")
    assert warned.codes == [3] and len(warned.list_lines) == 2
    assert "W" in log_levels(warned)


def test_a_crash_by_signal_and_a_skipped_mandatory_output(demo, tmp_path):
    crashed = ol1(demo, tmp_path / "crashed", Sim_Kill_Signal="9", Sim_Duration_S="0")
    assert crashed.codes == [-9]
    skipped = ol1(demo, tmp_path / "skipped", Sim_Skip_Outputs="OL_1_EFR___", Sim_Duration_S="0")
    assert skipped.codes == [0]
    assert [line.split("_")[1:4] for line in skipped.list_lines] == [["OL", "1", "ERR"]]


def test_failure_knobs_target_the_named_tasks_only(l1: Run, demo: dict[str, Path], tmp_path: Path):
    run = ocn(l1, demo, tmp_path / "ocn", Sim_Duration_S="0", Sim_Exit_Code="200", Sim_Fail_Tasks="ProcEND")
    assert run.codes == [0, 200]  # OCN wrote its product, ProcEND failed before listing it
    assert len(list(run.workdir.glob("S1A_IW_OCN__2SDV_*.SAFE"))) == 1 and not list(run.workdir.glob("*.LIST"))
    missing = run_table(demo_table("s1/IW_SLC__1_OCN__2.xml"), tmp_path / "missing", sensing=sensing(
        l1.product(l1.list_lines[0])), parameters=FAST, inputs={"AUX_PP2": [one(demo, "AUX_PP2")]})
    assert missing.codes == [128]  # a missing mandatory input: an error, and the next pool does not run
    assert "[E] no SLC input (xx_SLC__1S) in the JobOrder" in missing.stderr


def test_duration_and_memory_are_spent_as_asked(demo, tmp_path):
    began = time.monotonic()
    run = ol1(demo, tmp_path / "slow", Sim_Duration_S="1.5", Sim_Memory_MB="96")
    elapsed = time.monotonic() - began
    assert run.codes == [0] and elapsed >= 1.5
    assert log_levels(run).count("P") == 1 and "[I] 96 MiB allocated" in run.stdout
    assert resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss >= 96 * 1024  # KiB on Linux


def test_bad_invocations_are_errors_with_a_message(tmp_path):
    import subprocess
    import sys

    from rs.production.tests.simulation import PROCESSORS

    executable = str(PROCESSORS / "s3" / "ol1.py")
    environment = {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin"}
    no_argument = subprocess.run([executable], capture_output=True, text=True, env=environment, check=False)
    assert no_argument.returncode == 255 and "usage: ol1.py <JobOrder path> (got 0 arguments)" in no_argument.stderr
    (tmp_path / "JobOrder.xml").write_text("<Ipf_Job_Order><Ipf_Conf>")
    broken = subprocess.run([executable, str(tmp_path / "JobOrder.xml")], capture_output=True, text=True,
                            env=environment, check=False)
    assert broken.returncode == 128 and "cannot read the JobOrder" in broken.stderr
    assert all(IPF_LOG_LINE.match(line) for line in (no_argument.stderr + broken.stderr).splitlines())
