"""Eviction and deletion through the services, on the real object store of the run."""

from __future__ import annotations

import hashlib
import io
import uuid

import pytest
from django.utils import timezone

from rs.catalog import services
from rs.catalog.choices import DeletionCause, EventKind
from rs.catalog.models import CatalogEvent, DeletedProduct, EventDelivery, Product, ProductAttribute
from rs.catalog.storage import object_store
from rs.catalog.tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def stored_product():
    key = f"products/S1/L1_SLICE/test-{uuid.uuid4().hex}.zip"
    stored = object_store().put_stream(key=key, stream=io.BytesIO(b"product bytes"))
    product = factories.product(storage_key=key, content_length=stored.size,
                                checksums=services.Checksums(md5=stored.md5, blake3=stored.blake3,
                                                             computed_at=stored.stored_at))
    return product


def test_eviction_deletes_the_bytes_keeps_the_entry_offline_and_records_it(stored_product):
    services.product_evict(product_id=stored_product.id, cause=DeletionCause.OBSOLETE)
    product = Product.objects.get(pk=stored_product.id)
    assert product.online is False
    assert not object_store().exists(stored_product.storage_key)
    record = DeletedProduct.objects.get(pk=stored_product.id)
    assert record.name == stored_product.name and record.deletion_cause == "Obsolete product or Other"
    assert record.md5 == hashlib.md5(b"product bytes").hexdigest()
    assert {a["name"] for a in record.attributes} == {"productType", "orbitNumber", "orbitDirection"}
    assert CatalogEvent.objects.filter(product_id=product.id, kind=EventKind.EVICTED).count() == 1


def test_evicting_twice_changes_nothing_more(stored_product):
    services.product_evict(product_id=stored_product.id)
    services.product_evict(product_id=stored_product.id)
    assert CatalogEvent.objects.filter(product_id=stored_product.id, kind=EventKind.EVICTED).count() == 1


def test_an_eviction_interrupted_after_the_object_was_deleted_is_finished_by_the_next_run(stored_product):
    # given the object already gone (a crash between the storage delete and the catalog commit)
    object_store().delete(stored_product.storage_key)
    assert Product.objects.get(pk=stored_product.id).online is True
    # when the eviction runs again
    services.product_evict(product_id=stored_product.id)
    # then the catalog is consistent
    assert Product.objects.get(pk=stored_product.id).online is False
    assert DeletedProduct.objects.filter(pk=stored_product.id).count() == 1


def test_deletion_removes_the_entry_its_attributes_and_bytes(stored_product):
    record = services.product_delete(product_id=stored_product.id, cause=DeletionCause.CORRUPTED)
    assert record.deletion_cause == "Corrupted product"
    assert not Product.objects.filter(pk=stored_product.id).exists()
    assert not ProductAttribute.objects.filter(product_id=stored_product.id).exists()
    assert not object_store().exists(stored_product.storage_key)
    assert CatalogEvent.objects.filter(product_id=stored_product.id, kind=EventKind.DELETED).count() == 1


def test_unknown_causes_and_products_are_refused():
    with pytest.raises(services.InvalidProduct, match="unknown deletion cause"):
        services.product_evict(product_id=uuid.uuid4(), cause="bored")
    with pytest.raises(services.ProductNotFound):
        services.product_delete(product_id=uuid.uuid4())


def test_delivered_events_are_purged_after_the_retention(settings):
    product = factories.product()
    # given both events delivered to every consumer (whatever consumers the installed apps register)
    EventDelivery.objects.filter(event__product_id=product.id).update(delivered_at=timezone.now())
    CatalogEvent.objects.filter(product_id=product.id).update(dispatched_at=timezone.now())
    assert services.events_purge(older_than_days=1) == 0
    assert services.events_purge(older_than_days=-1) == 2
    assert not CatalogEvent.objects.filter(product_id=product.id).exists()


# --- a campaign's outputs removed with its scope -------------------------------------------------------------------


def stored_campaign_output() -> Product:
    key = f"scoped/campaign-7/S1/L1_SLICE/test-{uuid.uuid4().hex}.zip"
    stored = object_store().put_stream(key=key, stream=io.BytesIO(b"campaign bytes"))
    return factories.product(storage_key=key, content_length=stored.size, scope="campaign-7", publish=False)


@pytest.fixture
def campaign_output():
    return stored_campaign_output()


def test_removing_a_scope_records_each_removed_product_with_its_scope_and_cause(campaign_output):
    removed = services.scoped_products_remove(product_ids=[campaign_output.id])
    assert removed == 1
    assert not Product.objects.filter(pk=campaign_output.id).exists()
    assert not object_store().exists(campaign_output.storage_key)
    record = DeletedProduct.objects.get(pk=campaign_output.id)
    assert (record.name, record.scope, record.deletion_cause, record.storage_key, record.publication_date) == (
        campaign_output.name, "campaign-7", "Campaign scope removed", campaign_output.storage_key, None)
    assert {a["name"] for a in record.attributes} == {"productType", "orbitNumber", "orbitDirection"}
    event = CatalogEvent.objects.get(product_id=campaign_output.id, kind=EventKind.DELETED)
    assert (event.payload["scope"], event.payload["cause"]) == ("campaign-7", "Campaign scope removed")


def test_the_record_of_an_earlier_eviction_is_replaced_and_that_of_a_purged_entry_kept(campaign_output):
    # given one output evicted, then removed with its scope
    services.product_evict(product_id=campaign_output.id)
    services.scoped_products_remove(product_ids=[campaign_output.id])
    (record,) = DeletedProduct.objects.filter(pk=campaign_output.id)
    assert record.deletion_cause == "Campaign scope removed"
    # and another evicted and purged before its scope goes: its eviction stays its record
    purged = stored_campaign_output()
    services.product_evict(product_id=purged.id)
    services.products_purge(product_ids=[purged.id])
    assert services.scoped_products_remove(product_ids=[purged.id]) == 0
    assert DeletedProduct.objects.get(pk=purged.id).deletion_cause == "Obsolete product or Other"


def test_operational_products_are_not_removed_with_a_scope_and_its_cause_is_for_scopes_only(stored_product):
    with pytest.raises(services.InvalidProduct) as refused:
        services.scoped_products_remove(product_ids=[stored_product.id])
    assert str(refused.value) == f"operational products are evicted or deleted, not removed: {stored_product.id}"
    with pytest.raises(services.InvalidProduct) as refused:
        services.product_delete(product_id=stored_product.id, cause=DeletionCause.SCOPE_REMOVED)
    assert str(refused.value) == (
        "unknown deletion cause 'Campaign scope removed': use one of 'Corrupted product', 'Duplicated product', "
        "'Missing checksum', 'Obsolete product or Other'")
    assert Product.objects.filter(pk=stored_product.id).exists()
    assert not DeletedProduct.objects.exists()
