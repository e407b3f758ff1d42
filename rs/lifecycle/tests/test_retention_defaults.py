"""The reference defaults give the expected EvictionDate for a product of every family (catalogue-copy values)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from rs.catalog.models import Product
from rs.lifecycle.retention import eviction_date_for

pytestmark = pytest.mark.django_db

PUBLISHED = datetime(2024, 6, 4, 12, 0, tzinfo=UTC)
FOREVER = None

CASES = [
    ("S1A_AUX_CAL_V20171017T080000_G20171013T101200.SAFE", "S1", "AUXILIARY_FILE", "AUX_CAL", FOREVER),
    ("S1A_OPER_AUX_RESORB_OPOD_20171213T143838_V20171213T102737_20171213T134507.EOF", "S1", "AUXILIARY_FILE",
     "AUX_RESORB", FOREVER),
    ("S1A_OPER_AUX_TRO_V20240101T000000_G20240102T000000.SAFE", "S1", "AUXILIARY_FILE", "AUX_TRO", FOREVER),
    ("S1A_AUX_TRO_V20240101T000000_G20240102T000000.SAFE", "S1", "AUXILIARY_FILE", "AUX_TRO", 180),
    ("DCS_02_L20171109175634707000125_ch1_DSDB_00001.raw", "S1", "EDRS_SESSION", "SESSION", 30),
    ("DCS_02_L20171109175634707000125_ch1_DSIB.xml", "S1", "EDRS_SESSION", "SESSION", 30),
    ("S1A_IW_RAW__0SVH_20200120T124746_20200120T125111_030884_038B5E_9470.SAFE", "S1", "L0_SEGMENT",
     "IW_RAW__0S", 30),
    ("S1A_IW_RAW__0SDV_20171213T121623_20171213T121656_019684_021735_C6DB.SAFE", "S1", "L0_SLICE", "IW_RAW__0S", 30),
    ("S1A_IW_RAW__0ADV_20171213T121123_20171213T121947_019684_021735_51B1.SAFE", "S1", "L0_ACN", "IW_RAW__0A", 30),
    ("S1A_N3_RAW__0SSV_20171213T121123_20171213T121947_019684_021735_51B2.SAFE", "S1", "L0_BLANK", "N3_RAW__0S",
     FOREVER),
    ("S1A_IW_GRDH_1SDV_20180227T145344_20180227T145413_020794_023A69_C0B5.SAFE", "S1", "L1_SLICE", "IW_GRDH_1S", 7),
    ("S1A_IW_SLC__1ADV_20180227T145344_20180227T145413_020794_023A69_C0B6.SAFE", "S1", "L1_ACN", "IW_SLC__1A", 7),
    ("S1A_WV_OCN__2SSV_20180913T214325_20180913T214422_023685_0294F4_46F2.SAFE", "S1", "L2_SLICE", "WV_OCN__2S", 7),
    ("S1A_IW_ETA__AXSV_20240101T000000_20240101T000030_051234_063A2B_ABCD.SAFE", "S1", "L1_ETAD", "IW_ETA__AX",
     FOREVER),
    ("S1A_OPER_REP__SUP___20181208T070000_20181208T111500_0001.EOF", "S1", "PLAN_AND_REPORT", "REP__SUP__",
     FOREVER),
    ("S2B_OPER_GIP_ATMIMA_MPC__20170206T103051_V20170101T000000_21000101T000000_B00", "S2", "S2_AUX", "GIP_ATMIMA",
     FOREVER),
    ("S2A_OPER_PRD_HKTM___20191203T051837_20191203T051842_0001.SAFE", "S2", "S2_HKTM", "PRD_HKTM__", FOREVER),
    ("S2A_OPER_MSI_L0__GR_SGS__20200420T205828_S20200322T173347_D01_N02.08", "S2", "S2_L0_GR", "MSI_L0__GR", 30),
    ("S2A_OPER_MSI_L0__DS_SGS__20200420T205828_S20200322T173347_N02.08", "S2", "S2_L0_DS", "MSI_L0__DS", 30),
    ("S2B_OPER_MSI_L1C_TL_REFS_20221124T170956_A029232_T40MBT_N04.00", "S2", "S2_L1C_TL", "MSI_L1C_TL", 7),
    ("S2B_OPER_MSI_L2A_DS_REFS_20221124T170956_S20221124T070000_N04.00", "S2", "S2_L2A_DS", "MSI_L2A_DS", 7),
    ("S2B_MSIL1C_20240709T074619_N0510_R135_T40XFF_20240709T080457.SAFE", "S2", "S2_USER_PRODUCT", "S2MSI1C", 7),
    ("S3A_AX___BA__AX_20040703T000000_20991231T235959_20120101T000000___________________WER_D_AL____.SEN3", "S3",
     "S3_AUX", "AX___BA__AX", FOREVER),
    ("S3A_SL_0_SLT__G_20240101T000000_20240101T000100_20240101T001000_0060_100_200______WER_D_NR_004.ISIP", "S3",
     "S3_GRANULES", "SL_0_SLT__G", 30),
    ("S3B_OL_1_EFR____20240101T000000_20240101T000300_20240101T004000_0179_088_200_2340_PS2_O_NR_004.SEN3", "S3",
     "S3_L1_NRT", "OL_1_EFR___", 7),
    ("S3B_SL_2_LST____20240101T000000_20240101T000300_20240102T004000_0179_088_200_2340_PS2_O_NT_004.SEN3", "S3",
     "S3_L2_NTC", "SL_2_LST___", 7),
]


@pytest.mark.parametrize(("name", "mission", "family", "product_type", "days"), CASES, ids=[c[2] + ":" + c[0][:20]
                                                                                            for c in CASES])
def test_the_reference_defaults_give_the_catalogue_copy_retention(name, mission, family, product_type, days):
    product = Product(name=name, mission=mission, family=family, product_type=product_type, timeliness="",
                      publication_date=PUBLISHED)
    expected = None if days is None else PUBLISHED + timedelta(days=days)
    assert eviction_date_for(product) == expected


def test_publication_sets_the_eviction_date_from_the_policy():
    from rs.catalog.tests import factories

    product = factories.product(family="L1_SLICE")
    assert product.eviction_date == product.publication_date + timedelta(days=7)
    unpublished = factories.product(family="L1_SLICE", publish=False)
    assert unpublished.eviction_date is None
