"""Batch registration: one transaction, bulk inserts, one `created` (and `published`) event per product and one
delivery message per consumer; all or nothing."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from django.db import DatabaseError

from rs.catalog import services
from rs.catalog.choices import EventKind
from rs.catalog.events import consumers_for
from rs.catalog.models import CatalogEvent, EventDelivery, Product, ProductAsset, ProductAttribute
from rs.catalog.tests import factories

pytestmark = pytest.mark.django_db

AT = datetime(2026, 11, 29, 3, 0, tzinfo=UTC)


def _registration(index: int, **overrides: object) -> services.ProductRegistration:
    values: dict[str, object] = dict(
        name=factories.s1_grd_name(index=9000 + index), metadata=factories.metadata(), content_length=1000 + index,
        storage_key=f"products/S1/x/{index}.zip", publish=index % 2 == 0, product_id=uuid.uuid4(),
        checksums=services.Checksums(md5=f"{index:032x}", blake3=f"{index:064x}", computed_at=AT),
        assets=[services.NewAsset(name="quick-look.png", storage_key=f"assets/{index}/quick-look.png",
                                  content_type="image/png", content_length=10 + index, md5=f"{index:032x}")],
    )
    values.update(overrides)
    return services.ProductRegistration(**values)  # type: ignore[arg-type]


def test_a_batch_is_catalogued_with_its_attributes_assets_and_one_event_dispatch_per_consumer(
        django_capture_on_commit_callbacks):
    registrations = [_registration(i) for i in range(4)]
    with django_capture_on_commit_callbacks() as callbacks:
        products = services.products_register(registrations=registrations)

    assert [p.id for p in products] == [r.product_id for r in registrations]
    for registration in registrations:
        product = Product.objects.get(pk=registration.product_id)
        assert (product.name, product.content_length, product.storage_key, product.md5, product.blake3) == (
            registration.name, registration.content_length, registration.storage_key,
            registration.checksums.md5, registration.checksums.blake3)  # type: ignore[union-attr]
        assert (product.md5_date, product.blake3_date, product.online) == (AT, AT, True)
        assert (product.publication_date is not None) == registration.publish
        attributes = {a.name: a.value for a in ProductAttribute.objects.filter(product=product)}
        assert attributes == {"productType": "IW_GRDH_1S", "orbitNumber": 54172, "orbitDirection": "DESCENDING"}
        asset = ProductAsset.objects.get(product=product)
        assert (asset.name, asset.storage_key, asset.content_length) == (
            "quick-look.png", registration.assets[0].storage_key, registration.assets[0].content_length)
        kinds = list(CatalogEvent.objects.filter(product_id=product.id).order_by("id").values_list("kind", flat=True))
        assert kinds == ([EventKind.CREATED, EventKind.PUBLISHED] if registration.publish else [EventKind.CREATED])
    # every event has one pending delivery per consumer of its kind; they are sent by a single on-commit callback
    for event in CatalogEvent.objects.all():
        assert sorted(EventDelivery.objects.filter(event=event).values_list("consumer", flat=True)) == sorted(
            c.name for c in consumers_for(event.kind))
    assert CatalogEvent.objects.count() == 6
    assert len(callbacks) == 1


def test_a_taken_name_refuses_the_whole_batch_and_leaves_the_transaction_usable():
    taken = factories.product(name=factories.s1_grd_name(index=9101))
    registrations = [_registration(1), _registration(2, name=taken.name)]
    with pytest.raises(services.ProductAlreadyExists, match=f"already in the catalog: {taken.name}"):
        services.products_register(registrations=registrations)
    assert list(Product.objects.values_list("name", flat=True)) == [taken.name]
    assert not ProductAsset.objects.exists()
    assert CatalogEvent.objects.exclude(product_id=taken.id).count() == 0


def test_an_invalid_product_refuses_the_whole_batch_naming_it():
    start = factories.T0
    bad = _registration(2, metadata=factories.metadata(content_start=start, content_end=start.replace(year=2020)))
    with pytest.raises(services.InvalidProduct, match=f"{bad.name}: sensing stop is before sensing start"):
        services.products_register(registrations=[_registration(1), bad])
    assert not Product.objects.exists()
    assert not CatalogEvent.objects.exists()


def test_a_batch_reads_the_retention_policies_once_and_dates_each_published_product(monkeypatch):
    from rs.lifecycle import retention

    reads: list[str] = []
    get = retention.cache.get
    monkeypatch.setattr(retention.cache, "get", lambda key, *a, **k: reads.append(key) or get(key, *a, **k))
    registrations = [_registration(i) for i in range(5)]
    services.products_register(registrations=registrations)

    assert reads.count(retention.VERSION_KEY) == 1
    for registration in registrations:
        product = Product.objects.get(pk=registration.product_id)
        if registration.publish:  # an L1 slice is kept 7 days (reference defaults)
            assert product.publication_date is not None
            assert product.eviction_date == product.publication_date + timedelta(days=7)
        else:
            assert (product.publication_date, product.eviction_date) == (None, None)


EVERY_TYPE = {
    "productType": "IW_GRDH_1S", "processorName": "tab\there, new\nline, quote ' \" back\\slash, ünïcødé ∑",
    "orbitNumber": 2**62, "relativeOrbitNumber": -3, "startTimeFromAscendingNode": 0.1 + 0.2,
    "completionTimeFromAscendingNode": float("inf"), "cloudCover": 12.5, "sliceProductFlag": False,
    "customFlag": True, "segmentStartTime": datetime(2024, 2, 29, 23, 59, 59, 999999,
                                                     tzinfo=timezone(timedelta(hours=-5, minutes=-30))),
    "processingDate": AT, "customCount": 7, "customText": "", "missing": None,
}
COLUMNS = ("name", "value_type", "value_string", "value_integer", "value_double", "value_boolean", "value_datetime")


def _stored(product_id: uuid.UUID) -> list[tuple[object, ...]]:
    return list(ProductAttribute.objects.filter(product_id=product_id).order_by("id").values_list(*COLUMNS))


def test_a_batch_stores_every_attribute_type_exactly_as_a_single_registration():
    batch = _registration(1, metadata=factories.metadata(attributes=EVERY_TYPE))
    services.products_register(registrations=[batch, _registration(3)])
    single = services.product_register(name=factories.s1_grd_name(index=9100),
                                       metadata=factories.metadata(attributes=EVERY_TYPE), content_length=1)

    stored = _stored(batch.product_id)  # type: ignore[arg-type]
    assert stored == _stored(single.id)
    assert [row[0] for row in stored] == [name for name, value in EVERY_TYPE.items() if value is not None]
    by_name = {row[0]: row for row in stored}
    assert by_name["orbitNumber"][1:] == ("Integer", None, 2**62, None, None, None)
    assert by_name["segmentStartTime"][6] == EVERY_TYPE["segmentStartTime"]
    assert by_name["processorName"][2] == EVERY_TYPE["processorName"]
    assert by_name["startTimeFromAscendingNode"][4] == 0.1 + 0.2
    assert by_name["customText"][1:3] == ("String", "")


def test_a_batch_refuses_an_attribute_name_longer_than_its_column_rather_than_cutting_it():
    long_name = "x" * 65
    with pytest.raises(DatabaseError):
        services.products_register(registrations=[
            _registration(1, metadata=factories.metadata(attributes={"productType": "IW_GRDH_1S", long_name: 1}))])
