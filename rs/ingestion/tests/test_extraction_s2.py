"""Sentinel-2 extraction: the real granule and datastrip samples field by field, and fixtures of user products,
tiles, HKTM, SAD and aux."""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path

from rs.catalog.services import ProductMetadata
from rs.ingestion.extraction import ProductReader, extract_metadata, quicklook_of
from rs.ingestion.names import identify
from rs.ingestion.tests.fixtures.documents import earth_explorer_file
from rs.ingestion.tests.fixtures.documents_s2_s3 import (
    JP2_SIGNATURE,
    s2_hktm_manifest,
    s2_inventory,
    s2_tile_mtd,
    s2_user_mtd,
)
from rs.ingestion.tests.fixtures.packaging import write_folder, write_zip
from rs.ingestion.tests.fixtures.samples import sample


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def extract(path: Path, delivered: str | None = None) -> ProductMetadata:
    with ProductReader.open(path) as reader:
        return extract_metadata(identify(delivered or path.name), reader)


S2 = {"origin": "ESA", "authority": "ESA", "platformShortName": "SENTINEL-2", "platformSerialIdentifier": "A",
      "instrumentShortName": "MSI"}


def test_the_20191001_granule_merges_inventory_and_mtd() -> None:
    name = "S2A_OPER_MSI_L0__GR_SGS__20191001T101733_S20191001T083650_D01_N02.08"
    metadata = extract(sample(f"s2/{name}"))
    assert (metadata.family, metadata.product_type, metadata.level, metadata.mode, metadata.timeliness) == (
        "S2_L0_GR", "MSI_L0__GR", "L0", "", "")
    assert (metadata.content_start, metadata.content_end) == (utc("2019-10-01T08:36:50.840"),
                                                              utc("2019-10-01T08:36:50.840"))
    assert metadata.generation_date == utc("2019-10-01T10:17:33")
    assert metadata.footprint is not None
    assert metadata.footprint.wkt == (
        "MULTIPOLYGON (((36.012719203864 48.4255437011909, 35.8754856182544 48.0615335354928, "
        "36.2301956943322 48.0129223197342, 36.3680125728466 48.3755327752305, 36.012719203864 48.4255437011909)))")
    assert metadata.attributes == {
        **S2, "productType": "MSI_L0__GR",
        "beginningDateTime": utc("2019-10-01T08:36:50.840"), "endingDateTime": utc("2019-10-01T08:36:50.840"),
        "processingDate": utc("2019-10-01T10:17:33"), "processingCenter": "SGS_", "processorName": "L0_Processor",
        "processorVersion": "2.3.4", "processingBaseline": "02.08", "processingLevel": "LEVEL0",
        "orbitNumber": 22326, "productGroupId": "GS2A_20191001T082741_022326_N02.08",
        "datastripId": "S2A_OPER_MSI_L0__DS_SGS__20191001T101733_S20191001T083647_N02.08", "granuleIdentifier": name,
        "cloudCover": 0.0, "qualityInfo": "100.0", "qualityStatus": "NOMINAL",
        "coordinates": "48.4255437011909 36.012719203864 48.0615335354928 35.8754856182544 48.0129223197342 "
                       "36.2301956943322 48.3755327752305 36.3680125728466 48.4255437011909 36.012719203864",
    }


def test_the_20200420_granule_reads_its_mtd_footprint_without_heights() -> None:
    metadata = extract(sample("s2/S2A_OPER_MSI_L0__GR_SGS__20200420T205828_S20200322T173347_D01_N02.08"))
    assert (metadata.content_start, metadata.generation_date) == (utc("2020-03-22T17:33:47.072"),
                                                                  utc("2020-04-20T20:58:28"))
    assert metadata.footprint is not None
    ring = metadata.footprint[0][0].coords
    assert ring[0] == (-113.51891008938, -34.6890547498426)
    assert len(ring) == 5
    assert sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in pairwise(ring)) > 0  # CCW
    assert {k: metadata.attributes.get(k) for k in ("cloudCover", "qualityInfo", "qualityStatus", "datastripId",
                                                    "productGroupId", "orbitNumber")} == {
        "cloudCover": 31.4726, "qualityInfo": "0", "qualityStatus": "NOMINAL",
        "datastripId": "S2A_OPER_MSI_L0__DS_SGS__20200420T205828_S20200322T173347_N02.08", "productGroupId": None,
        "orbitNumber": None}


