"""Earth Explorer files (XML aux, masks, plans and reports): the Fixed_Header; CDSE aux without extension: the name."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest

from rs.catalog.services import ProductMetadata
from rs.ingestion.extraction import ExtractionError, ProductReader, extract_metadata
from rs.ingestion.names import identify
from rs.ingestion.tests.fixtures.documents import earth_explorer_file

OPEN = datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def write(tmp_path: Path, name: str, **header: str) -> Path:
    path = tmp_path / name
    path.write_text(earth_explorer_file(file_name=name.rsplit(".", 1)[0], **header))
    return path


def extract(path: Path) -> ProductMetadata:
    with ProductReader.open(path) as reader:
        return extract_metadata(identify(path.name), reader)


def test_an_xml_aux_takes_its_stop_from_the_header(tmp_path: Path) -> None:
    metadata = extract(write(tmp_path, "S1B_OPER_AUX_OBMEMC_PDMC_20140212T000000.xml", file_type="AUX_OBMEMC",
                             mission="Sentinel-1B", start="UTC=2014-02-12T00:00:00",
                             stop="UTC=2099-12-31T00:00:00", creation="UTC=2014-02-10T08:00:00", system="PDMC"))
    assert (metadata.family, metadata.platform, metadata.validity_start, metadata.validity_stop) == (
        "AUXILIARY_FILE", "B", utc("2014-02-12T00:00:00"), utc("2099-12-31T00:00:00"))
    assert (metadata.generation_date, metadata.attributes["processingCenter"]) == (utc("2014-02-10T08:00:00"), "PDMC")


def test_a_mask_is_valid_from_its_start_without_end(tmp_path: Path) -> None:
    metadata = extract(write(tmp_path, "S1__OPER_MSK__LAND__V20140403T210200_G20200914T080808.EOF",
                             file_type="MSK__LAND_", mission="Sentinel-1", start="UTC=2014-04-03T21:02:00",
                             stop="UTC=9999-99-99T99:99:99", creation="UTC=2020-09-14T08:08:08", system="MPC"))
    assert (metadata.platform, metadata.validity_start, metadata.validity_stop) == (
        "_", utc("2014-04-03T21:02:00"), OPEN)
    assert "platformSerialIdentifier" not in metadata.attributes


def test_a_support_report_is_a_plan_and_report(tmp_path: Path) -> None:
    metadata = extract(write(tmp_path, "S1A_OPER_REP__SUP___20181208T070000_20181208T111500_0001.EOF",
                             file_type="REP__SUP__", mission="Sentinel-1A", start="UTC=2018-12-08T07:00:00",
                             stop="UTC=2018-12-08T11:15:00", creation="UTC=2018-12-08T06:00:00", system="FOS",
                             creator="MPS", version="2.1"))
    assert (metadata.family, metadata.level, metadata.content_start, metadata.content_end) == (
        "PLAN_AND_REPORT", "OTHER", utc("2018-12-08T07:00:00"), utc("2018-12-08T11:15:00"))
    assert {k: metadata.attributes[k] for k in ("processorName", "processorVersion", "processingDate")} == {
        "processorName": "MPS", "processorVersion": "2.1", "processingDate": utc("2018-12-08T06:00:00")}


def test_a_header_contradicting_the_name_is_logged_and_the_name_wins(tmp_path: Path,
                                                                    caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="rs.ingestion.extraction"):
        metadata = extract(write(
            tmp_path, "S1A_OPER_AUX_RESORB_OPOD_20171213T143838_V20171213T102737_20171213T134507.EOF",
            file_type="AUX_RESORB", mission="Sentinel-1B", start="UTC=2017-12-13T10:27:37",
            stop="UTC=2017-12-13T16:00:00", creation="UTC=2017-12-13T14:38:38"))
    assert (metadata.platform, metadata.validity_stop) == ("A", utc("2017-12-13T13:45:07"))
    assert "Mission 'S1B' in the files, 'S1A' in the name: the name wins" in caplog.text
    assert "validity stop 2017-12-13T16:00:00+00:00 in the files" in caplog.text


def test_a_cdse_aux_without_extension_is_described_by_its_name() -> None:
    metadata = extract_metadata(identify("S1A_OPER_AUX_GNSSRD_POD__20171211T085403_V20140406T011619_20140406T235939"),
                                None)
    assert (metadata.product_type, metadata.validity_start, metadata.validity_stop) == (
        "AUX_GNSSRD", utc("2014-04-06T01:16:19"), utc("2014-04-06T23:59:39"))
    assert metadata.attributes["processingCenter"] == "POD_"


def test_a_file_without_fixed_header_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "S1A_OPER_MPL_ORBPRE_20171208T200309_20171215T200309_0001.EOF"
    path.write_text("<Earth_Explorer_File><Data_Block/></Earth_Explorer_File>")
    with pytest.raises(ExtractionError) as error:
        extract(path)
    assert str(error.value) == f"{path.name}: no Earth Explorer Fixed_Header"
