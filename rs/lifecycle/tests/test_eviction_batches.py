"""Eviction a batch at a time on the real S3 store: one DeleteObjects, a few statements, the same records and events
as a product-by-product eviction, and an object the store keeps does not keep the others."""

from __future__ import annotations

import io
import json
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings as django_settings
from django.core.files.storage import storages
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from rs.catalog import services as catalog_services
from rs.catalog.models import CatalogEvent, DeletedProduct, Product
from rs.catalog.services import products as catalog_products
from rs.catalog.services import removal as catalog_removal
from rs.catalog.storage import object_store
from rs.catalog.tests import factories
from rs.lifecycle import services

pytestmark = [pytest.mark.django_db,
              pytest.mark.skipif(django_settings.RS_STORAGE != "s3", reason="the S3 store's batch deletion")]


def stored_product(*, key: str | None = None, **kwargs):
    key = key or f"products/S1/L1_SLICE/test-{uuid.uuid4().hex}.zip"
    stored = object_store().put_stream(key=key, stream=io.BytesIO(b"x" * 100))
    product = factories.product(storage_key=key, content_length=stored.size, **kwargs)
    catalog_services.products_eviction_dates_set(dates={product.id: timezone.now() - timedelta(days=1)})
    return Product.objects.get(pk=product.id)


@pytest.fixture
def s3_requests() -> Iterator[list[str]]:
    """The names of the S3 operations the store's client sends during the test."""
    sent: list[str] = []
    events = object_store()._client.meta.events
    events.register("before-call.s3.*", record := lambda model, **_: sent.append(model.name))
    yield sent
    events.unregister("before-call.s3.*", record)


RECORD_FIELDS = [f.attname for f in DeletedProduct._meta.concrete_fields if f.attname != "deletion_date"]


def test_the_batch_records_what_a_product_by_product_eviction_records():
    attributes = {
        "productType": "IW_GRDH_1S", "orbitNumber": 54172, "bigNumber": 2**62 + 1, "cloudCover": 12.0,
        "ratio": 0.1 + 0.2, "tiny": 1.5e-07, "large": 1234567890123456.0, "huge": 3.0e20, "negative": -2.5,
        "sliceProductFlag": True, "myFlag": False, "orbitDirection": "DESCENDING", "note": 'quote " and \\ é',
        "processingDate": datetime(2024, 6, 4, 12, 30, 0, 500000, tzinfo=UTC),
        "segmentStartTime": datetime(2024, 6, 4, 9, 0, tzinfo=UTC),
    }
    product = stored_product(attributes=attributes)
    plain = stored_product(attributes={"productType": "IW_GRDH_1S"}, footprint=None)
    now = timezone.now()
    expected = {}
    for p in Product.objects.filter(pk__in=[product.pk, plain.pk]).prefetch_related("attributes"):
        row = catalog_removal._deleted_product_row(p, cause="Obsolete product or Other", at=now)
        expected[p.pk] = {name: getattr(row, name) for name in RECORD_FIELDS}
        expected[p.pk]["footprint"] = row.footprint.ewkb if row.footprint else None
    assert services.eviction_run().evicted == 2
    for pk, fields in expected.items():
        record = DeletedProduct.objects.get(pk=pk)
        got = {name: getattr(record, name) for name in RECORD_FIELDS}
        got["footprint"] = record.footprint.ewkb if record.footprint else None
        assert got == fields
        # the very JSON the database keeps from the Python record, not only equal numbers (12.0 stays a float)
        with connection.cursor() as cursor:
            cursor.execute("SELECT %s::jsonb::text, attributes::text FROM catalog_deletedproduct WHERE id = %s",
                           [json.dumps(fields["attributes"]), pk])
            from_python, stored = cursor.fetchone()
        assert stored == from_python
    event = CatalogEvent.objects.get(product_id=product.pk, kind="evicted")
    assert event.payload == {**catalog_products._event_payload(product), "cause": "Obsolete product or Other"}


def test_a_batch_is_one_delete_objects_request_and_a_fixed_number_of_statements(settings, s3_requests):
    settings.RS_EVICTION_BATCH_SIZE = 3
    products = [stored_product() for _ in range(6)]
    s3_requests.clear()
    with CaptureQueriesContext(connection) as queries:
        report = services.eviction_run()
    assert report.evicted == 6
    assert s3_requests == ["DeleteObjects", "DeleteObjects"]
    statements = Counter(q["sql"].split()[0].upper() for q in queries.captured_queries)
    # per batch: 7 SELECTs (the due page with its keys, holds on products and on types, the two job guards, the
    # dataset guard, which of them are still online), 3 INSERTs (the records as INSERT … SELECT, the events, their
    # deliveries to the production consumer), 1 UPDATE; plus the last, empty, due page
    assert dict(statements) == {"SELECT": 2 * 7 + 1, "INSERT": 2 * 3, "UPDATE": 2, "SAVEPOINT": 2,
                                "RELEASE": 2}, [q["sql"][:80] for q in queries.captured_queries]
    assert not Product.objects.filter(pk__in=[p.pk for p in products], online=True).exists()


def test_an_object_the_store_keeps_keeps_its_product_online_and_the_others_go(s3_requests):
    client = storages["products"].connection.meta.client
    bucket = django_settings.RS_S3_BUCKET
    # given an object the bucket's policy forbids deleting, whose key (a control character, which object keys
    # allow) makes the store refuse the batch's DeleteObjects as a whole: the keys are then deleted one by one
    kept = stored_product(key=f"products/S1/L1_SLICE/kept-{uuid.uuid4().hex}\x01.zip")
    others = [stored_product(), stored_product()]
    policy = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Deny", "Principal": "*", "Action": "s3:DeleteObject",
        "Resource": f"arn:aws:s3:::{bucket}/products/S1/L1_SLICE/kept-*"}]}
    client.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))
    try:
        s3_requests.clear()
        report = services.eviction_run()
        sent = list(s3_requests)
    finally:
        client.delete_bucket_policy(Bucket=bucket)
    # then the others are evicted and recorded, the kept one is online, unrecorded, its object in place
    assert report.evicted == 2
    assert sent == ["DeleteObjects", "DeleteObject", "DeleteObject", "DeleteObject"]
    assert Product.objects.get(pk=kept.pk).online is True and object_store().exists(kept.storage_key)
    assert not DeletedProduct.objects.filter(pk=kept.pk).exists()
    assert not CatalogEvent.objects.filter(product_id=kept.pk, kind="evicted").exists()
    for product in others:
        assert Product.objects.get(pk=product.pk).online is False and not object_store().exists(product.storage_key)
        assert DeletedProduct.objects.filter(pk=product.pk).exists()
    # and once the store lets it go, the next run takes it
    assert services.eviction_run().evicted == 1
    assert DeletedProduct.objects.filter(pk=kept.pk).exists() and not object_store().exists(kept.storage_key)


@pytest.mark.django_db(transaction=True)
def test_products_locked_by_another_worker_are_left_to_it():
    due = [stored_product() for _ in range(3)]
    # given another worker's transaction holding the first product (a second connection)
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("BEGIN")
            cursor.execute("SELECT 1 FROM catalog_product WHERE id = %s FOR UPDATE", [due[0].pk])
            evicted = catalog_services.products_evict(product_ids=[p.pk for p in due])
            cursor.execute("ROLLBACK")
    finally:
        other.close()
    assert evicted == 2
    assert Product.objects.get(pk=due[0].pk).online is True
    assert not DeletedProduct.objects.filter(pk=due[0].pk).exists()