def test_the_20200420_datastrip_is_described_by_its_manifest_alone() -> None:
    metadata = extract(sample("s2/S2A_OPER_MSI_L0__DS_SGS__20200420T205828_S20200322T173347_N02.08"))
    assert (metadata.family, metadata.mode, metadata.content_start, metadata.content_end, metadata.footprint) == (
        "S2_L0_DS", "INS-VIC", utc("2020-03-22T17:33:47.072"), None, None)
    assert metadata.attributes == {
        **S2, "productType": "MSI_L0__DS", "beginningDateTime": utc("2020-03-22T17:33:47.072"),
        "processingDate": utc("2020-04-20T20:58:28"), "processingCenter": "SGS_", "processingBaseline": "02.08",
        "processingLevel": "LEVEL0", "operationalMode": "INS-VIC", "orbitNumber": 24805, "relativeOrbitNumber": 69,
        "productGroupId": "GS2A_20200322T173341_024805_N02.08",
    }


def user_product(tmp_path: Path, name: str, level: str) -> Path:
    tile = name.split("_")[5]
    mtd = s2_user_mtd(level=level, start="2024-07-09T07:46:19.024Z", generation="2024-07-09T08:04:57.000000Z",
                      datatake="GS2B_20240709T074619_038266_N05.10",
                      datastrip="S2B_OPER_MSI_L1C_DS_2BPS_20240709T080457_S20240709T074615_N05.10", cloud="12.5",
                      footprint="77.5 55.0 77.5 60.0 76.5 60.0 76.5 55.0 77.5 55.0")
    return write_folder(tmp_path, name, {
        f"MTD_MSI{level}.xml": mtd, "manifest.safe": "<xfdu:XFDU xmlns:xfdu='urn:ccsds:schema:xfdu:1'/>",
        f"GRANULE/{level}_{tile}_A038266_20240709T074615/QI_DATA/{tile}_20240709T074619_PVI.jp2": JP2_SIGNATURE,
        f"GRANULE/{level}_{tile}_A038266_20240709T074615/IMG_DATA/{tile}_20240709T074619_B02.jp2": JP2_SIGNATURE,
    })


def test_an_l1c_user_product_gets_the_cdse_attributes_from_its_mtd(tmp_path: Path) -> None:
    name = "S2B_MSIL1C_20240709T074619_N0510_R135_T40XFF_20240709T080457.SAFE"
    metadata = extract(user_product(tmp_path, name, "L1C"))
    assert (metadata.family, metadata.product_type, metadata.level, metadata.mode) == (
        "S2_USER_PRODUCT", "S2MSI1C", "L1", "INS-NOBS")
    assert (metadata.content_start, metadata.content_end, metadata.generation_date) == (
        utc("2024-07-09T07:46:19.024"), utc("2024-07-09T07:46:19.024"), utc("2024-07-09T08:04:57"))
    assert metadata.footprint is not None
    assert metadata.footprint.wkt == "MULTIPOLYGON (((55 76.5, 60 76.5, 60 77.5, 55 77.5, 55 76.5)))"
    assert metadata.attributes == {
        **S2, "platformSerialIdentifier": "B", "productType": "S2MSI1C",
        "beginningDateTime": utc("2024-07-09T07:46:19.024"), "endingDateTime": utc("2024-07-09T07:46:19.024"),
        "processingDate": utc("2024-07-09T08:04:57"), "processorVersion": "05.10", "processingBaseline": "05.10",
        "processingLevel": "S2MSI1C", "operationalMode": "INS-NOBS", "orbitNumber": 38266,
        "relativeOrbitNumber": 135, "productGroupId": "GS2B_20240709T074619_038266_N05.10",
        "datastripId": "S2B_OPER_MSI_L1C_DS_2BPS_20240709T080457_S20240709T074615_N05.10", "tileId": "40XFF",
        "cloudCover": 12.5, "coordinates": "77.5 55.0 77.5 60.0 76.5 60.0 76.5 55.0 77.5 55.0",
    }


