"""Eviction on the real object store: due products go, held and guarded ones stay, crashes are finished later."""

from __future__ import annotations

import io
import uuid
from datetime import timedelta

import pytest
from django.db import DatabaseError, connection
from django.utils import timezone

from rs.catalog import services as catalog_services
from rs.catalog.models import CatalogEvent, DeletedProduct, Product
from rs.catalog.storage import object_store
from rs.catalog.tests import factories
from rs.lifecycle import services
from rs.lifecycle.guards import eviction_guard_register, eviction_guard_remove
from rs.lifecycle.models import RetentionAction, RetentionPolicy

pytestmark = pytest.mark.django_db


def stored_product(*, days_overdue: float = 1, **kwargs):
    key = f"products/S1/L1_SLICE/test-{uuid.uuid4().hex}.zip"
    stored = object_store().put_stream(key=key, stream=io.BytesIO(b"x" * 100))
    product = factories.product(storage_key=key, content_length=stored.size, **kwargs)
    catalog_services.products_eviction_dates_set(
        dates={product.id: timezone.now() - timedelta(days=days_overdue)})
    return Product.objects.get(pk=product.id)


def test_a_due_product_loses_its_bytes_goes_offline_and_is_recorded():
    due = stored_product()
    later = stored_product(days_overdue=-1)  # due tomorrow
    report = services.eviction_run()
    assert report.evicted == 1
    assert Product.objects.get(pk=due.id).online is False
    assert not object_store().exists(due.storage_key)
    assert DeletedProduct.objects.get(pk=due.id).deletion_cause == "Obsolete product or Other"
    assert CatalogEvent.objects.filter(product_id=due.id, kind="evicted").count() == 1
    assert Product.objects.get(pk=later.id).online is True and object_store().exists(later.storage_key)
    assert services.eviction_run().evicted == 0


def test_held_and_guarded_products_survive_their_eviction_date():
    held = stored_product()
    catalog_services.hold_create(reason="reprocessing", product_id=held.id)
    by_type = stored_product(product_type="IW_SLC__1S")
    catalog_services.hold_create(reason="SLC campaign", product_type="IW_SLC__1S")
    guarded = stored_product()
    free = stored_product()
    eviction_guard_register("test-job-inputs", lambda products, now: {
        p.id: "input of job 7" for p in products if p.id == guarded.id})
    try:
        report = services.eviction_run()
    finally:
        eviction_guard_remove("test-job-inputs")
    assert report.evicted == 1
    assert {p["name"]: p["reason"] for p in report.protected} == {
        held.name: "hold: reprocessing", by_type.name: "hold on IW_SLC__1S: SLC campaign",
        guarded.name: "input of job 7"}
    assert set(Product.objects.filter(online=True).values_list("id", flat=True)) == {held.id, by_type.id, guarded.id}
    # once the guard is gone (the job ended) the next run takes it
    assert services.eviction_run().evicted == 1
    assert Product.objects.get(pk=guarded.id).online is False
    assert free.id not in Product.objects.filter(online=True).values_list("id", flat=True)


def test_a_product_taken_offline_after_its_page_was_read_keeps_its_object():
    # given a product an operator takes offline while the run checks its page (after the read, before the deletion)
    taken, due = stored_product(), stored_product()

    def operator(products, now):
        if any(p.id == taken.id for p in products):
            catalog_services.product_update(product_id=taken.id, changes={"online": False})
        return {}

    eviction_guard_register("test-operator", operator)
    try:
        report = services.eviction_run()
    finally:
        eviction_guard_remove("test-operator")
    # then only the other one is evicted; the one taken offline keeps its object and gets no record
    assert report.evicted == 1
    assert object_store().exists(taken.storage_key) and not DeletedProduct.objects.filter(pk=taken.id).exists()
    assert Product.objects.get(pk=due.id).online is False and not object_store().exists(due.storage_key)


def test_an_expired_hold_no_longer_protects():
    product = stored_product()
    catalog_services.hold_create(reason="old", product_id=product.id, expires_at=timezone.now() - timedelta(hours=1))
    assert services.eviction_run().evicted == 1


def test_the_dry_run_lists_what_would_go_and_why_and_changes_nothing():
    due = stored_product()
    report = services.eviction_run(dry_run=True)
    assert report.evicted == 0
    assert [p["name"] for p in report.planned] == [due.name]
    assert "passed (policy ref-064-l1_slice: offline)" in report.planned[0]["reason"]
    assert Product.objects.get(pk=due.id).online is True and object_store().exists(due.storage_key)


def test_a_remove_policy_deletes_the_entry_too():
    RetentionPolicy.objects.create(position=1, name="remove-grd", product_type_regex="IW_GRDH", retention_days=1,
                                   action=RetentionAction.REMOVE)
    services.retention_policies_changed()
    due = stored_product()
    report = services.eviction_run()
    assert (report.evicted, report.removed) == (1, 1)
    assert not Product.objects.filter(pk=due.id).exists()
    assert DeletedProduct.objects.filter(pk=due.id).exists()


def test_a_crash_between_object_deletion_and_catalog_update_is_repaired_by_the_next_run():
    due = stored_product()
    # given the catalog write failing after the objects were deleted (a trigger stands in for a crash)
    with connection.cursor() as cursor:
        cursor.execute("""CREATE FUNCTION fail_once() RETURNS trigger AS $$
                          BEGIN RAISE EXCEPTION 'injected crash'; END $$ LANGUAGE plpgsql;
                          CREATE TRIGGER crash BEFORE INSERT ON catalog_deletedproduct
                          FOR EACH ROW EXECUTE FUNCTION fail_once();""")
    with pytest.raises(DatabaseError, match="injected crash"):
        services.eviction_run()
    assert not object_store().exists(due.storage_key)
    assert Product.objects.get(pk=due.id).online is True  # the catalog transaction rolled back
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER crash ON catalog_deletedproduct; DROP FUNCTION fail_once();")
    # when the next run comes
    assert services.eviction_run().evicted == 1
    # then the catalog agrees with the store, and nothing was recorded twice
    assert Product.objects.get(pk=due.id).online is False
    assert DeletedProduct.objects.filter(pk=due.id).count() == 1
    assert CatalogEvent.objects.filter(product_id=due.id, kind="evicted").count() == 1


def test_eviction_pages_through_more_than_one_batch(settings):
    settings.RS_EVICTION_BATCH_SIZE = 2
    products = [stored_product(days_overdue=d) for d in (5, 4, 3, 2, 1)]
    catalog_services.hold_create(reason="keep", product_id=products[0].id)
    report = services.eviction_run()
    assert report.evicted == 4 and len(report.protected) == 1
