"""Batches of small products: stored concurrently, catalogued in one transaction with one event dispatch, each
failure settled alone, and exactly once across a worker killed between the uploads and the commit."""

from __future__ import annotations

import hashlib
import uuid
import zipfile
from datetime import timedelta
from pathlib import Path

from blake3 import blake3

from rs.catalog.choices import EventKind
from rs.catalog.events import consumers_for
from rs.catalog.models import CatalogEvent, EventDelivery, Product
from rs.catalog.storage import object_store
from rs.catalog.storage.keys import product_key
from rs.ingestion import services
from rs.ingestion.choices import EntryState
from rs.ingestion.demo import DEMO_T0
from rs.ingestion.demo.geometry import along_track, swath
from rs.ingestion.demo.sentinel1 import _level0
from rs.ingestion.demo.writing import write_folder
from rs.ingestion.models import InboxEntry
from rs.ingestion.names import identify
from rs.ingestion.tests.ingestion_support import directory_inbox, entry_of, poll_until_settled, states_of, wait_for


def _slices(folder: Path, count: int) -> list[Path]:
    """`count` zipped S1 L0 slices with names no other run uses (the bucket outlives each test's database)."""
    base = DEMO_T0 - timedelta(days=600, seconds=30 * (uuid.uuid4().int % 10**7))
    paths = []
    for index in range(count):
        start = base + timedelta(seconds=30 * index)
        name, files = _level0("IW_RAW__0SDV", "S", start, start + timedelta(seconds=27), orbit=61000,
                              datatake=0x061000, anx=start - timedelta(minutes=20),
                              corners=swath(*along_track(10.0, 40.0, km=index * 30, heading=-12), along_km=185,
                                            across_km=250, heading=-12),
                              slice_number=index + 1, consolidation="SLICE")
        paths.append(write_folder(folder, name, files, available=start + timedelta(minutes=40), archive=".zip").path)
    return paths


def _corrupt_manifest(path: Path) -> None:
    """Rewrite a zipped SAFE with its manifest cut short (unparseable XML)."""
    with zipfile.ZipFile(path) as archive:
        members = {info.filename: archive.read(info) for info in archive.infolist()}
    with zipfile.ZipFile(path, "w") as archive:
        for member, data in members.items():
            archive.writestr(member, data[:-300] if member.endswith("manifest.safe") else data)


def test_a_batch_with_one_bad_entry_quarantines_it_alone_and_catalogues_the_others_at_once(
        db, tmp_path: Path, django_capture_on_commit_callbacks):
    # given five S1 L0 slices in a directory inbox, the third with a corrupt manifest
    paths = _slices(tmp_path / "inbox", 5)
    _corrupt_manifest(paths[2])
    inbox = directory_inbox(tmp_path / "inbox")
    poll_until_settled(inbox)

    # when one drain ingests them (one claim: a single batch)
    with django_capture_on_commit_callbacks() as callbacks:
        summary = services.inbox_drain(inbox_id=inbox.pk)

    # then the bad one is failed with its reason and a quarantine copy of its bytes, the four others are catalogued
    assert dict(summary.states) == {EntryState.INGESTED: 4, EntryState.FAILED: 1}
    bad = entry_of(inbox, paths[2].name)
    assert (bad.state, bad.reason.split(":")[0]) == (EntryState.FAILED, "metadata extraction failed")
    assert b"".join(object_store().open_range(key=bad.quarantine_key)) == paths[2].read_bytes()
    assert not Product.objects.filter(name=paths[2].name.removesuffix(".zip")).exists()
    for path in paths[:2] + paths[3:]:
        entry = entry_of(inbox, path.name)
        product = Product.objects.get(pk=entry.product_id)
        data = path.read_bytes()
        assert (entry.state, entry.reason, product.name) == (EntryState.INGESTED, "", path.name.removesuffix(".zip"))
        assert (product.md5, product.blake3, product.content_length) == (
            hashlib.md5(data, usedforsecurity=False).hexdigest(), blake3(data).hexdigest(), len(data))
        assert b"".join(object_store().open_range(key=product.storage_key)) == data
        # one `created` and one `published` event per product (the inbox publishes), each with one delivery per
        # consumer of its kind
        events = list(CatalogEvent.objects.filter(product_id=product.id).order_by("id"))
        assert [e.kind for e in events] == [EventKind.CREATED, EventKind.PUBLISHED]
        for event in events:
            assert sorted(EventDelivery.objects.filter(event=event).values_list("consumer", flat=True)) == sorted(
                c.name for c in consumers_for(event.kind))
    # and the eight events of the batch are dispatched by one on-commit callback
    assert len(callbacks) == 1


