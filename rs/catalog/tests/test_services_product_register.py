from __future__ import annotations

import uuid

import pytest
from django.db import transaction

from rs.catalog import services
from rs.catalog.choices import AttributeType, EventKind
from rs.catalog.models import CatalogEvent, Product, ProductAttribute, ProductInput
from rs.catalog.tests import factories
from rs.errors import DomainError

pytestmark = pytest.mark.django_db


def test_register_stores_typed_attributes_and_emits_created_and_published():
    product = factories.product(name=factories.s1_grd_name(index=1))
    rows = {a.name: a for a in ProductAttribute.objects.filter(product=product)}
    assert rows["orbitNumber"].value_type == AttributeType.INTEGER and rows["orbitNumber"].value_integer == 54172
    assert rows["orbitDirection"].value_type == AttributeType.STRING
    assert rows["orbitDirection"].value_string == "DESCENDING"
    assert list(CatalogEvent.objects.filter(product_id=product.id).order_by("id").values_list("kind", flat=True)) == [
        EventKind.CREATED, EventKind.PUBLISHED]
    assert product.publication_date is not None
    assert product.footprint.geom_type == "MultiPolygon"


def test_registering_the_same_product_twice_is_refused_cleanly():
    name = factories.s1_grd_name(index=2)
    first = factories.product(name=name)
    with transaction.atomic():
        with pytest.raises(services.ProductAlreadyExists, match="already in the catalog"):
            factories.product(name=name)
        # the surrounding transaction is still usable after the refusal
        assert Product.objects.filter(name=name).count() == 1
    assert CatalogEvent.objects.filter(product_id=first.id).count() == 2
    assert CatalogEvent.objects.count() == 2


def test_the_same_name_may_exist_once_per_scope():
    name = factories.s1_grd_name(index=3)
    factories.product(name=name)
    campaign_copy = factories.product(name=name, scope="campaign-42", publish=False)
    assert campaign_copy.scope == "campaign-42"


def test_campaign_products_cannot_be_published():
    with pytest.raises(services.InvalidProduct, match="only operational"):
        factories.product(scope="campaign-1", publish=True)
    product = factories.product(scope="campaign-1", publish=False)
    with pytest.raises(services.InvalidProduct, match="only operational products publish"):
        services.product_publish(product_id=product.id)


@pytest.mark.parametrize("name", ["", "../etc/passwd", "a/b.SAFE", "x\x00y", "a" * 256])
def test_unsafe_or_empty_names_are_refused(name):
    with pytest.raises(services.InvalidProduct):
        factories.product(name=name)
    assert Product.objects.count() == 0


def test_an_attribute_of_the_wrong_type_is_refused_and_nothing_is_written():
    with pytest.raises(services.InvalidProduct, match="orbitNumber"):
        factories.product(attributes={"orbitNumber": "not a number"})
    assert Product.objects.count() == 0
    assert CatalogEvent.objects.count() == 0


def test_lineage_links_inputs_and_refuses_unknown_inputs():
    a, b = factories.product(), factories.product()
    output = factories.product(inputs=[a.id, b.id], job_id=77)
    assert set(ProductInput.objects.filter(output=output).values_list("input_id", flat=True)) == {a.id, b.id}
    assert set(a.outputs.values_list("id", flat=True)) == {output.id}
    with pytest.raises(services.InvalidProduct, match="not in the catalog"):
        factories.product(inputs=[uuid.uuid4()])


def test_publish_is_idempotent():
    product = factories.product(publish=False)
    first = services.product_publish(product_id=product.id).publication_date
    again = services.product_publish(product_id=product.id).publication_date
    assert first == again
    assert CatalogEvent.objects.filter(product_id=product.id, kind=EventKind.PUBLISHED).count() == 1


def test_update_replaces_attributes_and_emits_modified():
    product = factories.product()
    services.product_update(product_id=product.id, attributes={"orbitNumber": 1, "cloudCover": 12.5})
    values = {a.name: a.value for a in ProductAttribute.objects.filter(product=product)}
    assert values == {"productType": "IW_GRDH_1S", "orbitNumber": 1, "orbitDirection": "DESCENDING",
                      "cloudCover": 12.5}
    event = CatalogEvent.objects.get(product_id=product.id, kind=EventKind.MODIFIED)
    assert event.payload["changed"] == ["cloudCover", "orbitNumber"]
    with pytest.raises(services.InvalidProduct, match="cannot update name"):
        services.product_update(product_id=product.id, changes={"name": "x"})


def test_hold_names_exactly_one_target():
    product = factories.product()
    hold = services.hold_create(reason="reprocessing campaign", product_id=product.id)
    assert hold.product_id == product.id
    with pytest.raises(DomainError, match="exactly one"):
        services.hold_create(reason="x", product_id=product.id, product_type="IW_GRDH_1S")
    with pytest.raises(DomainError, match="needs a reason"):
        services.hold_create(reason=" ", product_type="IW_GRDH_1S")