def test_an_l2a_user_product_and_its_pvi_quicklook(tmp_path: Path) -> None:
    name = "S2B_MSIL2A_20240709T074619_N0510_R135_T40XFF_20240709T090011.SAFE"
    folder = user_product(tmp_path, name, "L2A")
    with ProductReader.open(write_zip(tmp_path / f"{name}.zip", {
            p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()},
            top=name)) as reader:
        identification = identify(f"{name}.zip")
        metadata = extract_metadata(identification, reader)
        quicklook = quicklook_of(identification, reader)
    assert (metadata.product_type, metadata.level, metadata.attributes["processingLevel"]) == ("S2MSI2A", "L2",
                                                                                               "S2MSI2A")
    assert quicklook == ("T40XFF_20240709T074619_PVI.jp2", JP2_SIGNATURE, "image/jp2")


def test_a_l1c_tile_reads_its_mtd_and_inventory(tmp_path: Path) -> None:
    name = "S2B_OPER_MSI_L1C_TL_REFS_20221124T170956_A029232_T40MBT_N04.00"
    datastrip = "S2B_OPER_MSI_L1C_DS_REFS_20221124T170956_S20221011T064025_N04.00"
    inventory = s2_inventory(
        file_id=name, file_type="MSI_L1C_TL", parent=datastrip, group="GS2B_20221011T064029_029232_N04.00",
        generation="2022-11-24T17:09:56.000000", start="2022-10-11T06:40:29.000000",
        stop="2022-10-11T06:40:29.000000", orbit="029232", station="REFS", satellite="S2B", cloud="12.0",
        points=(("-3.6", "54.0"), ("-3.6", "55.0"), ("-4.6", "55.0"), ("-4.6", "54.0"), ("-3.6", "54.0")))
    mtd = s2_tile_mtd(tile_id=name, datastrip=datastrip, sensing="2022-10-11T06:40:29.456Z", zenith="35.25",
                      cloud="11.75")
    metadata = extract(write_folder(tmp_path, name, {
        "Inventory_Metadata.xml": inventory, "S2B_OPER_MTD_L1C_TL_REFS_20221124T170956_A029232_T40MBT.xml": mtd}))
    assert (metadata.family, metadata.content_start, metadata.content_end) == (
        "S2_L1C_TL", utc("2022-10-11T06:40:29.456"), utc("2022-10-11T06:40:29.456"))
    assert metadata.footprint is not None
    assert metadata.footprint.wkt == "MULTIPOLYGON (((54 -4.6, 55 -4.6, 55 -3.6, 54 -3.6, 54 -4.6)))"
    assert {k: metadata.attributes.get(k) for k in (
        "tileId", "illuminationZenithAngle", "cloudCover", "datastripId", "productGroupId", "orbitNumber",
        "processingCenter", "processorVersion", "processingLevel", "qualityStatus", "granuleIdentifier")} == {
        "tileId": "40MBT", "illuminationZenithAngle": 35.25, "cloudCover": 11.75, "datastripId": datastrip,
        "productGroupId": "GS2B_20221011T064029_029232_N04.00", "orbitNumber": 29232, "processingCenter": "REFS",
        "processorVersion": "5.1.0", "processingLevel": "LEVEL1C", "qualityStatus": "NOMINAL",
        "granuleIdentifier": name}


