"""A CADIP pickup point on a live local server: sessions by PublicationDate, files per channel until the FinalBlock,
a DSIB synthesised per finished channel, the session emitted once complete."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.utils import timezone

from rs.catalog.models import Product
from rs.ingestion import services
from rs.ingestion.choices import EntryState
from rs.ingestion.demo.writing import payload
from rs.ingestion.extraction import session_descriptor_read
from rs.ingestion.models import Inbox, InboxEntry, Session
from rs.ingestion.sessions import SESSION_PRODUCT_TYPE
from rs.ingestion.tests.ingestion_support import states_of
from rs.ingestion.tests.remote_servers import CadipServer

SESSION_ID = "S1A_20261120102500061234"


@pytest.fixture
def cadip() -> Iterator[CadipServer]:
    with CadipServer(auth="basic").running() as server:
        yield server  # type: ignore[misc]


def _inbox(server: CadipServer) -> Inbox:
    return services.inbox_create(name="cadip", kind="cadip", location=server.base_url, page_size=3, lag_s=0,
                                 start_date=timezone.now() - timedelta(days=1), **server.inbox_options)


def _chunk(server: CadipServer, channel: int, block: int, *, final: bool) -> None:
    name = f"DCS_02_{SESSION_ID}_ch{channel}_DSDB_{block:05d}.raw"
    server.add_file(SESSION_ID, name=name, channel=channel, block=block, final=final, data=payload(name, 5000),
                    published=timezone.now() - timedelta(minutes=30 - block))


def _cycle(inbox: Inbox) -> None:
    services.inbox_poll(inbox_id=inbox.pk, enqueue=False)
    services.inbox_drain(inbox_id=inbox.pk)


def test_a_cadip_session_completes_once_every_channel_reached_its_final_block(db, cadip):
    start = timezone.now() - timedelta(hours=1)
    cadip.add_session(SESSION_ID, satellite="S1A", published=start + timedelta(minutes=12), start=start,
                      stop=start + timedelta(minutes=11))
    inbox = _inbox(cadip)
    for block in (1, 2):
        _chunk(cadip, 1, block, final=False)
    _chunk(cadip, 2, 1, final=False)

    # chunks are ingested as they appear; no channel has its final block yet
    _cycle(inbox)
    assert states_of(inbox) == {EntryState.INGESTED: 3}
    assert not Product.objects.filter(product_type=SESSION_PRODUCT_TYPE).exists()

    # channel 1 reaches its final block: its DSIB is synthesised, listing the three chunks; channel 2 still open
    _chunk(cadip, 1, 3, final=True)
    _cycle(inbox)
    dsib = Product.objects.get(name=f"DCS_02_{SESSION_ID}_ch1_DSIB.xml")
    assert dsib.product_type == "SESSION" and dsib.content_start == start.replace(microsecond=0)
    descriptor = session_descriptor_read(
        InboxEntry.objects.get(inbox=inbox, key__endswith=":ch1:DSIB").remote["dsib"].encode())
    assert descriptor.dsdb_names == tuple(f"DCS_02_{SESSION_ID}_ch1_DSDB_{n:05d}.raw" for n in (1, 2, 3))
    assert not Product.objects.filter(product_type=SESSION_PRODUCT_TYPE).exists()
    inbox.refresh_from_db()
    assert list(inbox.cursor["open"]) == [cadip.sessions[0]["Id"]]

    # channel 2 finishes: the session is complete, emitted once, and closed in the cursor
    _chunk(cadip, 2, 2, final=True)
    _cycle(inbox)
    session = Product.objects.get(product_type=SESSION_PRODUCT_TYPE)
    assert session.name == SESSION_ID and session.inputs.count() == 5 + 2
    assert Session.objects.get().product_id == session.id
    inbox.refresh_from_db()
    assert inbox.cursor["open"] == {} and inbox.cursor["closed"] == [cadip.sessions[0]["Id"]]
    _cycle(inbox)
    assert states_of(inbox) == {EntryState.INGESTED: 7}
    assert Product.objects.filter(product_type=SESSION_PRODUCT_TYPE).count() == 1


def test_a_final_block_with_a_gap_before_it_waits_for_the_missing_block(db, cadip):
    start = timezone.now() - timedelta(hours=1)
    cadip.add_session(SESSION_ID, satellite="S1A", published=start, start=start, stop=start + timedelta(minutes=9),
                      channels=1)
    inbox = _inbox(cadip)
    _chunk(cadip, 1, 2, final=True)  # block 1 not published yet
    _cycle(inbox)
    assert not InboxEntry.objects.filter(inbox=inbox, key__endswith=":DSIB").exists()
    _chunk(cadip, 1, 1, final=False)
    _cycle(inbox)
    assert InboxEntry.objects.get(inbox=inbox, key__endswith=":ch1:DSIB").state == EntryState.INGESTED
    assert Product.objects.get(product_type=SESSION_PRODUCT_TYPE).inputs.count() == 3
