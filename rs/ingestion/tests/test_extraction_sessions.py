"""Session files: the real DSIB sample, DSDB chunks from their name, descriptors refused when not DSIBs."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path

import pytest

from rs.ingestion.extraction import ExtractionError, ProductReader, extract_metadata, session_descriptor_read
from rs.ingestion.names import identify
from rs.ingestion.tests.fixtures.samples import sample

DSIB = "session/S1A/SESSION1/ch01/DCS_02_SESSION1_ch1_DSIB.xml"


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_the_dsib_sample_gives_the_session_times_and_keeps_both_session_ids() -> None:
    with ProductReader.open(sample(DSIB)) as reader:
        metadata = extract_metadata(identify(DSIB.removeprefix("session/")), reader)
    assert (metadata.mission, metadata.platform, metadata.family, metadata.product_type, metadata.level) == (
        "S1", "A", "EDRS_SESSION", "SESSION", "RAW")
    assert (metadata.content_start, metadata.content_end, metadata.generation_date, metadata.footprint) == (
        utc("2017-12-13T14:59:48"), utc("2017-12-13T15:17:25"), utc("2017-12-13T14:59:48"), None)
    assert metadata.attributes == {
        "origin": "ESA", "authority": "ESA", "platformShortName": "SENTINEL-1", "platformSerialIdentifier": "A",
        "productType": "SESSION", "beginningDateTime": utc("2017-12-13T14:59:48"),
        "endingDateTime": utc("2017-12-13T15:17:25"), "sessionId": "SESSION1", "channel": 1,
        "descriptorSessionId": "L20171109175634707000125", "dataSize": 36014692600, "dsdbCount": 35,
    }


def test_the_descriptor_lists_the_chunks_of_its_channel() -> None:
    descriptor = session_descriptor_read(sample(DSIB).read_bytes())
    assert (descriptor.session_id, descriptor.time_finished, descriptor.data_size) == (
        "L20171109175634707000125", utc("2017-12-13T15:16:58"), 36014692600)
    assert descriptor.dsdb_names[0] == "DCS_02_L20171109175634707000125_ch1_DSDB_00001.raw"
    assert descriptor.dsdb_names[-1] == "DCS_02_L20171109175634707000125_ch1_DSDB_00035.raw"


def test_a_chunk_is_described_by_its_name_without_reading_it() -> None:
    metadata = extract_metadata(identify("DCS_01_S1A_20200120185900030888_ch2_DSDB_00002.raw"), None)
    assert (metadata.product_type, metadata.content_start) == ("RAW", None)
    assert {k: metadata.attributes[k] for k in ("sessionId", "channel", "blockNumber")} == {
        "sessionId": "S1A_20200120185900030888", "channel": 2, "blockNumber": 2}


def test_a_session_file_without_mission_needs_the_inbox_to_supply_it(tmp_path: Path) -> None:
    identification = identify("DCS_02_L20191003131732787001008_ch1_DSDB_00001.raw")
    with pytest.raises(ExtractionError) as error:
        extract_metadata(identification, None)
    assert "carry no mission/satellite: the inbox must supply them" in str(error.value)
    metadata = extract_metadata(dataclasses.replace(identification, mission="S1", platform="B"), None)
    assert (metadata.mission, metadata.platform) == ("S1", "B")


@pytest.mark.parametrize(("content", "reason"), [
    (b"<Other><session_id>X</session_id></Other>", "root element Other is not DCSU_Session_Information_Block"),
    (b"<DCSU_Session_Information_Block><time_start>now</time_start></DCSU_Session_Information_Block>",
     "no session_id"),
    (b"<DCSU_Session_Information_Block><session_id>X</session_id><time_start>now</time_start>"
     b"</DCSU_Session_Information_Block>", "time_start 'now' is not a date and time"),
])
def test_a_bad_descriptor_is_refused_with_the_reason(tmp_path: Path, content: bytes, reason: str) -> None:
    path = tmp_path / "DCS_02_SESSION1_ch1_DSIB.xml"
    path.write_bytes(content)
    with ProductReader.open(path) as reader, pytest.raises(ExtractionError) as error:
        extract_metadata(identify(f"S1A/SESSION1/ch01/{path.name}"), reader)
    assert str(error.value) == f"DCS_02_SESSION1_ch1_DSIB.xml: {reason}"
