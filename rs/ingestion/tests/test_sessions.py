"""Downlink sessions are emitted (one session product, one `created` event) only when complete; incomplete ones show
what they lack."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import pytest

from rs.catalog.models import CatalogEvent, Product
from rs.ingestion.choices import EntryState, SessionState
from rs.ingestion.demo import DEMO_T0
from rs.ingestion.demo.sessions import session as write_session
from rs.ingestion.models import Session
from rs.ingestion.selectors import sessions_incomplete
from rs.ingestion.sessions import SESSION_PRODUCT_TYPE, SessionMissing
from rs.ingestion.tests.ingestion_support import SAMPLES, directory_inbox, entry_of, ingest_now

SESSION_ID = "S1A_20261120102500061234"
CH2_CHUNK2 = f"DCS_02_{SESSION_ID}_ch2_DSDB_00002.raw"


def _delivery(tmp_path: Path) -> dict[str, Path]:
    """The six files of a two-channel session, written in a staging tree (moved into the inbox by the tests)."""
    staging = tmp_path / "staging"
    written = write_session(staging, station="MTI_", satellite="S1A", start=DEMO_T0 + timedelta(minutes=25),
                            orbit=61234)
    return {w.name: w.path for w in written}


def _deliver(files: dict[str, Path], names: list[str], inbox_dir: Path, staging: Path) -> None:
    for name in names:
        target = inbox_dir / files[name].relative_to(staging)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(files[name], target)


def test_a_session_is_emitted_only_once_both_channels_and_every_listed_chunk_are_catalogued(db, tmp_path: Path):
    files = _delivery(tmp_path)
    inbox_dir = tmp_path / "inbox"
    inbox = directory_inbox(inbox_dir)
    channel1 = [n for n in files if "_ch1_" in n]

    # channel 1 only: its DSIB lists two chunks, both present; channel 2 has no DSIB yet
    _deliver(files, channel1, inbox_dir, tmp_path / "staging")
    assert ingest_now(inbox) == {EntryState.INGESTED: 3}
    [(session, missing)] = sessions_incomplete()
    assert (session.session_id, session.satellite, session.station) == (SESSION_ID, "S1A", "MTI_")
    assert missing == SessionMissing(dsib_channels=(2,), chunks=())
    assert not Product.objects.filter(product_type=SESSION_PRODUCT_TYPE).exists()

    # channel 2's DSIB and its first chunk: the second chunk it lists is missing
    _deliver(files, [f"DCS_02_{SESSION_ID}_ch2_DSIB.xml", f"DCS_02_{SESSION_ID}_ch2_DSDB_00001.raw"], inbox_dir,
             tmp_path / "staging")
    ingest_now(inbox)
    [(_, missing)] = sessions_incomplete()
    assert missing == SessionMissing(dsib_channels=(), chunks=(CH2_CHUNK2,))
    assert not Product.objects.filter(product_type=SESSION_PRODUCT_TYPE).exists()

    # the last chunk completes the session: one product, made of the six files, with one `created` event
    _deliver(files, [CH2_CHUNK2], inbox_dir, tmp_path / "staging")
    ingest_now(inbox)
    assert sessions_incomplete() == []
    product = Product.objects.get(product_type=SESSION_PRODUCT_TYPE)
    assert (product.name, product.family, product.mission, product.platform) == (SESSION_ID, "EDRS_SESSION", "S1",
                                                                                 "A")
    assert sorted(product.inputs.values_list("name", flat=True)) == sorted(files)
    assert product.content_start == DEMO_T0 + timedelta(minutes=25)
    assert product.publication_date is None and product.storage_key == ""
    assert [e.kind for e in CatalogEvent.objects.filter(product_id=product.id)] == ["created"]
    session = Session.objects.get()
    assert (session.state, session.product_id) == (SessionState.COMPLETE, product.id)

    # the same files delivered again elsewhere change nothing
    again = directory_inbox(tmp_path / "again", name="again")
    _deliver(files, list(files), tmp_path / "again", tmp_path / "staging")
    assert ingest_now(again) == {EntryState.INGESTED: 6}
    assert Product.objects.filter(product_type=SESSION_PRODUCT_TYPE).count() == 1


def test_a_session_file_whose_mission_nothing_tells_needs_the_inbox_mission(db, tmp_path: Path):
    files = _delivery(tmp_path)
    dsib = f"DCS_02_{SESSION_ID}_ch1_DSIB.xml"
    edrs_name = dsib.replace(SESSION_ID, "L20171109175634707000125")
    for name, mission in ((edrs_name, ""), (edrs_name.replace("_ch1_", "_ch2_"), "S1")):
        inbox = directory_inbox(tmp_path / f"inbox-{mission or 'none'}", name=f"edrs-{mission or 'none'}",
                                mission=mission)
        (tmp_path / f"inbox-{mission or 'none'}" / name).write_bytes(files[dsib].read_bytes())
        ingest_now(inbox)
        entry = entry_of(inbox, name)
        if mission:
            assert entry.state == EntryState.INGESTED
            assert Product.objects.get(name=name).platform == "_"
        else:
            assert entry.state == EntryState.FAILED
            assert entry.reason == (f"{name}: neither the name nor the path tells the mission, and inbox "
                                    "edrs-none has no mission configured")


@pytest.mark.skipif(not (SAMPLES / "session").is_dir(), reason="needs /work/shared/samples")
def test_the_sample_dsib_is_catalogued_and_its_session_shows_what_it_lacks(db, tmp_path: Path):
    shutil.copytree(SAMPLES / "session", tmp_path / "inbox")
    inbox = directory_inbox(tmp_path / "inbox")
    assert ingest_now(inbox) == {EntryState.INGESTED: 1}
    [(session, missing)] = sessions_incomplete()
    # grouped by the file name's session id (SESSION1); the descriptor lists chunks of its own id
    assert (session.session_id, session.satellite) == ("SESSION1", "S1A")
    assert missing.dsib_channels == (2,)
    assert len(missing.chunks) == 35
    assert missing.chunks[0] == "DCS_02_L20171109175634707000125_ch1_DSDB_00001.raw"
