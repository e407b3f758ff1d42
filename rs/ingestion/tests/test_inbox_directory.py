"""A directory inbox, end to end: poll → stable → transfer → catalogue, by real workers and in process."""

from __future__ import annotations

import io
import os
import tarfile
import zipfile
from pathlib import Path

import pytest

from rs.catalog.choices import AssetType, EventKind
from rs.catalog.models import CatalogEvent, Product
from rs.catalog.storage import object_store
from rs.ingestion import services
from rs.ingestion.choices import EntryState, SessionState
from rs.ingestion.demo import demo_generate
from rs.ingestion.models import InboxEntry, Session
from rs.ingestion.sessions import SESSION_PRODUCT_TYPE
from rs.ingestion.tests.ingestion_support import (
    all_final,
    directory_inbox,
    entry_of,
    ingest_now,
    poll_until_settled,
    states_of,
    stored_md5,
    wait_for,
)

EOF_TEXT = (b'<?xml version="1.0"?>\n<Earth_Explorer_File><Earth_Explorer_Header><Fixed_Header>'
            b"<Mission>Sentinel-1A</Mission><File_Type>AUX_RESORB</File_Type><Validity_Period>"
            b"<Validity_Start>UTC=2026-11-20T08:00:00</Validity_Start><Validity_Stop>UTC=2026-11-20T11:30:00"
            b"</Validity_Stop></Validity_Period><Source><System>OPOD</System><Creator>test</Creator>"
            b"<Creator_Version>1</Creator_Version><Creation_Date>UTC=2026-11-20T13:07:00</Creation_Date></Source>"
            b"</Fixed_Header></Earth_Explorer_Header></Earth_Explorer_File>\n")
EOF_NAME = "S1A_OPER_AUX_RESORB_OPOD_20261120T130700_V20261120T080000_20261120T113000.EOF"


def _read_object(key: str) -> bytes:
    return b"".join(object_store().open_range(key=key))


def test_workers_ingest_every_demo_product_of_a_directory_inbox(celery_worker_factory, tmp_path: Path):
    # given the demo products in a directory inbox and a worker of the ingestion queue
    written = demo_generate(tmp_path / "inbox")
    inbox = directory_inbox(tmp_path / "inbox")
    celery_worker_factory(queues="ingestion").start()

    # when the inbox is polled twice (files are taken once their listing is stable)
    first = services.inbox_poll(inbox_id=inbox.pk)
    second = services.inbox_poll(inbox_id=inbox.pk)
    wait_for(lambda: all_final(inbox), timeout=120)

    # then every item is ingested exactly once, and the three sessions are complete
    assert (first.new, first.waiting, first.pending) == (50, 50, 0)
    assert (second.new, second.pending) == (0, 50)
    assert states_of(inbox) == {EntryState.INGESTED: 50}
    assert Product.objects.count() == 50 + 3
    names = {w.name for w in written}
    session_products = Product.objects.filter(product_type=SESSION_PRODUCT_TYPE)
    assert set(Product.objects.exclude(product_type=SESSION_PRODUCT_TYPE).values_list("name", flat=True)) == names
    assert sorted(session_products.values_list("name", flat=True)) == [
        "S1A_20261120102500061234", "S2B_20261120113000040210", "S3A_20261120125500045001"]
    assert all(p.inputs.count() == 6 and p.publication_date is None for p in session_products)
    assert set(Session.objects.values_list("state", flat=True)) == {SessionState.COMPLETE}

    # the zipped GRD: its archive as delivered, checksums of the stored bytes, metadata, quicklook, published
    grd = next(w for w in written if "GRDH" in w.name and w.path.suffix == ".zip")
    product = Product.objects.get(name=grd.name)
    assert product.storage_key == f"products/S1/L1_SLICE/{grd.name}.zip"
    assert product.content_length == grd.path.stat().st_size == object_store().size(product.storage_key)
    assert product.md5 == stored_md5(product.storage_key) and len(product.blake3) == 64
    assert product.publication_date is not None and product.footprint is not None
    assert product.origin_date.timestamp() == pytest.approx(grd.path.stat().st_mtime)
    assert product.attributes.get(name="orbitNumber").value == 61234
    asset = product.assets.get()
    assert (asset.type, asset.name, asset.storage_key) == (AssetType.QUICKLOOK, "quick-look.png",
                                                           f"assets/{product.id}/quick-look.png")
    assert _read_object(asset.storage_key).startswith(b"\x89PNG")

    # the GRD delivered as a folder is packaged as one zip; an S2 granule folder as one tar
    folder = next(w for w in written if "GRDH" in w.name and w.path.is_dir())
    with zipfile.ZipFile(io.BytesIO(_read_object(f"products/S1/L1_SLICE/{folder.name}.zip"))) as archive:
        assert archive.read(f"{folder.name}/manifest.safe") == (folder.path / "manifest.safe").read_bytes()
    granule = next(w for w in written if "_GR_" in w.name)
    with tarfile.open(fileobj=io.BytesIO(_read_object(f"products/S2/S2_L0_GR/{granule.name}.tar"))) as archive:
        member = archive.extractfile(f"{granule.name}/Inventory_Metadata.xml")
        assert member is not None and member.read() == (granule.path / "Inventory_Metadata.xml").read_bytes()

    # session files are catalogued unpublished; the session product's `created` event is emitted once
    chunk = Product.objects.get(name="DCS_02_S1A_20261120102500061234_ch1_DSDB_00001.raw")
    assert (chunk.family, chunk.product_type, chunk.publication_date) == ("EDRS_SESSION", "RAW", None)
    session = session_products.get(name="S1A_20261120102500061234")
    assert CatalogEvent.objects.filter(product_id=session.id, kind=EventKind.CREATED).count() == 1


