"""An S3 inbox: objects taken on sight, folder products once their listing is stable, origin date = LastModified,
on the deployment's store or on an endpoint with credentials of its own."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from django.conf import settings

from rs.catalog.models import Product
from rs.ingestion import services
from rs.ingestion.choices import EntryState
from rs.ingestion.demo import demo_generate
from rs.ingestion.models import InboxEntry
from rs.ingestion.sources.s3 import S3Source
from rs.ingestion.tests.ingestion_support import states_of, stored_md5

pytestmark = pytest.mark.skipif(settings.RS_STORAGE != "s3", reason="needs the S3 store")


def _upload(client, bucket: str, prefix: str, root: Path, paths: list[Path]) -> None:
    for path in paths:
        files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
        for file in files:
            client.put_object(Bucket=bucket, Key=prefix + file.relative_to(root).as_posix(), Body=file.read_bytes())


@pytest.fixture
def demo_items(tmp_path: Path) -> tuple[Path, dict[str, Path]]:
    root = tmp_path / "demo"
    written = demo_generate(root)
    chosen = {w.name: w.path for w in written if w.path.suffix in (".EOF", ".zip", ".TGZ")}
    chosen.update({w.name: w.path for w in written if "_GR_" in w.name and w.name.endswith("_D01_N05.11")})
    return root, chosen


def test_an_s3_prefix_of_the_deployment_store_is_ingested(db, demo_items):
    root, items = demo_items
    prefix = f"incoming-{uuid.uuid4().hex[:8]}/"
    inbox = services.inbox_create(name="s3-inbox", kind="s3", location=prefix)
    client = S3Source(inbox).client
    _upload(client, settings.RS_S3_BUCKET, prefix, root, list(items.values()))
    folder = next(name for name in items if items[name].is_dir())

    first = services.inbox_poll(inbox_id=inbox.pk, enqueue=False)
    assert (first.new, first.pending, first.waiting) == (len(items), len(items) - 1, 1)  # objects are complete
    assert InboxEntry.objects.get(inbox=inbox, key=folder).state == EntryState.WAITING
    second = services.inbox_poll(inbox_id=inbox.pk, enqueue=False)
    assert (second.new, second.pending) == (0, 1)
    services.inbox_drain(inbox_id=inbox.pk)

    assert states_of(inbox) == {EntryState.INGESTED: len(items)}
    eof = next(name for name in items if name.endswith(".EOF"))
    product = Product.objects.get(name=eof)
    head = client.head_object(Bucket=settings.RS_S3_BUCKET, Key=prefix + eof)
    assert product.origin_date == head["LastModified"]
    assert product.md5 == head["ETag"].strip('"') == stored_md5(product.storage_key)
    granule = Product.objects.get(name=folder)
    assert granule.storage_key == f"products/S2/S2_L0_GR/{folder}.tar" and granule.footprint is not None
    assert services.inbox_poll(inbox_id=inbox.pk, enqueue=False).new == 0


def test_an_s3_inbox_with_its_own_endpoint_and_credentials(db, demo_items, monkeypatch):
    root, items = demo_items
    bucket = f"rs-test-inbox-{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("RS_TEST_INBOX_SECRET", settings.RS_S3_SECRET_KEY)
    inbox = services.inbox_create(
        name="remote-s3", kind="s3", location="", s3_bucket=bucket, s3_endpoint_url=settings.RS_S3_ENDPOINT_URL,
        s3_access_key=settings.RS_S3_ACCESS_KEY, s3_secret_key="env:RS_TEST_INBOX_SECRET", publish=False,
    )
    client = S3Source(inbox).client
    client.create_bucket(Bucket=bucket)
    try:
        eof = next(name for name in items if name.endswith(".EOF"))
        _upload(client, bucket, "", root, [items[eof]])
        services.inbox_poll(inbox_id=inbox.pk, enqueue=False)
        services.inbox_drain(inbox_id=inbox.pk)
        assert states_of(inbox) == {EntryState.INGESTED: 1}
        assert Product.objects.get(name=eof).publication_date is None

        wrong = services.inbox_create(name="wrong-key", kind="s3", location="", s3_bucket=bucket,
                                      s3_endpoint_url=settings.RS_S3_ENDPOINT_URL, s3_access_key="nobody",
                                      s3_secret_key="wrong")
        summary = services.inbox_poll(inbox_id=wrong.pk, enqueue=False)
        assert summary.error.startswith(f"listing s3://{bucket}/: refused by the store (")
        wrong.refresh_from_db()
        assert wrong.last_poll_error == summary.error
    finally:
        for obj in client.list_objects_v2(Bucket=bucket).get("Contents", []):
            client.delete_object(Bucket=bucket, Key=obj["Key"])
        client.delete_bucket(Bucket=bucket)
