from __future__ import annotations

import io
import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from rs.catalog import services as catalog_services
from rs.catalog.models import DeletedProduct, Product
from rs.catalog.storage import object_store
from rs.catalog.tests import factories
from rs.lifecycle import services
from rs.lifecycle.models import StorageQuota

pytestmark = pytest.mark.django_db


def stored(size: int, **kwargs):
    key = f"products/S1/L1_SLICE/p-{uuid.uuid4().hex}.zip"
    stored = object_store().put_stream(key=key, stream=io.BytesIO(b"y" * size))
    return factories.product(storage_key=key, content_length=stored.size, **kwargs)


def test_above_the_high_water_mark_the_oldest_go_first_down_to_the_low_water_mark():
    products = [stored(100) for _ in range(10)]  # 1000 bytes, created oldest first
    catalog_services.hold_create(reason="keep the oldest", product_id=products[0].id)
    StorageQuota.objects.create(family="L1_SLICE", quota_bytes=1000, high_water_percent=90, low_water_percent=50)
    assert services.pressure_run() == {"L1_SLICE": 5}
    online = list(Product.objects.filter(online=True).order_by("created_at").values_list("id", flat=True))
    assert online == [products[0].id, *[p.id for p in products[6:]]]
    assert services.pressure_run() == {}  # 500 bytes: under the high-water mark


def test_below_the_high_water_mark_nothing_happens():
    stored(100)
    StorageQuota.objects.create(family="L1_SLICE", quota_bytes=1000, high_water_percent=90, low_water_percent=50)
    assert services.pressure_run() == {}


def test_entries_evicted_longer_ago_than_the_delay_are_purged_once(settings):
    settings.RS_METADATA_PURGE_AFTER_DAYS = 30
    old, recent = stored(10), stored(10)
    catalog_services.products_evict(product_ids=[old.id, recent.id])
    DeletedProduct.objects.filter(pk=old.id).update(deletion_date=timezone.now() - timedelta(days=31))
    assert services.metadata_purge() == 1
    assert not Product.objects.filter(pk=old.id).exists()
    assert Product.objects.filter(pk=recent.id).exists()
    assert DeletedProduct.objects.filter(pk__in=[old.id, recent.id]).count() == 2
    # the watermark means the next run looks only past it
    with CaptureQueriesContext(connection) as queries:
        assert services.metadata_purge() == 0
    assert len(queries) <= 4
