"""Identification by name: one representative of every family, with the exact values the name gives."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from rs.ingestion.names import Identification, SessionFile, UnrecognisedName, identify


def t(text: str) -> datetime:
    return datetime.strptime(text, "%Y%m%dT%H%M%S").replace(tzinfo=UTC)


# name → (family, mission, platform, product_type, level, start, stop)
SENSING = {
    "S1A_IW_RAW__0SDV_20171213T121623_20171213T121656_019684_021735_C6DB.SAFE":
        ("L0_SLICE", "S1", "A", "IW_RAW__0S", "L0", "20171213T121623", "20171213T121656"),
    "S1A_IW_RAW__0SVH_20200120T124746_20200120T125111_030884_038B5E_9470.SAFE":
        ("L0_SEGMENT", "S1", "A", "IW_RAW__0S", "L0", "20200120T124746", "20200120T125111"),
    "S1A_WV_RAW__0SSV_20180913T214325_20180913T214422_023685_0294F4_41D5.SAFE":
        ("L0_SLICE", "S1", "A", "WV_RAW__0S", "L0", "20180913T214325", "20180913T214422"),
    "S1A_RF_RAW__0SHV_20200120T123137_20200120T123138_030884_038B5A_FCFB.SAFE":
        ("L0_SEGMENT", "S1", "A", "RF_RAW__0S", "L0", "20200120T123137", "20200120T123138"),
    "S1B_GP_RAW__0____20200120T163021_20200120T163241_019903_025A62_1A2B.SAFE":
        ("L0_SEGMENT", "S1", "B", "GP_RAW__0_", "L0", "20200120T163021", "20200120T163241"),
    "S1A_IW_RAW__0ADV_20171213T121123_20171213T121947_019684_021735_51B1.SAFE":
        ("L0_ACN", "S1", "A", "IW_RAW__0A", "L0", "20171213T121123", "20171213T121947"),
    "S1A_S6_RAW__0CSV_20200120T184828_20200120T184848_030888_038B81_550E.SAFE":
        ("L0_ACN", "S1", "A", "S6_RAW__0C", "L0", "20200120T184828", "20200120T184848"),
    "S1C_Z3_RAW__0SVV_20250120T184828_20250120T184848_000888_008B81_550F.SAFE":
        ("L0_BLANK", "S1", "C", "Z3_RAW__0S", "L0", "20250120T184828", "20250120T184848"),
    "S1A_IW_GRDH_1SDV_20180227T145344_20180227T145413_020794_023A69_C0B5.SAFE":
        ("L1_SLICE", "S1", "A", "IW_GRDH_1S", "L1", "20180227T145344", "20180227T145413"),
    "S1A_IW_SLC__1ADV_20171213T121123_20171213T121947_019684_021735_51B1.SAFE":
        ("L1_ACN", "S1", "A", "IW_SLC__1A", "L1", "20171213T121123", "20171213T121947"),
    "S1A_IW_ETA__AXDV_20240802T060719_20240802T060746_055030_06B44E_1C2D.SAFE":
        ("L1_ETAD", "S1", "A", "IW_ETA__AX", "L1", "20240802T060719", "20240802T060746"),
    "S1A_WV_OCN__2SSV_20190518T160559_20190518T161434_027284_0313A0_46F2.SAFE":
        ("L2_SLICE", "S1", "A", "WV_OCN__2S", "L2", "20190518T160559", "20190518T161434"),
    "S1D_EW_OCN__2ADH_20260120T123740_20260120T123840_000884_008B5C_FF34.SAFE":
        ("L2_ACN", "S1", "D", "EW_OCN__2A", "L2", "20260120T123740", "20260120T123840"),
    "S2A_OPER_PRD_HKTM___20191203T051837_20191203T051842_0001.SAFE":
        ("S2_HKTM", "S2", "A", "PRD_HKTM__", "L0", "20191203T051837", "20191203T051842"),
    "S2A_OPER_MSI_L0__GR_SGS__20200420T205828_S20200322T173347_D01_N02.08":
        ("S2_L0_GR", "S2", "A", "MSI_L0__GR", "L0", "20200322T173347", None),
    "S2A_OPER_MSI_L0__DS_SGS__20191001T101733_S20191001T083647_N02.08":
        ("S2_L0_DS", "S2", "A", "MSI_L0__DS", "L0", "20191001T083647", None),
    "S2B_OPER_MSI_L0U_GR_REFS_20220614T085324_S20220413T114741_D01_N00.00":
        ("S2_L0_GR", "S2", "B", "MSI_L0U_GR", "L0", "20220413T114741", None),
    "S2B_OPER_MSI_L1A_GR_EPAE_20200114T014601_S20200114T002121_D12_N02.08.tar":
        ("S2_L1A_GR", "S2", "B", "MSI_L1A_GR", "L1", "20200114T002121", None),
    "S2B_OPER_MSI_L1C_TL_REFS_20221124T170956_A029232_T40MBT_N04.00":
        ("S2_L1C_TL", "S2", "B", "MSI_L1C_TL", "L1", None, None),
    "S2B_OPER_MSI_L1C_TC_EPAE_20191001T102654_A013417_T39UWP_N02.08.jp2":
        ("S2_L1C_TC", "S2", "B", "MSI_L1C_TC", "L1", None, None),
    "S2A_OPER_MSI_L2A_TL_SGS__20201021T153108_A005004_T01WCU_N02.13":
        ("S2_L2A_TL", "S2", "A", "MSI_L2A_TL", "L2", None, None),
    "S2B_MSIL1C_20240709T074619_N0510_R135_T40XFF_20240709T080457.SAFE":
        ("S2_USER_PRODUCT", "S2", "B", "S2MSI1C", "L1", "20240709T074619", None),
    "S2A_MSIL2A_20240301T101841_N0510_R065_T32TQM_20240301T140101.SAFE":
        ("S2_USER_PRODUCT", "S2", "A", "S2MSI2A", "L2", "20240301T101841", None),
    "S2A_OPER_PRD_MSIL1C_PDMC_20160615T141550_R121_V20160615T082012_20160615T083135.SAFE":
        ("S2_USER_PRODUCT", "S2", "A", "S2MSI1C", "L1", "20160615T082012", "20160615T083135"),
    "S3B_OL_1_EFR____20040703T003000_20040703T003200_20160204T070933_DDDD_001_002_FFFF_WER_D_NR_NNN.SEN3":
        ("S3_L1_NRT", "S3", "B", "OL_1_EFR___", "L1", "20040703T003000", "20040703T003200"),
    "S3B_SL_1_RBT____20190116T050535_20190116T050835_20190117T125958_0179_021_048_0000_LN2_O_NT_003.SEN3":
        ("S3_L1_NTC", "S3", "B", "SL_1_RBT___", "L1", "20190116T050535", "20190116T050835"),
    "S3A_SY_2_SYN____20200101T101010_20200101T101310_20200101T120000_0180_053_279_2700_LN2_O_ST_002.SEN3":
        ("S3_L2_STC", "S3", "A", "SY_2_SYN___", "L2", "20200101T101010", "20200101T101310"),
    "S3A_OL_0_EFR____20040703T005217_20040703T005417_20200827T072225_DDDD_001_002_FFFF_WER_D_NR_NNN.SEN3":
        ("S3_L0", "S3", "A", "OL_0_EFR___", "L0", "20040703T005217", "20040703T005417"),
    "S3A_SL_0_SLT__G_20040702T235915_20040703T000415_20150424T160530___________________WER_D_______.ISIP":
        ("S3_GRANULES", "S3", "A", "SL_0_SLT__G", "L0", "20040702T235915", "20040703T000415"),
    "S3A_OL_1_RAC____20200101T101010_20200101T101310_20200101T120000_0180_053_279_2700_LN1_O_NT_002.SEN3":
        ("S3_CAL", "S3", "A", "OL_1_RAC___", "L1", "20200101T101010", "20200101T101310"),
}

# name → (family, mission, platform, product_type, level, validity start, validity stop, generation)
VALIDITY = {
    "S1A_AUX_CAL_V20171017T080000_G20171013T101200.SAFE":
        ("AUXILIARY_FILE", "S1", "A", "AUX_CAL", "AUX", "20171017T080000", None, "20171013T101200"),
    "S1__AUX_TRO_V20190805T180000_20190805T235959_G20200518T084534.SAFE":
        ("AUXILIARY_FILE", "S1", "_", "AUX_TRO", "AUX", "20190805T180000", "20190805T235959", "20200518T084534"),
    "S1A_OPER_AUX_RESORB_OPOD_20171213T143838_V20171213T102737_20171213T134507.EOF":
        ("AUXILIARY_FILE", "S1", "A", "AUX_RESORB", "AUX", "20171213T102737", "20171213T134507", "20171213T143838"),
    "S1A_OPER_AUX_GNSSRD_POD__20171211T085403_V20140406T011619_20140406T235939":
        ("AUXILIARY_FILE", "S1", "A", "AUX_GNSSRD", "AUX", "20140406T011619", "20140406T235939", "20171211T085403"),
    "S1A_OPER_MPL_ORBPRE_20171208T200309_20171215T200309_0001.EOF":
        ("AUXILIARY_FILE", "S1", "A", "MPL_ORBPRE", "AUX", "20171208T200309", "20171215T200309", None),
    "S1A_OPER_REP__SUP___20181208T070000_20181208T111500_0001.EOF":
        ("PLAN_AND_REPORT", "S1", "A", "REP__SUP__", "OTHER", "20181208T070000", "20181208T111500", None),
    "S1B_OPER_AUX_OBMEMC_PDMC_20140212T000000.xml":
        ("AUXILIARY_FILE", "S1", "B", "AUX_OBMEMC", "AUX", "20140212T000000", None, None),
    "S1__OPER_MSK__LAND__V20140403T210200_G20200914T080808.EOF":
        ("AUXILIARY_FILE", "S1", "_", "MSK__LAND_", "AUX", "20140403T210200", None, "20200914T080808"),
    "S2A_OPER_AUX_SADATA_EPAE_20190222T003515_V20190221T190438_20190221T204519_A019158_WF_LN.zip":
        ("S2_SAD", "S2", "A", "AUX_SADATA", "AUX", "20190221T190438", "20190221T204519", "20190222T003515"),
    "S2B_OPER_GIP_ATMIMA_MPC__20170206T103051_V20170101T000000_21000101T000000_B00":
        ("S2_AUX", "S2", "B", "GIP_ATMIMA", "AUX", "20170101T000000", "21000101T000000", "20170206T103051"),
    "S2__OPER_DEM_GLOBEF_PDMC_20091210T235100_S20091210T235134":
        ("S2_AUX", "S2", "_", "DEM_GLOBEF", "AUX", "20091210T235134", None, "20091210T235100"),
    "S2A_OPER_GRI_MSIL1B_MPC__20160521T210047_R034_V20160210T062901_20160210T063303.SAFE":
        ("S2_AUX", "S2", "A", "GRI_MSIL1B", "AUX", "20160210T062901", "20160210T063303", "20160521T210047"),
    "S2__OPER_AUX_UT1UTC_PDMC_20191024T000000_V20191025T000000_20201024T000000.TGZ":
        ("S2_AUX", "S2", "_", "AUX_UT1UTC", "AUX", "20191025T000000", "20201024T000000", "20191024T000000"),
    "S3A_AX___BA__AX_20040702T223000_20040704T042158_20171130T082116___________________WER_D_AL____.SEN3":
        ("S3_AUX", "S3", "A", "AX___BA__AX", "AUX", "20040702T223000", "20040704T042158", "20171130T082116"),
}


@pytest.mark.parametrize("name", SENSING)
def test_a_product_name_gives_family_type_and_sensing_times(name: str) -> None:
    family, mission, platform, product_type, level, start, stop = SENSING[name]
    found = identify(name)
    assert (found.family, found.mission, found.platform, found.product_type, found.level) == (
        family, mission, platform, product_type, level)
    assert (found.start, found.stop) == (t(start) if start else None, t(stop) if stop else None)
    assert (found.validity_start, found.validity_stop) == (None, None)


@pytest.mark.parametrize("name", VALIDITY)
def test_an_aux_name_gives_family_type_validity_and_generation(name: str) -> None:
    family, mission, platform, product_type, level, start, stop, generation = VALIDITY[name]
    found = identify(name)
    assert (found.family, found.mission, found.platform, found.product_type, found.level) == (
        family, mission, platform, product_type, level)
    assert (found.validity_start, found.validity_stop, found.generation) == (
        t(start), t(stop) if stop else None, t(generation) if generation else None)
    assert (found.start, found.stop) == (None, None)


def test_the_archive_suffix_is_stripped_and_remembered_with_its_case() -> None:
    found = identify("S1A_IW_GRDH_1SDV_20180227T145344_20180227T145413_020794_023A69_C0B5.SAFE.ZIP")
    assert (found.name, found.archive_suffix, found.is_container) == (
        "S1A_IW_GRDH_1SDV_20180227T145344_20180227T145413_020794_023A69_C0B5.SAFE", ".ZIP", True)
    assert identify("S2__OPER_AUX_UT1UTC_PDMC_20191024T000000_V20191025T000000_20201024T000000.TGZ").name == (
        "S2__OPER_AUX_UT1UTC_PDMC_20191024T000000_V20191025T000000_20201024T000000")
    assert identify("S1A_OPER_AUX_RESORB_OPOD_20171213T143838_V20171213T102737_20171213T134507.EOF.zip").name == (
        "S1A_OPER_AUX_RESORB_OPOD_20171213T143838_V20171213T102737_20171213T134507.EOF")


def test_an_s1_isip_container_is_catalogued_under_its_safe_name() -> None:
    found = identify("S1A_IW_RAW__0SVH_20200120T124746_20200120T125111_030884_038B5E_9470.ISIP")
    assert found.name == "S1A_IW_RAW__0SVH_20200120T124746_20200120T125111_030884_038B5E_9470.SAFE"
    assert found.fields["ext"] == ".ISIP"


def test_metadata_files_and_packaging_follow_the_family() -> None:
    assert identify("S1A_IW_RAW__0SDV_20171213T121623_20171213T121656_019684_021735_C6DB.SAFE").metadata_files == (
        "manifest.safe",)
    granule = identify("S2A_OPER_MSI_L0__GR_SGS__20200420T205828_S20200322T173347_D01_N02.08")
    assert granule.metadata_files == ("manifest.safe", "Inventory_Metadata.xml",
                                      "S2A_OPER_MTD_L0__GR_SGS__20200420T205828_S20200322T173347_D01.xml")
    assert identify("S2B_MSIL1C_20240709T074619_N0510_R135_T40XFF_20240709T080457.SAFE").metadata_files == (
        "MTD_MSIL1C.xml", "manifest.safe")
    isip = identify("S3A_SL_0_SLT__G_20040702T235915_20040703T000415_20150424T160530___________________WER_D_______"
                    ".ISIP")
    assert isip.metadata_files == (
        "S3A_SL_0_SLT__G_20040702T235915_20040703T000415_20150424T160530___________________WER_D________iif.xml",)
    eof = identify("S1A_OPER_MPL_ORBPRE_20171208T200309_20171215T200309_0001.EOF")
    assert (eof.metadata_files, eof.is_container) == (("",), False)
    tc = identify("S2B_OPER_MSI_L1C_TC_EPAE_20191001T102654_A013417_T39UWP_N02.08.jp2")
    assert (tc.metadata_files, tc.is_container) == ((), False)


def test_s3_names_give_timeliness_and_creation() -> None:
    found = identify("S3B_SL_1_RBT____20190116T050535_20190116T050835_20190117T125958_0179_021_048_0000_LN2_O_NT_003"
                     ".SEN3")
    assert (found.timeliness, found.generation) == ("NT", t("20190117T125958"))
    assert found.fields["instance"] == "0179_021_048_0000"
    assert found.fields["centre"] == "LN2"


def test_s2_suffixes_are_kept_in_the_fields() -> None:
    found = identify("S2A_OPER_MSI_L1A_GR_MTI__20200101T125959_S20130401T123000_O123456_123457_V20091210T235134_"
                     "20091210T235224_D05_A123456_R123_T15SWC_N01.01_B8A_WP_LD")
    assert {k: v for k, v in found.fields.items() if k.startswith("suffix_")} == {
        "suffix_S": "20130401T123000", "suffix_O": "123456_123457", "suffix_V": "20091210T235134_20091210T235224",
        "suffix_D": "05", "suffix_A": "123456", "suffix_R": "123", "suffix_T": "15SWC", "suffix_N": "01.01",
        "suffix_B": "8A", "suffix_W": "P", "suffix_L": "D"}
    assert (found.family, found.start, found.stop) == ("S2_L1A_GR", t("20130401T123000"), None)


def test_a_session_descriptor_takes_mission_and_channel_from_its_delivery_path() -> None:
    found = identify("S1A/SESSION1/ch01/DCS_02_SESSION1_ch1_DSIB.xml")
    assert (found.name, found.family, found.mission, found.platform, found.product_type, found.level) == (
        "DCS_02_SESSION1_ch1_DSIB.xml", "EDRS_SESSION", "S1", "A", "SESSION", "RAW")
    assert found.session == SessionFile(station="", satellite="S1A", session_id="SESSION1", channel=1, kind="DSIB",
                                        chunk=None)
    assert (found.metadata_files, found.is_container) == (("",), False)


def test_a_station_session_chunk_takes_the_satellite_from_its_session_id() -> None:
    found = identify("MTI_/DCS_01_S1A_20200120185900030888_ch2_DSDB_00002.raw")
    assert (found.mission, found.platform, found.product_type) == ("S1", "A", "RAW")
    assert found.session == SessionFile(station="MTI_", satellite="S1A", session_id="S1A_20200120185900030888",
                                        channel=2, kind="DSDB", chunk=2)


def test_an_edrs_session_file_without_path_leaves_the_mission_to_the_inbox() -> None:
    found = identify("DCS_02_L20171109175634707000125_ch2_DSIB.xml")
    assert (found.mission, found.platform, found.session.satellite if found.session else None) == ("", "", "")


def test_a_longer_inbox_path_above_the_session_folders_is_accepted() -> None:
    found = identify("NOMINAL/S1A/SESSION1/ch01/DCS_02_SESSION1_ch1_DSDB_00001.raw")
    assert (found.mission, found.session) == ("S1", SessionFile(station="", satellite="S1A", session_id="SESSION1",
                                                                channel=1, kind="DSDB", chunk=1))


def test_identification_is_a_frozen_value() -> None:
    found = identify("S1A_AUX_CAL_V20171017T080000_G20171013T101200.SAFE")
    assert isinstance(found, Identification)
    with pytest.raises(AttributeError):
        found.name = "other"  # type: ignore[misc]


@pytest.mark.parametrize(("given", "reason"), [
    ("", "empty name"),
    ("../S1A_AUX_CAL_V20171017T080000_G20171013T101200.SAFE", "path traversal ('..')"),
    ("/inbox/S1A_AUX_CAL_V20171017T080000_G20171013T101200.SAFE", "absolute path"),
    ("inbox\\S1A_AUX_CAL_V20171017T080000_G20171013T101200.SAFE", "contains a backslash"),
    ("S1A_AUX_CAL\x00.SAFE", "contains a NUL character"),
    ("a//S1A_AUX_CAL_V20171017T080000_G20171013T101200.SAFE", "empty or '.' path component"),
    ("S1A_AUX_CAL_V20171017T080000_G20171013T101200.SAFE/manifest.safe", "a metadata file inside a product"),
    ("S1A_IW_RAW__0SDV_20171213T121623_20171213T121656_019684_021735_C6DB.SAFE/preview/quick-look.png",
     "a file inside the product S1A_IW_RAW__0SDV_20171213T121623_20171213T121656_019684_021735_C6DB.SAFE"),
    ("s1a_iw_raw__0sdv_20171213t121623_20171213t121656_019684_021735_c6db.safe", "lower-case variant"),
    ("S1A_IW_RAW__0SDV_20171213T121623_20171213T121656_019684_021735_c6db.SAFE", "lower-case variant"),
    ("S2A_OPER_MSI_L0__DS_SGS__20191001T101733_S20191001T083647_N02.", "it looks truncated"),
    ("S1A_IW_GRDH_1SDV_20180227T145344_20180227T145413_020794_023A69", "does not match any Sentinel-1 pattern"),
    ("S1A_IW_RAW__0SDV_20171313T121623_20171213T121656_019684_021735_C6DB.SAFE",
     "impossible sensing start 20171313T121623"),
    ("S1A_IW_RAW__0SDV_20171213T121656_20171213T121623_019684_021735_C6DB.SAFE",
     "stop 20171213T121623 is before start 20171213T121656"),
    ("S1A_IW_RAW__1SDV_20171213T121623_20171213T121656_019684_021735_C6DB.SAFE",
     "product type RAW does not exist at level 1"),
    ("S1A_IW_GRD__1SDV_20171213T121623_20171213T121656_019684_021735_C6DB.SAFE",
     "resolution '_' is not valid for GRD products"),
    ("S2A_OPER_REP_OPDPC__SGS__20191001T101733_S20191001T083647", "no Sentinel-2 family for file type REP_OPDPC_"),
    ("S2__OPER_MSI_L0__DS_SGS__20191001T101733_S20191001T083647_N02.08", "needs a satellite unit"),
    ("S3A_OL_2_LFR____20200101T101010_20200101T101310_20200101T120000_0180_053_279_2700_LN1_O_AL_002.SEN3",
     "a level-2 product needs the timeliness NR, ST or NT, not 'AL'"),
    ("S1A/SESSION2/ch01/DCS_02_SESSION1_ch1_DSIB.xml", "session directory SESSION2 is not the session SESSION1"),
    ("S1A/SESSION1/ch02/DCS_02_SESSION1_ch1_DSIB.xml", "channel 1 of the file name is not the channel of the "
                                                       "directory ch02"),
    ("S1B/DCS_01_S1A_20200120185900030888_ch2_DSDB_00002.raw", "directory S1B is not the satellite S1A"),
    ("DCS_02_SESSION1_ch1_DSIB_00001.xml", "a DSIB descriptor is DCS_…_DSIB.xml"),
    ("DCS_02_SESSION1_ch1_DSDB.raw", "a DSDB chunk is DCS_…_DSDB_<nnnnn>.raw"),
    ("DCS_02_S1A_20201320185900030888_ch1_DSIB.xml", "impossible session time 20201320T185900"),
    ("S1A-SLC-20240802T060723-15805-IW1-VH-040352", "a CDSE Sentinel-1 burst id"),
    ("S3A_SL_0_SLT__G_20040702T235915_20040703T000415_20150424T160530___________________WER_D________iif.xml",
     "the information file inside the ISIP granule S3A_SL_0_SLT__G_20040702T235915_20040703T000415_20150424T160530"
     "___________________WER_D_______.ISIP; identify the container"),
    ("S1A_AUX_CAL_V20171017T080000_G20171013T101200.SAFE.md5", "a checksum companion file"),
    ("S1A AUX_CAL.SAFE", "contains whitespace or control characters"),
    (".zip", "only an archive extension"),
    ("S" * 300, "longer than 255 characters"),
    ("xxxxxxxx.06.tar", "matches no Sentinel product, auxiliary, Earth Explorer or session file pattern"),
])
def test_a_name_that_is_not_a_product_is_refused_with_its_reason(given: str, reason: str) -> None:
    with pytest.raises(UnrecognisedName) as refused:
        identify(given)
    assert reason in str(refused.value)
    assert refused.value.code == "unrecognised_name"


def test_every_family_the_names_produce_has_an_extraction() -> None:
    from rs.catalog.choices import ProductFamily
    from rs.ingestion.extraction.registry import BY_FAMILY, WITHOUT_READER

    # set by the production chains that write them: PDU-assembled S3 products (sentinel3.py), S1 specific
    # processing outputs (no name pattern in naming-and-metadata.md §2)
    not_from_names = {"S3_PUG", "SPP_OBS", "SPP_MBU"}
    assert {f.value for f in ProductFamily} - set(BY_FAMILY) - set(WITHOUT_READER) - not_from_names == {
        "AUXILIARY_FILE", "PLAN_AND_REPORT"}  # SAFE aux and Earth Explorer files: extracted by their pattern
