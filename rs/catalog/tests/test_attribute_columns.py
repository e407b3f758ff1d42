"""Attributes that are also product columns: cloudCover (cloud_cover) and productType (product_type).

The compiler answers filters on them from the column, so the column must always equal the attribute: the services,
the bulk load and the migration of existing rows keep them equal, and a filter gives the same products through the
column as through the attribute table, products without the attribute included.
"""

from __future__ import annotations

import importlib
import json
import uuid
from datetime import timedelta

import pytest
from django.apps import apps
from django.db import connection

from rs.catalog import services
from rs.catalog.bulk import BulkLoadError, products_load
from rs.catalog.models import Product, ProductAttribute
from rs.catalog.query import compiler
from rs.catalog.query.compiler import compile_filter
from rs.catalog.query.filter_parser import parse_filter
from rs.catalog.query.properties import Entity
from rs.catalog.query.selectors import catalog_queryset
from rs.catalog.services import InvalidProduct
from rs.catalog.tests import factories

pytestmark = pytest.mark.django_db
P = Entity.PRODUCTS
CLOUD = "Attributes/OData.CSC.DoubleAttribute/any(a:a/Name eq 'cloudCover'{})"


def _query(text: str):
    return catalog_queryset(P).filter(compile_filter(parse_filter(text, entity=P), entity=P, convention="cdse"))


def names(text: str) -> set[str]:
    return set(_query(text).values_list("name", flat=True))


def _s2(cloud: object, **attributes: object) -> Product:
    given = {"productType": "S2MSI2A", **({} if cloud is None else {"cloudCover": cloud}), **attributes}
    return factories.product(mission="S2", product_type="S2MSI2A", family="S2_USER_PRODUCT", attributes=given)


def test_a_cloud_cover_filter_compiles_onto_the_column():
    statement = str(_query(CLOUD.format(" and a/Value le 20")).query)
    assert "catalog_productattribute" not in statement
    assert '"catalog_product"."cloud_cover" IS NOT NULL AND "catalog_product"."cloud_cover" <= 20.0' in statement


def test_type_period_and_cloud_cover_use_the_composite_partial_index():
    for cloud in (3.0, 50.0):
        _s2(cloud)
    # and a year of other S2MSI2A products, so that the type alone selects far more rows than type and period: on a
    # table of two rows every index costs the same and the planner's choice would depend on their creation order
    template = Product.objects.get(cloud_cover=3.0)
    filler = []
    for day in range(400):
        row = Product.objects.get(pk=template.pk)
        row.pk, row.name = uuid.uuid4(), f"{template.name}-{day}"
        row.content_start = template.content_start.replace(year=2022) + timedelta(days=day)
        row.content_end = row.content_start + timedelta(minutes=1)
        filler.append(row)
    Product.objects.bulk_create(filler)
    text = ("Attributes/OData.CSC.StringAttribute/any(a:a/Name eq 'productType' and a/Value eq 'S2MSI2A') and "
            + CLOUD.format(" and a/Value le 10")
            + " and ContentDate/Start ge 2024-06-01T00:00:00Z and ContentDate/Start lt 2024-07-01T00:00:00Z")
    with connection.cursor() as cursor:
        # statistics of this table as it is now: an earlier test's bulk load may have left those of a large one
        cursor.execute("ANALYZE catalog_product")
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = _query(text)[:100].explain()
        cursor.execute("RESET enable_seqscan")
    assert "product_type_start_cloud" in plan, plan
    assert "catalog_productattribute" not in plan
    assert len(names(text)) == 1


CLOUD_FILTERS = [
    CLOUD.format(""),
    CLOUD.format(" and a/Value le 20"),
    CLOUD.format(" and a/Value lt 12.5"),
    CLOUD.format(" and a/Value ge 12.5"),
    CLOUD.format(" and a/Value eq 0"),
    CLOUD.format(" and a/Value ne 0"),
    CLOUD.format(" and a/Value in (0, 12.5, 99)"),
    CLOUD.format(" and (a/Value le 5 or a/Value gt 90)"),
    CLOUD.format(" and not (a/Value le 5)"),
    CLOUD.format(" and a/Value gt 5 and a/Value lt 50"),
    CLOUD.format(" and a/OData.CSC.DoubleAttribute/Value le '20'"),  # the type-cast tolerance of §5.5
    "not " + CLOUD.format(" and a/Value le 20"),
    "not " + CLOUD.format(""),
    CLOUD.format(" and a/Value le 20") + " or Collection/Name eq 'SENTINEL-1'",
]


@pytest.mark.parametrize("text", CLOUD_FILTERS)
def test_the_column_gives_the_products_the_attribute_table_gives(text, monkeypatch):
    # given products with a cloud cover of 0, 12.5 and 100, one without the attribute (nor a column value), one whose
    # attribute was given as null (skipped: no attribute, no column value) and an S1 product
    products = {"zero": _s2(0), "some": _s2(12.5), "full": _s2(100.0), "absent": _s2(None),
                "null": _s2(None, cloudCover=None), "s1": factories.product()}
    assert {k: p.cloud_cover for k, p in products.items()} == {
        "zero": 0.0, "some": 12.5, "full": 100.0, "absent": None, "null": None, "s1": None}
    through_column = names(text)
    # when the compiler is made to use the attribute table for cloudCover
    monkeypatch.setattr(compiler, "NULLABLE_COLUMN_ATTRIBUTES", {})
    assert "catalog_productattribute" in str(_query(text).query)
    # then both give the same products
    assert through_column == names(text)


