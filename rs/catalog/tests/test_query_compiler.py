"""The compiler: one SQL statement per query, conditions that use the catalog's indexes, and the semantics that are
easy to get wrong (null EvictionDate, collections, keyset order with nulls, the PRIP name convention)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.gis.geos import Polygon
from django.db import connection

from rs.catalog import services
from rs.catalog.models import Product
from rs.catalog.query.compiler import compile_after, compile_filter, compile_ordering, order_values
from rs.catalog.query.errors import QueryError
from rs.catalog.query.filter_parser import parse_filter
from rs.catalog.query.orderby import parse_orderby
from rs.catalog.query.properties import Entity
from rs.catalog.query.selectors import PageRequest, catalog_page, catalog_queryset
from rs.catalog.tests import factories

pytestmark = pytest.mark.django_db
P = Entity.PRODUCTS


def names(text: str, *, entity: Entity = P, convention: str = "cdse") -> set[str]:
    condition = compile_filter(parse_filter(text, entity=entity), entity=entity, convention=convention)
    return set(catalog_queryset(entity).filter(condition).values_list("name", flat=True))


def sql(text: str) -> str:
    condition = compile_filter(parse_filter(text, entity=P), entity=P, convention="cdse")
    return str(catalog_queryset(P).filter(condition).query)


def test_an_attribute_lambda_is_an_exists_subquery_on_the_attribute_table():
    # productType is also a product column and compiles onto it (test below): any other attribute shows the form
    statement = sql("Attributes/OData.CSC.StringAttribute/any(a:a/Name eq 'tileId' and a/Value eq 'X')")
    assert 'EXISTS(SELECT 1 AS "a" FROM "catalog_productattribute" U0 WHERE (U0."name" = tileId' in statement
    assert 'U0."value_string" = X' in statement


def test_the_value_is_not_null_condition_is_kept_only_where_the_value_condition_does_not_imply_it():
    """`value IS NOT NULL` makes PostgreSQL count the column's non-null fraction twice (estimates ten times too low)
    when the value condition already rejects null; without a condition, or with ne, it is what selects the typed
    partial index and the attribute's presence."""
    def exists_part(text: str) -> str:
        return sql(text).split("EXISTS(", 1)[1]

    assert "IS NOT NULL" not in exists_part(
        "Attributes/OData.CSC.DoubleAttribute/any(a:a/Name eq 'illuminationZenithAngle' and a/Value le 30)")
    assert "IS NOT NULL" not in exists_part("Attributes/OData.CSC.StringAttribute/any(a:a/Name eq 'tileId' and "
                                            "(a/Value eq 'T1' or contains(a/Value,'T2')))")
    assert 'U0."value_string" IS NOT NULL' in exists_part("Attributes/any(a:a/Name eq 'tileId')")
    assert 'U0."value_string" IS NOT NULL' in exists_part(
        "Attributes/OData.CSC.StringAttribute/any(a:a/Name eq 'tileId' and a/Value ne 'T1')")
    assert 'U0."value_double" IS NOT NULL' in exists_part(
        "Attributes/OData.CSC.DoubleAttribute/any(a:a/Name eq 'illuminationZenithAngle' and "
        "(a/Value le 30 or a/Value ne 50))")


def test_product_type_equality_compiles_onto_the_product_type_column():
    statement = sql("Attributes/OData.CSC.StringAttribute/any(a:a/Name eq 'productType' and a/Value eq 'X')")
    assert "catalog_productattribute" not in statement
    assert '"catalog_product"."product_type" = X' in statement
    listed = sql("Attributes/OData.CSC.StringAttribute/any(a:a/Name eq 'productType' and a/Value in ('X','Y'))")
    assert "catalog_productattribute" not in listed and '"catalog_product"."product_type" IN (X, Y)' in listed
    # other conditions on productType keep the attribute-table form (only eq/in are known to agree with the column)
    assert "catalog_productattribute" in sql(
        "Attributes/OData.CSC.StringAttribute/any(a:a/Name eq 'productType' and startswith(a/Value,'IW_'))")
    assert "catalog_productattribute" in sql("Attributes/any(a:a/Name eq 'productType')")