def test_nothing_is_ingested_twice_across_polls_and_restarts(db, tmp_path: Path):
    inbox_dir = tmp_path / "inbox"
    (inbox_dir / EOF_NAME).parent.mkdir(parents=True)
    (inbox_dir / EOF_NAME).write_bytes(EOF_TEXT)
    inbox = directory_inbox(inbox_dir)
    assert ingest_now(inbox) == {EntryState.INGESTED: 1}

    # polling again finds nothing new, draining finds nothing to do
    again = services.inbox_poll(inbox_id=inbox.pk, enqueue=False)
    assert (again.listed, again.new, again.pending, again.waiting) == (1, 0, 0, 0)
    assert services.inbox_drain(inbox_id=inbox.pk).states == {}

    # a second item recorded as pending by one process is ingested by another after a "restart"
    other = "S1A_OPER_AUX_RESORB_OPOD_20261120T150700_V20261120T100000_20261120T133000.EOF"
    (inbox_dir / other).write_bytes(EOF_TEXT.replace(b"08:00:00", b"10:00:00").replace(b"11:30:00", b"13:30:00")
                                    .replace(b"13:07:00", b"15:07:00"))
    poll_until_settled(inbox)
    assert entry_of(inbox, other).state == EntryState.PENDING
    services.inbox_drain(inbox_id=type(inbox).objects.get(pk=inbox.pk).pk)
    assert states_of(inbox) == {EntryState.INGESTED: 2}
    assert Product.objects.filter(name__in=[EOF_NAME, other]).count() == 2


def test_a_file_still_being_written_waits_until_its_size_stops_changing(db, tmp_path: Path):
    inbox = directory_inbox(tmp_path / "inbox")
    path = tmp_path / "inbox" / EOF_NAME
    path.write_bytes(EOF_TEXT[:100])
    assert services.inbox_poll(inbox_id=inbox.pk, enqueue=False).waiting == 1
    with path.open("ab") as growing:
        growing.write(EOF_TEXT[100:])
    assert services.inbox_poll(inbox_id=inbox.pk, enqueue=False).waiting == 1  # changed since the last poll
    assert entry_of(inbox, EOF_NAME).state == EntryState.WAITING
    assert services.inbox_poll(inbox_id=inbox.pk, enqueue=False).pending == 1
    services.inbox_drain(inbox_id=inbox.pk)
    assert Product.objects.get(name=EOF_NAME).content_length == len(EOF_TEXT)


def test_hidden_temporary_and_companion_files_are_never_taken(db, tmp_path: Path):
    inbox_dir = tmp_path / "inbox"
    inbox = directory_inbox(inbox_dir)
    for name in (f".{EOF_NAME}", f"{EOF_NAME}.tmp", f"{EOF_NAME}.part", ".staging/x.EOF", "lost+found/y"):
        (inbox_dir / name).parent.mkdir(parents=True, exist_ok=True)
        (inbox_dir / name).write_bytes(EOF_TEXT)
    (inbox_dir / f"{EOF_NAME}.md5").write_text("0123456789abcdef0123456789abcdef  x\n")
    poll_until_settled(inbox)
    assert InboxEntry.objects.filter(inbox=inbox).count() == 0


def test_an_inbox_that_does_not_publish_catalogues_unpublished_products(db, tmp_path: Path):
    inbox = directory_inbox(tmp_path / "inbox", publish=False)
    (tmp_path / "inbox" / EOF_NAME).write_bytes(EOF_TEXT)
    ingest_now(inbox)
    product = Product.objects.get(name=EOF_NAME)
    assert product.publication_date is None
    assert list(CatalogEvent.objects.filter(product_id=product.id).values_list("kind", flat=True)) == ["created"]


def test_match_and_ignore_patterns_select_what_is_recorded(db, tmp_path: Path):
    inbox_dir = tmp_path / "inbox"
    inbox = directory_inbox(inbox_dir, match_regex=r"\.EOF$", ignore_regex=r"_RESORB_OPOD_2026112[01]T15")
    (inbox_dir / EOF_NAME).write_bytes(EOF_TEXT)
    (inbox_dir / EOF_NAME.replace("T130700", "T150700")).write_bytes(EOF_TEXT)
    (inbox_dir / "README.txt").write_text("not a product")
    summary = services.inbox_poll(inbox_id=inbox.pk, enqueue=False)
    assert summary.listed == 3
    assert list(InboxEntry.objects.filter(inbox=inbox).values_list("key", flat=True)) == [EOF_NAME]


def test_origin_date_of_a_directory_item_is_its_modification_time(db, tmp_path: Path):
    inbox = directory_inbox(tmp_path / "inbox")
    path = tmp_path / "inbox" / EOF_NAME
    path.write_bytes(EOF_TEXT)
    os.utime(path, (1_795_000_000, 1_795_000_000))
    ingest_now(inbox)
    assert Product.objects.get(name=EOF_NAME).origin_date.timestamp() == 1_795_000_000