def test_the_expected_products_of_the_edge_cases():
    zero, some, absent = _s2(0), _s2(12.5), _s2(None)
    assert names(CLOUD.format(" and a/Value ne 0")) == {some.name}  # ne never matches a product without it
    assert names("not " + CLOUD.format(" and a/Value le 20")) == {absent.name}
    assert names(CLOUD.format("")) == {zero.name, some.name}


def test_register_and_update_keep_the_column_equal_to_the_attribute():
    product = _s2(7)
    assert Product.objects.get(pk=product.pk).cloud_cover == 7.0
    services.product_update(product_id=product.id, attributes={"cloudCover": 33.25})
    assert Product.objects.get(pk=product.pk).cloud_cover == 33.25
    services.product_update(product_id=product.id, attributes={"orbitNumber": 3})
    assert Product.objects.get(pk=product.pk).cloud_cover == 33.25
    services.product_update(product_id=product.id, attributes={"cloudCover": None})  # None removes the attribute
    assert Product.objects.get(pk=product.pk).cloud_cover is None
    assert not ProductAttribute.objects.filter(product=product, name="cloudCover").exists()


@pytest.mark.parametrize("value", ["cloudy", True, [1]])
def test_a_cloud_cover_that_is_not_a_number_is_refused_and_nothing_is_written(value):
    with pytest.raises(InvalidProduct, match="cloudCover"):
        _s2(value)
    assert not Product.objects.exists()


def test_the_product_type_attribute_equals_the_column():
    # a differing attribute is refused
    with pytest.raises(InvalidProduct, match="attribute productType 'IW_SLC__1S' differs from the product type "
                                             "'IW_GRDH_1S'"):
        factories.product(attributes={"productType": "IW_SLC__1S"})
    assert not Product.objects.exists()
    # a missing one is set from the column
    product = factories.product(attributes={"orbitNumber": 1})
    assert ProductAttribute.objects.get(product=product, name="productType").value_string == "IW_GRDH_1S"
    # and it cannot be changed nor removed afterwards
    for attributes in ({"productType": "IW_SLC__1S"}, {"productType": None}):
        with pytest.raises(InvalidProduct, match="cannot change"):
            services.product_update(product_id=product.id, attributes=attributes)
    assert ProductAttribute.objects.get(product=product, name="productType").value_string == "IW_GRDH_1S"
    services.product_update(product_id=product.id, attributes={"productType": "IW_GRDH_1S"})  # the same: fine


def test_product_type_filters_never_read_the_attribute_table_for_eq_and_in():
    statement = str(_query("Attributes/OData.CSC.StringAttribute/any(a:a/Name eq 'productType' and "
                           "a/Value in ('S2MSI1C', 'S2MSI2A'))").query)
    assert "catalog_productattribute" not in statement
    assert '"catalog_product"."product_type" IN (S2MSI1C, S2MSI2A)' in statement


def _line(index: int, attributes: dict[str, object]) -> bytes:
    name = f"S2A_MSIL2A_20240604T103031_N0510_R108_T32TQM_2024060{index}T140000.SAFE"
    return (json.dumps({
        "id": str(uuid.UUID(int=index, version=4)), "name": name, "mission": "S2", "platform": "A",
        "productType": "S2MSI2A", "start": "2024-06-04T10:30:31Z", "end": "2024-06-04T10:30:31Z",
        "publicationDate": "2024-06-05T00:00:00Z", "contentLength": 1, "attributes": attributes,
    }) + "\n").encode()


def test_the_bulk_load_fills_both_columns_as_the_services_do():
    products_load(lines=[_line(1, {"cloudCover": 4.5}), _line(2, {"cloudCover": 10}), _line(3, {})])
    loaded = {p.name.split("_")[-1][7]: p for p in Product.objects.all()}  # …_2024060<i>T140000.SAFE
    assert {k: p.cloud_cover for k, p in loaded.items()} == {"1": 4.5, "2": 10.0, "3": None}
    assert sorted(ProductAttribute.objects.filter(name="productType").values_list("value_string", flat=True)) == [
        "S2MSI2A"] * 3
    assert names(CLOUD.format(" and a/Value le 10")) == {loaded["1"].name, loaded["2"].name}


def test_the_bulk_load_refuses_a_product_type_attribute_that_differs():
    with pytest.raises(BulkLoadError, match=r"line 1: attributes\.productType: 'S2MSI1C' differs from productType "
                                            "'S2MSI2A'"):
        products_load(lines=[_line(1, {"productType": "S2MSI1C"})])
    assert not Product.objects.exists()


def test_the_migration_fills_the_column_of_existing_products_in_batches(monkeypatch):
    with_cloud = [_s2(float(i)) for i in range(5)]
    without = _s2(None)
    Product.objects.update(cloud_cover=None)  # as before the migration
    migration = importlib.import_module("rs.catalog.migrations.0009_product_cloud_cover")
    monkeypatch.setattr(migration, "BATCH", 2)  # three batches
    migration.cloud_cover_fill(apps, None)
    assert {p.name: p.cloud_cover for p in Product.objects.all()} == {
        **{p.name: float(i) for i, p in enumerate(with_cloud)}, without.name: None}