def test_product_type_on_the_column_keeps_the_attribute_semantics_and_the_s1_aliases():
    grd = factories.product()
    slc = factories.product(product_type="IW_SLC__1S", attributes={"productType": "IW_SLC__1S"})
    s2 = factories.product(mission="S2", product_type="S2MSI1C", family="S2_USER_PRODUCT",
                           attributes={"productType": "S2MSI1C"})
    unpublished = factories.product(publish=False)
    text = "Attributes/OData.CSC.StringAttribute/any(a:a/Name eq 'productType' and {})"
    assert names(text.format("a/Value eq 'IW_GRDH_1S'")) == {grd.name}
    assert names(text.format("a/OData.CSC.StringAttribute/Value in ('IW_SLC__1S','S2MSI1C')")) == {slc.name, s2.name}
    assert names(text.format("(a/Value eq 'S2MSI1C' or a/Value eq 'GRD')")) == {s2.name, grd.name}
    assert names(text.format("a/Value eq 'SLC'")) == {slc.name}
    assert names(text.format("a/Value eq 'iw_grdh_1s'")) == set()  # exact, like the attribute value
    assert names("not " + text.format("a/Value eq 'IW_GRDH_1S'")) == {slc.name, s2.name}
    assert unpublished.name not in names(text.format("a/Value eq 'IW_GRDH_1S'"))


def test_a_multi_part_area_is_one_indexable_intersects_per_part():
    """An area across ±180° is split in two: one Intersects on the MultiPolygon would probe the GiST index with a
    box spanning every longitude; one per part probes two small boxes (a BitmapOr)."""
    area = "OData.CSC.Intersects(area=geography'SRID=4326;POLYGON((178 50,-178 50,-178 53,178 53,178 50))')"
    assert sql(area).count("ST_Intersects(") == 2
    assert sql("OData.CSC.Intersects(area=geography'SRID=4326;POLYGON((0 51,1 51,1 52,0 52,0 51))')").count(
        "ST_Intersects(") == 1
    factories.product()
    plan = _plan(area)
    assert "BitmapOr" in plan or plan.count("catalog_product_footprint_") == 2, plan


def test_a_keyset_continuation_bounds_its_first_key_so_the_scan_starts_at_the_bookmark():
    bookmark = (datetime(2024, 7, 1, tzinfo=UTC), factories.product().id)
    ascending = parse_orderby(None, entity=P)
    condition = compile_after(ascending, bookmark, entity=P, convention="cdse")
    statement = str(catalog_queryset(P).filter(condition).query)
    assert '"catalog_product"."publication_date" >= 2024-07-01' in statement
    descending = parse_orderby("PublicationDate desc", entity=P)
    statement = str(catalog_queryset(P).filter(compile_after(descending, bookmark, entity=P, convention="cdse")).query)
    assert '"catalog_product"."publication_date" <= 2024-07-01' in statement
    # nulls sort last ascending: a nullable first key gets no bound there (the rows after include the nulls)
    nullable = parse_orderby("ContentDate/Start", entity=P)
    statement = str(catalog_queryset(P).filter(compile_after(nullable, bookmark, entity=P, convention="cdse")).query)
    assert ">= 2024-07-01" not in statement


def test_intersects_is_a_spatial_lookup_on_the_footprint():
    assert "ST_Intersects(\"catalog_product\".\"footprint\"" in sql(
        "OData.CSC.Intersects(area=geography'SRID=4326;POINT(1 2)')")


def _plan(text: str, order: str | None = None) -> str:
    """The plan of the condition alone (no visibility, which its own partial index serves), sequential scans off:
    an index appears in it only if the compiled condition can use it."""
    condition = compile_filter(parse_filter(text, entity=P), entity=P, convention="cdse")
    qs = Product.objects.filter(condition)
    if order is not None:
        qs = qs.order_by(*compile_ordering(parse_orderby(order, entity=P), entity=P, convention="cdse"))[:20]
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = qs.explain()
        cursor.execute("RESET enable_seqscan")
    return plan


