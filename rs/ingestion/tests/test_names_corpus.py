"""Every real name of the shared samples is identified (or refused with its reason): the names list, the sample
products and the product names of the recorded OData responses."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from rs.ingestion.names import UnrecognisedName, identify
from rs.ingestion.tests.fixtures.samples import sample, sample_lines

# Entries of names/product_names.txt that are not products (naming-and-metadata.md §2 lists the first four; the
# S2 MTD, QLK and band-image files are files inside products as §3.3 says, so they are refused as well).
NOT_PRODUCTS = {
    "S1B": "a bare mission prefix",
    "S1__AUX_WND_V20181002T120000_G20180929T061310.SAFE.md5sum": "a checksum companion file",
    "S2B_OPER_MSI_L1C_DS_REFS_20221124T170956_S20221011T064025_FORMAT_CORRECTNESS_report.xml":
        "a quality report inside a product",
    "S2B_OPER_MSI_L1C_DS_REFS_20221124T170956_S20221011T064025_GEOMETRIC_QUALITY_report.xml":
        "a quality report inside a product",
    "S3A_OL_0_TESTAX_12345678T123456_12345678T123456_12345678T123456___________________123_12345678.SEN3":
        "impossible date 12345678T123456",
    "S2A_OPER_MSI_L0__GR_SGS__20191001T101733_S20191001T083650_D01_B02.bin":
        "the band 02 image inside an S2 L0__GR product",
    "S2A_OPER_MTD_L0__GR_SGS__20191001T101733_S20191001T083650_D01.xml": "an S2 metadata file (MTD_L0__GR)",
    "S2B_OPER_MTD_L0U_DS_REFS_20220614T090618_S20220413T114741.xml": "an S2 metadata file (MTD_L0U_DS)",
    "S2B_OPER_MTD_L0__DS_REFS_20221124T163650_S20221011T064025.xml": "an S2 metadata file (MTD_L0__DS)",
    "S2A_OPER_QLK_L0__DS_SGS__20200420T205828_S20200322T173347_B03.jp2": "an S2 quicklook image (QLK_L0__DS)",
    "S2A_OPER_QLK_L0__DS_SGS__20200420T205828_S20200322T173347_B10.jp2": "an S2 quicklook image (QLK_L0__DS)",
    "S2B_OPER_QLK_L0__DS_REFS_20220629T125610_S20220413T115356_B02.jp2": "an S2 quicklook image (QLK_L0__DS)",
}
# Non-product "Name" values of the OData samples: a burst entity and a placeholder of a request body.
ODATA_NOT_PRODUCTS = {
    "S1A-SLC-20240802T060723-15805-IW1-VH-040352": "a CDSE Sentinel-1 burst id",
    "xxxxxxxx.06.tar": "matches no Sentinel product",
}


def _odata_products() -> dict[str, str | None]:
    """Name → the CDSE productType attribute, of every product entity in the recorded responses."""
    found: dict[str, str | None] = {}

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("Name"), str) and ("ContentDate" in node or "Attributes" in node
                                                      or "@odata.mediaContentType" in node):
                types = [a.get("Value") for a in node.get("Attributes") or [] if a.get("Name") == "productType"]
                found[node["Name"]] = types[0] if types else None
            if isinstance(node.get("ParentProductName"), str):
                found[node["ParentProductName"]] = node.get("ParentProductType")
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for path in sorted(sample("odata").glob("*.json")):
        walk(json.loads(path.read_text()))
    filter_body = json.loads((sample("odata") / "cdse_products_filterlist_request_body.cdse-docs.json").read_text())
    walk({"Name": None, "items": [dict(item, ContentDate=None) for item in filter_body["body"]["FilterProducts"]]})
    return found


def test_every_listed_name_is_identified_unless_it_is_not_a_product() -> None:
    names = sample_lines("names/product_names.txt")
    families: Counter[str] = Counter()
    for name in names:
        if name in NOT_PRODUCTS:
            with pytest.raises(UnrecognisedName) as refused:
                identify(name)
            assert NOT_PRODUCTS[name] in str(refused.value), name
        else:
            families[identify(name).family] += 1
    assert sum(families.values()) == len(names) - len(NOT_PRODUCTS) == 225
    assert families == Counter({
        "S2_AUX": 115, "EDRS_SESSION": 21, "L0_SLICE": 13, "L1_SLICE": 12, "AUXILIARY_FILE": 12, "L0_SEGMENT": 10,
        "L0_ACN": 9, "L2_SLICE": 6, "L1_ACN": 4, "S2_L0_GR": 4, "S2_L0_DS": 3, "S2_L1C_TL": 3, "S2_SAD": 2,
        "S2_L1A_GR": 2, "S3_AUX": 2, "S2_L2A_TL": 1, "S2_USER_PRODUCT": 1, "S2_L1C_TC": 1, "S2_L2A_TC": 1,
        "S3_L0": 1, "S3_GRANULES": 1, "S3_L1_NRT": 1,
    })


def test_every_odata_product_name_is_identified_with_the_cdse_product_type() -> None:
    products = _odata_products()
    assert len(products) == 66  # 64 product names (one the parent of the burst), a burst id, a placeholder
    for name, cdse_type in products.items():
        if name in ODATA_NOT_PRODUCTS:
            with pytest.raises(UnrecognisedName) as refused:
                identify(name)
            assert ODATA_NOT_PRODUCTS[name] in str(refused.value)
            continue
        found = identify(name)
        if cdse_type is not None:
            assert found.product_type == cdse_type, name
    assert identify("S3B_SL_1_RBT____20190116T050535_20190116T050835_20190117T125958_0179_021_048_0000_LN2_O_NT_003"
                    ".SEN3").product_type == "SL_1_RBT___"


@pytest.mark.parametrize(("relative", "family", "product_type"), [
    ("s1/S1A_AUX_CAL_V20171017T080000_G20171013T101200.SAFE", "AUXILIARY_FILE", "AUX_CAL"),
    ("s1/S1A_IW_GRDH_1SDV_20180227T145344_20180227T145413_020794_023A69_C0B5.SAFE", "L1_SLICE", "IW_GRDH_1S"),
    ("s1/S1A_IW_RAW__0ADV_20171213T121123_20171213T121947_019684_021735_51B1.SAFE", "L0_ACN", "IW_RAW__0A"),
    ("s1/S1A_IW_RAW__0SDV_20171213T121623_20171213T121656_019684_021735_C6DB.SAFE", "L0_SLICE", "IW_RAW__0S"),
    ("s1/S1A_IW_RAW__0SVH_20200120T124746_20200120T125111_030884_038B5E_9470.SAFE", "L0_SEGMENT", "IW_RAW__0S"),
    # the name alone says slice for SV; the manifest (consolidation END) makes it a segment (test_extraction_s1)
    ("s1/S1A_WV_RAW__0SSV_20180913T214325_20180913T214422_023685_0294F4_41D5.SAFE", "L0_SLICE", "WV_RAW__0S"),
    ("s1/S1A_OPER_MPL_ORBPRE_20171208T200309_20171215T200309_0001.EOF", "AUXILIARY_FILE", "MPL_ORBPRE"),
    ("s2/S2A_OPER_MSI_L0__DS_SGS__20200420T205828_S20200322T173347_N02.08", "S2_L0_DS", "MSI_L0__DS"),
    ("s2/S2A_OPER_MSI_L0__GR_SGS__20191001T101733_S20191001T083650_D01_N02.08", "S2_L0_GR", "MSI_L0__GR"),
    ("s2/S2A_OPER_MSI_L0__GR_SGS__20200420T205828_S20200322T173347_D01_N02.08", "S2_L0_GR", "MSI_L0__GR"),
    ("s3/S3B_OL_1_EFR____20040703T003000_20040703T003200_20160204T070933_DDDD_001_002_FFFF_WER_D_NR_NNN.SEN3",
     "S3_L1_NRT", "OL_1_EFR___"),
    ("session/S1A/SESSION1/ch01/DCS_02_SESSION1_ch1_DSIB.xml", "EDRS_SESSION", "SESSION"),
])
def test_every_sample_product_is_identified_from_its_delivery_path(relative: str, family: str,
                                                                  product_type: str) -> None:
    path = sample(relative)
    delivered = relative.split("/", 1)[1] if relative.startswith("session/") else Path(relative).name
    found = identify(delivered)
    assert (found.family, found.product_type, found.name) == (family, product_type, path.name)
    if found.is_container:  # the files extraction reads are where identification says (S2: those present)
        assert any((path / f).is_file() for f in found.metadata_files)
    else:
        assert found.metadata_files == ("",)


def test_the_catalog_classification_by_product_type_agrees_with_identification() -> None:
    """The bulk load classifies by product type (rs.catalog.families), ingestion by name: the same family and level
    for every product of the corpus (sessions are not bulk-loadable products)."""
    from rs.catalog.choices import ProductFamily
    from rs.catalog.families import classification_of

    compared = 0
    for name in sample_lines("names/product_names.txt"):
        if name in NOT_PRODUCTS:
            continue
        found = identify(name)
        if found.family == ProductFamily.SESSION:
            continue
        consolidation = "SLICE" if found.family == ProductFamily.S1_L0_SLICE else "FULL"  # what the manifest says
        classified = classification_of(mission=found.mission, product_type=found.product_type, name=found.name,
                                       attributes={"productConsolidation": consolidation})
        assert classified == (found.family, found.level), name
        compared += 1
    assert compared == 204
