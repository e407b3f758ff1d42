"""Which attributes of each sample's product class the files cannot give (reference-system.md §9.10 asks for none
missing; these are the gaps of the samples themselves, kept exact so that any regression shows)."""

from __future__ import annotations

import pytest

from rs.catalog.attribute_registry import product_class_of
from rs.ingestion.extraction import ProductReader, extract_metadata
from rs.ingestion.names import identify
from rs.ingestion.tests.fixtures.samples import sample

NO_SOFTWARE = {"processorName", "processorVersion"}  # L0 and aux manifests of the samples carry no <software>


@pytest.mark.parametrize(("relative", "product_class", "missing"), [
    ("s1/S1A_AUX_CAL_V20171017T080000_G20171013T101200.SAFE", "auxSafe", NO_SOFTWARE),
    # L1 manifests carry no consolidation, baseline nor generation
    ("s1/S1A_IW_GRDH_1SDV_20180227T145344_20180227T145413_020794_023A69_C0B5.SAFE", "l1",
     {"processingBaseline", "productConsolidation", "productGeneration"}),
    ("s1/S1A_IW_RAW__0ADV_20171213T121123_20171213T121947_019684_021735_51B1.SAFE", "l0Ann",
     NO_SOFTWARE | {"sliceNumber"}),
    # an L0 slice's totalSlices comes from its datatake's ACN product (s1_total_slices), not from its own files
    ("s1/S1A_IW_RAW__0SDV_20171213T121623_20171213T121656_019684_021735_C6DB.SAFE", "l0Std",
     NO_SOFTWARE | {"totalSlices"}),
    ("s1/S1A_IW_RAW__0SVH_20200120T124746_20200120T125111_030884_038B5E_9470.SAFE", "l0Std",
     NO_SOFTWARE | {"sliceNumber", "totalSlices"}),
    ("s1/S1A_WV_RAW__0SSV_20180913T214325_20180913T214422_023685_0294F4_41D5.SAFE", "l0Std",
     NO_SOFTWARE | {"sliceNumber", "totalSlices"}),
    ("s1/S1A_OPER_MPL_ORBPRE_20171208T200309_20171215T200309_0001.EOF", "auxEof", set()),
    # the datastrip's MTD is not published: name and manifest only (naming-and-metadata.md §5.5)
    ("s2/S2A_OPER_MSI_L0__DS_SGS__20200420T205828_S20200322T173347_N02.08", "s2ds",
     NO_SOFTWARE | {"coordinates", "endingDateTime", "qualityInfo", "qualityStatus"}),
    ("s2/S2A_OPER_MSI_L0__GR_SGS__20191001T101733_S20191001T083650_D01_N02.08", "s2gr",
     {"operationalMode", "relativeOrbitNumber"}),
    ("s2/S2A_OPER_MSI_L0__GR_SGS__20200420T205828_S20200322T173347_D01_N02.08", "s2gr",
     NO_SOFTWARE | {"operationalMode", "orbitNumber", "productGroupId", "relativeOrbitNumber"}),
    # test data: no classification summary, placeholder ground-track directions, no stop orbit
    ("s3/S3B_OL_1_EFR____20040703T003000_20040703T003200_20160204T070933_DDDD_001_002_FFFF_WER_D_NR_NNN.SEN3",
     "s3olci", {"brightCover", "cloudCover", "coastalCover", "freshInlandWaterCover", "landCover",
                "salineWaterCover", "tidalRegionCover", "orbitDirection", "lastOrbitDirection", "lastOrbitNumber",
                "lastRelativeOrbitNumber"}),
])
def test_each_sample_fills_its_class_but_for_what_its_files_lack(relative: str, product_class: str,
                                                                 missing: set[str]) -> None:
    path = sample(relative)
    identification = identify(path.name)
    with ProductReader.open(path) as reader:
        metadata = extract_metadata(identification, reader)
    found_class = product_class_of(identification.product_type)
    assert found_class is not None and found_class.name == product_class
    assert set(found_class.attributes) - set(metadata.attributes) == missing
    assert all(value is not None for value in metadata.attributes.values())