@pytest.mark.parametrize(("text", "order", "index"), [
    ("Name eq 'S1A_X.SAFE'", None, "product_name_pattern"),
    ("startswith(Name,'S1A_IW')", None, "product_name_pattern"),
    ("contains(Name,'_GRDH_')", None, "product_name_trgm"),
    ("OData.CSC.Intersects(area=geography'SRID=4326;POINT(115 -28.5)')", None, "catalog_product_footprint_"),
    ("ContentDate/Start gt 2024-01-01 and ContentDate/Start lt 2024-02-01", "ContentDate/Start", "product_start_id"),
    ("Attributes/OData.CSC.DoubleAttribute/any(a:a/Name eq 'illuminationZenithAngle' and a/Value le 30)", None,
     "attr_double"),
    ("Attributes/OData.CSC.StringAttribute/any(a:a/Name eq 'tileId' and a/Value eq 'T32TQM')", None, "attr_string"),
    ("Attributes/OData.CSC.StringAttribute/any(a:a/Name eq 'productType' and a/Value eq 'S2MSI1C')", None,
     "product_type_"),
])
def test_the_compiled_query_can_use_the_catalog_index(text, order, index):
    factories.product()
    plan = _plan(text, order)
    assert index in plan, plan


@pytest.mark.parametrize(("text", "order", "index"), [
    ("Attributes/OData.CSC.StringAttribute/any(a:a/Name eq 'productType' and a/Value eq 'S2MSI1C')",
     "PublicationDate desc", "product_type_published"),
    ("Collection/Name eq 'SENTINEL-2'", "PublicationDate", "product_mission_published"),
])
def test_visible_products_use_the_published_partial_indexes(text, order, index):
    """With the visibility condition (catalog_queryset) the published partial indexes match: the compiled query
    repeats their predicate (publication_date IS NOT NULL AND scope = 'operational')."""
    # real statistics (other tests' index rebuilds leave the table's size estimate behind, and on one row every
    # index costs the same): many S1 products, a few S2 ones
    for _ in range(40):
        factories.product()
    for _ in range(2):
        factories.product(mission="S2", product_type="S2MSI1C", family="S2_USER_PRODUCT")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE catalog_product")
    condition = compile_filter(parse_filter(text, entity=P), entity=P, convention="cdse")
    qs = catalog_queryset(P).filter(condition)
    ordering = compile_ordering(parse_orderby(order, entity=P), entity=P, convention="cdse")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")  # only an index can give the order then
        plan = qs.order_by(*ordering)[:20].explain()
        cursor.execute("RESET enable_sort")
        cursor.execute("RESET enable_seqscan")
    assert index in plan, plan


def test_eviction_date_null_means_kept_forever_in_filters_and_order():
    forever = factories.product()
    soon = factories.product()
    services.product_update(product_id=forever.id, changes={"eviction_date": None})
    services.product_update(product_id=soon.id, changes={"eviction_date": datetime(2030, 1, 1, tzinfo=UTC)})
    assert names("EvictionDate gt 2031-01-01") == {forever.name}
    assert names("EvictionDate lt 2031-01-01") == {soon.name}
    assert names("EvictionDate eq 9999-12-31T23:59:59.999999Z") == {forever.name}
    assert names("EvictionDate ne 2030-01-01") == {forever.name}
    assert names("EvictionDate in (2030-01-01, 9999-12-31T23:59:59.999999Z)") == {forever.name, soon.name}
    ordering = compile_ordering(parse_orderby("EvictionDate", entity=P), entity=P, convention="cdse")
    assert list(catalog_queryset(P).order_by(*ordering).values_list("name", flat=True)) == [soon.name, forever.name]


def test_collections_are_matched_on_the_mission_case_insensitively():
    s1 = factories.product()
    s2 = factories.product(mission="S2", product_type="S2MSI1C", family="S2_USER_PRODUCT", attributes={})
    assert names("Collection/Name eq 'sentinel-1'") == {s1.name}
    assert names("startswith(Collection/Name,'SENTINEL')") == {s1.name, s2.name}
    assert names("Collection/Name gt 'SENTINEL-1'") == {s2.name}
    assert "mission" in sql("Collection/Name eq 'SENTINEL-2'")