def test_hktm_reads_its_manifest(tmp_path: Path) -> None:
    name = "S2A_OPER_PRD_HKTM___20191203T051837_20191203T051842_0001.SAFE"
    metadata = extract(write_folder(tmp_path, name, {"manifest.safe": s2_hktm_manifest()}))
    assert (metadata.family, metadata.content_start, metadata.content_end, metadata.generation_date) == (
        "S2_HKTM", utc("2019-12-03T05:18:37.25"), utc("2019-12-03T05:18:42.75"), utc("2019-12-03T05:40:00"))
    assert metadata.attributes == {
        **S2, "instrumentShortName": "HKTM", "productType": "PRD_HKTM__",
        "beginningDateTime": utc("2019-12-03T05:18:37.25"), "endingDateTime": utc("2019-12-03T05:18:42.75"),
        "processingDate": utc("2019-12-03T05:40:00"), "processingCenter": "MTI_", "orbitNumber": 23282,
        "lastOrbitNumber": 23283, "relativeOrbitNumber": 19,
    }


def test_sad_reads_its_inventory_inside_a_zip(tmp_path: Path) -> None:
    name = "S2A_OPER_AUX_SADATA_EPAE_20190222T003515_V20190221T190438_20190221T204519_A019158_WF_LN"
    inventory = s2_inventory(file_id=name, file_type="AUX_SADATA", parent=None, group=None,
                             generation="2019-02-22T00:35:15.000000", start="2019-02-21T19:04:38.500000",
                             stop="2019-02-21T20:45:19.250000", orbit="019158", station="EPAE", satellite="S2A",
                             quality="98.5", points=())
    archive = write_zip(tmp_path / f"{name}.zip", {"Inventory_Metadata.xml": inventory, "DATA/sad.bin": b"\1" * 64},
                        top=name)
    metadata = extract(archive)
    assert (metadata.family, metadata.level, metadata.validity_start, metadata.validity_stop) == (
        "S2_SAD", "AUX", utc("2019-02-21T19:04:38.5"), utc("2019-02-21T20:45:19.25"))
    assert {k: metadata.attributes.get(k) for k in ("instrumentShortName", "orbitNumber", "lastOrbitNumber",
                                                    "qualityInfo", "qualityStatus", "processingCenter")} == {
        "instrumentShortName": "SAD", "orbitNumber": 19158, "lastOrbitNumber": 19158, "qualityInfo": "98.5",
        "qualityStatus": "DEGRADED", "processingCenter": "EPAE"}


def test_an_s2_gip_is_described_by_its_name_alone() -> None:
    identification = identify("S2B_OPER_GIP_ATMIMA_MPC__20170206T103051_V20170101T000000_21000101T000000_B00")
    metadata = extract_metadata(identification, None)
    assert (metadata.family, metadata.validity_start, metadata.validity_stop, metadata.generation_date) == (
        "S2_AUX", utc("2017-01-01T00:00:00"), utc("2100-01-01T00:00:00"), utc("2017-02-06T10:30:51"))
    assert metadata.attributes == {
        "origin": "ESA", "authority": "ESA", "platformShortName": "SENTINEL-2", "platformSerialIdentifier": "B",
        "productType": "GIP_ATMIMA", "beginningDateTime": utc("2017-01-01T00:00:00"),
        "endingDateTime": utc("2100-01-01T00:00:00"), "processingDate": utc("2017-02-06T10:30:51"),
        "processingCenter": "MPC_",
    }


def test_an_s2_orbit_file_is_read_from_its_header(tmp_path: Path) -> None:
    name = "S2A_OPER_AUX_PREORB_OPOD_20170617T092226_V20170617T110120_20170617T142243.EOF"
    (tmp_path / name).write_text(earth_explorer_file(
        file_name=name[:-4], file_type="AUX_PREORB", mission="Sentinel-2A", start="UTC=2017-06-17T11:01:20",
        stop="UTC=2017-06-17T14:22:43", creation="UTC=2017-06-17T09:22:26"))
    metadata = extract(tmp_path / name)
    assert (metadata.family, metadata.validity_start, metadata.validity_stop) == (
        "S2_AUX", utc("2017-06-17T11:01:20"), utc("2017-06-17T14:22:43"))
    assert metadata.attributes["processingCenter"] == "OPOD"
