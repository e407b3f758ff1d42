"""A worker killed with SIGKILL in the middle of an upload leaves nothing half-done; the product is ingested exactly
once afterwards, by another worker, once the abandoned claim is reaped."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path

from rs.catalog.models import CatalogEvent, Product
from rs.catalog.storage import object_store
from rs.ingestion import services
from rs.ingestion.choices import EntryState
from rs.ingestion.demo import DEMO_T0
from rs.ingestion.demo.sentinel1 import _aux_safe
from rs.ingestion.demo.writing import payload, write_folder
from rs.ingestion.tests.ingestion_support import directory_inbox, entry_of, poll_until_settled, wait_for

MIB = 1024 * 1024


def test_a_worker_killed_mid_upload_leaves_nothing_and_the_product_is_ingested_once(celery_worker_factory,
                                                                                     tmp_path: Path):
    # given a 12 MiB zipped SAFE in a directory inbox, recorded as pending
    # a name no other test uses: the bucket outlives each test's database
    name, files = _aux_safe("CAL", DEMO_T0 - timedelta(days=77), DEMO_T0 - timedelta(days=79))
    files["data/calibration.bin"] = payload("big", 12 * MIB)
    item = write_folder(tmp_path / "inbox", name, files, available=DEMO_T0, archive=".zip")
    inbox = directory_inbox(tmp_path / "inbox")
    poll_until_settled(inbox)
    key = f"products/S1/AUXILIARY_FILE/{name}.zip"

    # when a worker uploading it in 5 MiB parts stalls after the first part and is killed with SIGKILL
    marker = tmp_path / "stalled"
    stalling = celery_worker_factory(queues="ingestion", extra_env={
        "RS_EVENT_CONSUMER_MODULES": "rs.ingestion.tests.stalling_transfer", "RS_TEST_STALL_MARKER": str(marker),
        "RS_TEST_STALL_AFTER_BYTES": str(6 * MIB), "RS_S3_MULTIPART_CHUNK_BYTES": str(5 * MIB)})
    stalling.start()
    services.drains_enqueue(inbox_id=inbox.pk)
    wait_for(marker.exists, timeout=60)
    stalling.kill()

    # then nothing is visible: no object, no catalogue entry, no event; the entry is still claimed
    assert not object_store().exists(key)
    assert not Product.objects.filter(name=name).exists()
    assert not CatalogEvent.objects.exists()
    assert entry_of(inbox, item.path.name).state == EntryState.TRANSFERRING

    # when the abandoned claim is reaped and a healthy worker drains the inbox
    celery_worker_factory(queues="ingestion").start()
    assert services.entries_reap(older_than_s=0) == 1
    services.drains_enqueue(inbox_id=inbox.pk)
    entry = wait_for(lambda: (e := entry_of(inbox, item.path.name)).state == EntryState.INGESTED and e, timeout=60)

    # then the product is catalogued exactly once, with the checksum of the delivered archive
    product = Product.objects.get(name=name)
    assert entry.attempts == 1 and entry.product_id == product.id
    assert product.md5 == hashlib.md5(item.path.read_bytes(), usedforsecurity=False).hexdigest()
    assert product.content_length == item.path.stat().st_size == object_store().size(key)
    assert CatalogEvent.objects.filter(product_id=product.id, kind="created").count() == 1
    assert services.entries_reap(older_than_s=0) == 0
