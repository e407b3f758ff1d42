"""Changes to a catalogued product besides registration: attributes set through the one checked path, assets
removed or replaced with their stored objects, holds released. Each change of the product emits `modified`."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, datetime

import pytest

from rs.catalog import services
from rs.catalog.choices import AttributeType, EventKind
from rs.catalog.models import CatalogEvent, Hold, Product, ProductAsset, ProductAttribute
from rs.catalog.storage import object_store
from rs.catalog.storage.keys import asset_key
from rs.catalog.tests import factories
from rs.errors import NotFound

pytestmark = pytest.mark.django_db


def attributes_of(product: Product) -> dict[str, tuple[str, object]]:
    return {a.name: (a.value_type, a.value) for a in ProductAttribute.objects.filter(product=product)}


def modified_events(product: Product) -> list[list[str]]:
    return [e.payload["changed"] for e in CatalogEvent.objects.filter(product_id=product.id, kind=EventKind.MODIFIED)
            .order_by("id")]


# --- attributes -------------------------------------------------------------------------------------------------------


def test_attributes_are_set_replaced_and_removed_by_name_typed_by_the_registry_with_one_modified_event():
    product = factories.product()
    at = datetime(2024, 6, 4, 12, 30, tzinfo=UTC)
    trace = uuid.uuid4()
    services.product_attributes_set(
        product_id=product.id, trace_id=trace,
        attributes={"orbitNumber": 99, "cloudCover": 7, "processingDate": at, "orbitDirection": None})
    assert attributes_of(product) == {
        "productType": (AttributeType.STRING, "IW_GRDH_1S"), "orbitNumber": (AttributeType.INTEGER, 99),
        "cloudCover": (AttributeType.DOUBLE, 7.0), "processingDate": (AttributeType.DATETIME, at)}
    assert Product.objects.get(pk=product.id).cloud_cover == 7.0  # the column filters on cloudCover use
    (event,) = CatalogEvent.objects.filter(product_id=product.id, kind=EventKind.MODIFIED)
    assert (event.trace_id, event.payload["changed"]) == (
        trace, ["cloudCover", "orbitDirection", "orbitNumber", "processingDate"])


@pytest.mark.parametrize(("attributes", "message"), [
    ({"orbitNumber": 5, "cloudCover": "cloudy"}, "attribute cloudCover: 'cloudy' is not a valid Double value"),
    ({"orbitNumber": 1.5}, "attribute orbitNumber: 1.5 is not a valid Integer value"),
    ({"processingDate": "2024-06-04"}, "attribute processingDate: '2024-06-04' is not a valid DateTimeOffset value"),
    ({"productType": "IW_SLC__1S"}, "attribute productType 'IW_SLC__1S' differs from the product type "
                                    "'IW_GRDH_1S', which cannot change"),
    ({"productType": None}, "attribute productType None differs from the product type 'IW_GRDH_1S', which cannot "
                            "change"),
    ({}, "no attributes to set"),
])
def test_a_refused_attribute_changes_nothing_at_all(attributes, message):
    product = factories.product()
    before = attributes_of(product)
    with pytest.raises(services.InvalidProduct) as refused:
        services.product_attributes_set(product_id=product.id, attributes=attributes)
    assert str(refused.value) == message
    assert attributes_of(product) == before
    assert Product.objects.get(pk=product.id).cloud_cover is None
    assert modified_events(product) == []


def test_product_update_checks_attributes_the_same_way():
    product = factories.product()
    with pytest.raises(services.InvalidProduct) as refused:
        services.product_update(product_id=product.id, attributes={"orbitNumber": 1.5})
    assert str(refused.value) == "attribute orbitNumber: 1.5 is not a valid Integer value"
    services.product_update(product_id=product.id, changes={"timeliness": "NRT-3h"}, attributes={"cloudCover": 3})
    assert attributes_of(product)["cloudCover"] == (AttributeType.DOUBLE, 3.0)
    assert modified_events(product) == [["cloudCover", "timeliness"]]


def test_attributes_of_an_unknown_product_are_refused():
    with pytest.raises(services.ProductNotFound):
        services.product_attributes_set(product_id=uuid.uuid4(), attributes={"orbitNumber": 1})


# --- assets -----------------------------------------------------------------------------------------------------------


def stored_asset(product: Product, name: str, data: bytes, *, key: str | None = None) -> str:
    key = key or asset_key(product_id=product.id, name=name)
    object_store().put_stream(key=key, stream=io.BytesIO(data))
    return key


@pytest.fixture
def with_quicklook() -> tuple[Product, str]:
    product = factories.product()
    key = stored_asset(product, "quick-look.png", b"old image")
    services.asset_add(product_id=product.id, name="quick-look.png", storage_key=key, content_type="image/png",
                       content_length=9)
    return product, key


def test_removing_an_asset_deletes_its_row_then_its_object_and_emits_modified(
        with_quicklook, django_capture_on_commit_callbacks):
    product, key = with_quicklook
    with django_capture_on_commit_callbacks(execute=True):
        services.asset_remove(product_id=product.id, name="quick-look.png")
        assert object_store().exists(key)  # still there until the removal commits
    assert not ProductAsset.objects.filter(product=product).exists()
    assert not object_store().exists(key)
    assert modified_events(product) == [["asset:quick-look.png"], ["asset:quick-look.png"]]  # added, removed


def test_a_removal_that_does_not_commit_keeps_the_object(with_quicklook, django_capture_on_commit_callbacks):
    product, key = with_quicklook
    with django_capture_on_commit_callbacks(execute=False):  # the commit never comes
        services.asset_remove(product_id=product.id, name="quick-look.png")
    assert object_store().exists(key)
    object_store().delete(key)


def test_removing_or_replacing_an_asset_the_product_does_not_have_is_refused(with_quicklook):
    product, _key = with_quicklook
    with pytest.raises(services.AssetNotFound) as refused:
        services.asset_remove(product_id=product.id, name="report.pdf")
    assert str(refused.value) == f"product {product.name} has no asset 'report.pdf'"
    with pytest.raises(services.AssetNotFound):
        services.asset_replace(product_id=product.id, name="report.pdf", storage_key="assets/x/report.pdf",
                               content_type="application/pdf", content_length=1)
    assert ProductAsset.objects.filter(product=product).count() == 1


def test_replacing_an_asset_under_a_new_key_deletes_the_previous_object(
        with_quicklook, django_capture_on_commit_callbacks):
    product, old_key = with_quicklook
    new_key = stored_asset(product, "quick-look.png", b"new image!", key=f"assets/{product.id}/v2/quick-look.png")
    with django_capture_on_commit_callbacks(execute=True):
        asset = services.asset_replace(product_id=product.id, name="quick-look.png", storage_key=new_key,
                                       content_type="image/png", content_length=10, md5="0" * 32)
    row = ProductAsset.objects.get(product=product)
    assert (row.id, row.storage_key, row.content_length, row.md5) == (asset.id, new_key, 10, "0" * 32)
    assert not object_store().exists(old_key)
    assert b"".join(object_store().open_range(key=new_key)) == b"new image!"
    assert modified_events(product)[-1] == ["asset:quick-look.png"]
    object_store().delete(new_key)


def test_replacing_an_asset_stored_again_under_the_same_key_keeps_the_new_bytes(
        with_quicklook, django_capture_on_commit_callbacks):
    product, key = with_quicklook
    stored_asset(product, "quick-look.png", b"new image!")  # the same key: the bytes there are replaced
    with django_capture_on_commit_callbacks(execute=True):
        services.asset_replace(product_id=product.id, name="quick-look.png", storage_key=key,
                               content_type="image/png", content_length=10)
    assert b"".join(object_store().open_range(key=key)) == b"new image!"
    object_store().delete(key)


# --- holds ------------------------------------------------------------------------------------------------------------


def test_a_hold_is_released_once_by_one_statement(django_assert_num_queries):
    hold = services.hold_create(reason="reprocessing campaign", product_type="IW_GRDH_1S")
    with django_assert_num_queries(1):  # why hold_release needs no transaction of its own
        services.hold_release(hold_id=hold.pk)
    assert not Hold.objects.filter(pk=hold.pk).exists()
    with pytest.raises(NotFound) as refused:
        services.hold_release(hold_id=hold.pk)
    assert str(refused.value) == f"no hold {hold.pk}"