def _undated(**overrides: object) -> Product:
    metadata = dataclasses.replace(factories.metadata(**overrides), content_start=None, content_end=None)
    return services.product_register(name=factories.s1_grd_name(), metadata=metadata, content_length=1,
                                     publish=True)


def test_the_default_order_walks_the_publication_index():
    factories.product()
    ordering = compile_ordering(parse_orderby(None, entity=P), entity=P, convention="cdse")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")  # only an index can give the order then
        plan = catalog_queryset(P).order_by(*ordering)[:20].explain()
        cursor.execute("RESET enable_sort")
        cursor.execute("RESET enable_seqscan")
    assert "Index Scan using product_published" in plan, plan


def test_not_is_the_complement_including_products_without_the_value():
    dated = factories.product()
    undated = _undated()
    assert names("ContentDate/Start gt 2000-01-01") == {dated.name}
    assert names("not (ContentDate/Start gt 2000-01-01)") == {undated.name}


def test_the_prip_convention_filters_on_the_delivered_file_name():
    product = factories.product(storage_key="products/S1/L1_SLICE/S1A_TEST.SAFE.zip", name="S1A_TEST.SAFE")
    bare = factories.product(name="S1A_METADATA_ONLY.SAFE")
    assert names("Name eq 'S1A_TEST.SAFE.zip'", convention="prip") == {product.name}
    assert names("Name eq 'S1A_TEST.SAFE'", convention="prip") == set()
    assert names("endswith(Name,'.SAFE.zip')", convention="prip") == {product.name}
    assert names("Name in ('S1A_METADATA_ONLY.SAFE','S1A_TEST.SAFE.zip')", convention="prip") == {
        product.name, bare.name}


def test_keyset_continuation_follows_nulls_last_in_both_directions():
    start = datetime(2024, 1, 1, tzinfo=UTC)
    rows = [factories.product(content_start=start + timedelta(hours=h % 3)) for h in range(5)]
    rows += [_undated() for _ in range(3)]
    for descending in (False, True):
        order = parse_orderby("ContentDate/Start" + (" desc" if descending else ""), entity=P)
        ordering = compile_ordering(order, entity=P, convention="cdse")
        everything = catalog_page(request=PageRequest(entity=P, order=order, top=len(rows))).entries
        for position, entry in enumerate(everything):
            values = order_values(entry, order, entity=P, convention="cdse")
            after = catalog_queryset(P).filter(compile_after(order, values, entity=P, convention="cdse"))
            assert list(after.order_by(*ordering).values_list("pk", flat=True)) == [
                e.id for e in everything[position + 1:]]
    assert len(rows) == 8


def test_attribute_filters_on_deleted_products_support_equality_only():
    product = factories.product()
    services.product_delete(product_id=product.id)
    found = names("Attributes/any(a:a/Name eq 'orbitNumber' and a/Value eq 54172)", entity=Entity.DELETED_PRODUCTS)
    assert found == {product.name}
    assert names("Attributes/any(a:a/Name eq 'orbitDirection')", entity=Entity.DELETED_PRODUCTS) == {product.name}
    with pytest.raises(QueryError) as caught:
        names("Attributes/any(a:a/Name eq 'orbitNumber' and a/Value gt 5)", entity=Entity.DELETED_PRODUCTS)
    assert caught.value.code == "Unsupported"


def test_an_intersects_area_is_compared_with_split_footprints():
    crosser = factories.product(footprint=Polygon(((178, 50), (-178, 50), (-178, 53), (178, 53), (178, 50)),
                                                  srid=4326))
    factories.product()
    assert names("OData.CSC.Intersects(area=geography'SRID=4326;POLYGON((179 51,-179 51,-179 52,179 52,179 51))')"
                 ) == {crosser.name}
    assert names("OData.CSC.Intersects(area=geography'SRID=4326;POLYGON((0 51,1 51,1 52,0 52,0 51))')") == set()
