"""The PRIP and production queries are index-backed on PostgreSQL (plans read with sequential scans disabled, so the
check does not depend on the table being large enough for the planner to prefer an index)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.gis.geos import Polygon
from django.db import connection

from rs.catalog import selectors
from rs.catalog.models import Product, ProductAttribute
from rs.catalog.tests import factories

pytestmark = pytest.mark.django_db


def plan_of(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_type_and_time_window_use_the_type_start_index():
    # a month of products and fresh statistics: on one row every index led by product_type costs the same, and the
    # planner's pick among them is arbitrary
    for day in range(30):
        factories.product(content_start=factories.T0 + timedelta(days=day - 15))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE catalog_product")
    # what `productType eq … and ContentDate/Start gt … and ContentDate/Start lt …` compiles to
    qs = Product.objects.filter(product_type="IW_GRDH_1S", content_start__gt=factories.T0,
                                content_start__lt=factories.T0 + timedelta(days=1))
    plan = plan_of(qs)
    assert "Seq Scan" not in plan
    assert re.search(r"Index Scan using (product_type_start|product_start_id)", plan)


def test_area_queries_use_the_spatial_index():
    factories.product()
    area = Polygon.from_bbox((110, -31, 120, -25))
    area.srid = 4326
    plan = plan_of(selectors.product_search(intersects=area, scope=None))
    assert re.search(r"Index Scan using catalog_product_footprint_\w+_id", plan)


def test_name_prefix_and_contains_have_postgresql_indexes():
    factories.product()
    assert "product_name_pattern" in plan_of(selectors.product_search(name_startswith="S1A_IW", scope=None))
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'catalog_product'")
        names = {row[0] for row in cursor.fetchall()}
    assert {"product_name_trgm", "product_name_pattern", "product_published", "product_type_validity"} <= names


def test_attribute_equality_uses_the_typed_attribute_index():
    factories.product()
    qs = ProductAttribute.objects.filter(name="orbitNumber", value_integer=54172).values("product_id")
    assert "attr_integer" in plan_of(qs)