def test_two_entries_of_one_product_in_a_batch_start_one_by_one_and_the_second_waits(db, tmp_path: Path):
    # given the same product delivered twice in one inbox (two folders), beside another product
    first, other = _slices(tmp_path / "inbox", 2)
    (tmp_path / "inbox" / "again").mkdir()
    copy = tmp_path / "inbox" / "again" / first.name
    copy.write_bytes(first.read_bytes())
    inbox = directory_inbox(tmp_path / "inbox")
    poll_until_settled(inbox)

    # when one drain takes all three in one batch
    services.inbox_drain(inbox_id=inbox.pk)

    # then the first delivery and the other product are catalogued, the second delivery waits for its turn
    assert states_of(inbox) == {EntryState.INGESTED: 2, EntryState.PENDING: 1}
    waiting = InboxEntry.objects.get(inbox=inbox, state=EntryState.PENDING)
    assert waiting.reason == "waiting: another entry is transferring this product"
    assert Product.objects.filter(name__in=[first.name.removesuffix(".zip"), other.name.removesuffix(".zip")]
                                  ).count() == 2

    # and once due, it is recognised as the same bytes
    InboxEntry.objects.filter(pk=waiting.pk).update(next_attempt_at=None)
    services.inbox_drain(inbox_id=inbox.pk)
    waiting.refresh_from_db()
    assert (waiting.state, waiting.reason) == (EntryState.INGESTED, "already in the catalogue with the same MD5")
    assert waiting.product_id == Product.objects.get(name=first.name.removesuffix(".zip")).id
    assert CatalogEvent.objects.count() == 4  # created and published, once per product


def test_a_worker_killed_after_the_uploads_and_before_the_commit_loses_nothing_and_duplicates_nothing(
        celery_worker_factory, tmp_path: Path):
    # given six slices in a directory inbox
    paths = _slices(tmp_path / "inbox", 6)
    names = [p.name.removesuffix(".zip") for p in paths]
    keys = [product_key(mission="S1", family=identify(name).family, name=name, suffix=".zip") for name in names]
    inbox = directory_inbox(tmp_path / "inbox")
    poll_until_settled(inbox)

    # when a worker stores the whole batch and is killed with SIGKILL before its registration commits
    marker = tmp_path / "stalled"
    stalling = celery_worker_factory(queues="ingestion", extra_env={
        "RS_EVENT_CONSUMER_MODULES": "rs.ingestion.tests.stalling_registration", "RS_TEST_STALL_MARKER": str(marker)})
    stalling.start()
    services.drains_enqueue(inbox_id=inbox.pk)
    wait_for(marker.exists, timeout=60)
    stalling.kill()

    # then the objects are stored, but nothing is catalogued and no event exists; the entries are still claimed
    assert all(object_store().exists(key) for key in keys)
    assert not Product.objects.filter(name__in=names).exists()
    assert not CatalogEvent.objects.exists()
    assert states_of(inbox) == {EntryState.TRANSFERRING: 6}
    planned = {e.key: e.product_id for e in InboxEntry.objects.filter(inbox=inbox)}

    # when the abandoned claims are reaped and a healthy worker drains the inbox
    celery_worker_factory(queues="ingestion").start()
    assert services.entries_reap(older_than_s=0) == 6
    services.drains_enqueue(inbox_id=inbox.pk)
    wait_for(lambda: states_of(inbox) == {EntryState.INGESTED: 6}, timeout=60)

    # then every product is catalogued once, under the id planned at its first claim, with its own bytes, and has
    # exactly one `created` and one `published` event
    for path, name, key in zip(paths, names, keys, strict=True):
        entry = entry_of(inbox, path.name)
        product = Product.objects.get(name=name)
        assert (entry.attempts, entry.product_id, product.id) == (1, planned[path.name], planned[path.name])
        assert (product.storage_key, product.md5) == (key, hashlib.md5(path.read_bytes(),
                                                                       usedforsecurity=False).hexdigest())
        assert object_store().size(key) == path.stat().st_size
        assert list(CatalogEvent.objects.filter(product_id=product.id).order_by("id").values_list("kind", flat=True)
                    ) == [EventKind.CREATED, EventKind.PUBLISHED]
    assert CatalogEvent.objects.count() == 12
