"""One query engine: a STAC search (parameters, CQL2 text, CQL2 JSON) compiles to exactly the query tree the
PRIP's $filter parser builds for the same condition (positions aside), so both run the same SQL."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from rs.catalog.query.filter_parser import parse_filter
from rs.catalog.query.properties import Entity
from rs.catalog.query.tree import Node
from rs.stac.cql2_filter import filter_condition
from rs.stac.cql2_text import parse_cql2_text
from rs.stac.search_params import SearchParameters
from rs.stac.search_query import search_condition


def plain(value: Any) -> Any:
    """The tree without character positions (the PRIP parser records them, the STAC side has none)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
        if "position" in changes:
            changes["position"] = 0
        return type(value)(**changes)
    if isinstance(value, tuple):
        return tuple(plain(item) for item in value)
    return value


def odata(text: str) -> Node | None:
    return plain(parse_filter(text, entity=Entity.PRODUCTS))


def attribute(kind: str, name: str, condition: str) -> str:
    return (f"Attributes/OData.CSC.{kind}Attribute/any(att:att/Name eq '{name}' and "
            f"{' and '.join(f'att/OData.CSC.{kind}Attribute/Value {c}' for c in condition.split(' & '))})")


CQL2_AND_ODATA = [
    ("eo:cloud_cover <= 20", attribute("Double", "cloudCover", "le 20")),
    ("cloudCover <= 20.0", attribute("Double", "cloudCover", "le 20")),
    ("sat:relative_orbit = 51", attribute("Integer", "relativeOrbitNumber", "eq 51")),
    ("relativeOrbitNumber BETWEEN 10 AND 60", attribute("Integer", "relativeOrbitNumber", "ge 10 & le 60")),
    ("sat:orbit_state = 'descending'", attribute("String", "orbitDirection", "eq 'DESCENDING'")),
    ("productType IN ('IW_GRDH_1S', 'S2MSI1C')", attribute("String", "productType", "in ('IW_GRDH_1S','S2MSI1C')")),
    ("productType = 'GRD'", attribute("String", "productType", "eq 'GRD'")),
    ("processing:datetime > TIMESTAMP('2024-06-04T00:00:00Z')",
     attribute("DateTimeOffset", "processingDate", "gt 2024-06-04T00:00:00Z")),
    ("sliceProductFlag = true", attribute("Boolean", "sliceProductFlag", "eq true")),
    ("id LIKE 'S1A%'", "startswith(Name,'S1A')"),
    ("id LIKE '%WV\\_RAW%'", "contains(Name,'WV_RAW')"),
    ("id LIKE '%.SEN3'", "endswith(Name,'.SEN3')"),
    ("id = 'S1A_X.SAFE' OR id IN ('a', 'b')", "Name eq 'S1A_X.SAFE' or Name in ('a','b')"),
    ("NOT (constellation = 'sentinel-2') AND created > TIMESTAMP('2024-07-01T03:00:00Z')",
     "not (Collection/Name eq 'sentinel-2') and PublicationDate gt 2024-07-01T03:00:00Z"),
    ("prip:production_type = 'on_demand_default'",
     "ProductionType eq OData.CSC.ProductionType'on_demand_default'"),
    ("prip:online = true AND prip:content_length >= 2.5", "Online eq true and ContentLength ge 2.5"),
    ("start_datetime >= DATE('2024-06-05') AND end_datetime < TIMESTAMP('2024-06-09T00:00:00Z')",
     "ContentDate/Start ge 2024-06-05 and ContentDate/End lt 2024-06-09T00:00:00Z"),
    ("t_intersects(datetime, INTERVAL('2024-06-04T00:00:00Z', '..'))", "ContentDate/End ge 2024-06-04T00:00:00Z"),
    ("t_intersects(datetime, INTERVAL('..', '2024-06-05T00:00:00Z'))", "ContentDate/Start le 2024-06-05T00:00:00Z"),
    ("s_intersects(geometry, POINT(10.5 45.5))", "OData.CSC.Intersects(area=geography'SRID=4326;POINT(10.5 45.5)')"),
    ("S_INTERSECTS(geometry, POLYGON((10 45, 11 45, 11 46, 10 46, 10 45)))",
     "OData.CSC.Intersects(area=geography'SRID=4326;POLYGON((10 45,11 45,11 46,10 46,10 45))')"),
    ("s_within(geometry, POLYGON((10 45, 11 45, 11 46, 10 46, 10 45)))",
     "OData.CSC.Within(area=geography'SRID=4326;POLYGON((10 45,11 45,11 46,10 46,10 45))')"),
    ("prip:origin_date IS NULL", "OriginDate eq null"),
    ("expires IS NULL", "false"),
]


@pytest.mark.parametrize(("cql2", "odata_filter"), CQL2_AND_ODATA)
def test_a_cql2_text_filter_is_the_prip_filter(cql2: str, odata_filter: str) -> None:
    assert plain(filter_condition(parse_cql2_text(cql2))) == odata(odata_filter)


def test_a_cql2_json_filter_is_the_same_tree_as_its_text() -> None:
    text = "eo:cloud_cover < 10 AND (id LIKE 'S2%' OR sat:relative_orbit IN (22, 94))"
    json_form = {"op": "and", "args": [
        {"op": "<", "args": [{"property": "eo:cloud_cover"}, 10]},
        {"op": "or", "args": [{"op": "like", "args": [{"property": "id"}, "S2%"]},
                              {"op": "in", "args": [{"property": "sat:relative_orbit"}, [22, 94]]}]}]}
    assert filter_condition(json_form) == filter_condition(parse_cql2_text(text))


def test_the_search_parameters_are_the_prip_filter_of_eodag() -> None:
    # given the parameters of a typical search: a collection, an area, an interval
    params = SearchParameters(collections=("sentinel-2-s2msi2a",), bbox=(10.0, 45.0, 11.0, 46.0),
                              datetime="2024-03-01T00:00:00Z/2024-03-02T00:00:00Z")
    # then the tree is the one of the PRIP filter eodag sends for them (prip-odata.md §17.1)
    assert plain(search_condition(params)) == odata(
        "(Collection/Name eq 'SENTINEL-2' and " + attribute("String", "productType", "eq 'S2MSI2A'") + ") and "
        "OData.CSC.Intersects(area=geography'SRID=4326;POLYGON((10.0 45.0,11.0 45.0,11.0 46.0,10.0 46.0,10.0 45.0))')"
        " and (ContentDate/Start le 2024-03-02T00:00:00Z and ContentDate/End ge 2024-03-01T00:00:00Z)")


def test_ids_are_names_and_several_collections_are_alternatives() -> None:
    params = SearchParameters(ids=("A.SAFE", "B.SAFE"), collections=("sentinel-1-iw_slc__1s", "sentinel-3-ol_1_efr___"))
    assert plain(search_condition(params)) == odata(
        "((Collection/Name eq 'SENTINEL-1' and " + attribute("String", "productType", "eq 'IW_SLC__1S'") + ") or "
        "(Collection/Name eq 'SENTINEL-3' and " + attribute("String", "productType", "eq 'OL_1_EFR___'") + ")) and "
        "Name in ('A.SAFE','B.SAFE')")


def test_stac_cloud_cover_filters_use_the_cloud_cover_column_as_the_prip_does():
    from rs.catalog.query.compiler import compile_filter
    from rs.catalog.query.selectors import catalog_queryset

    condition = compile_filter(filter_condition(parse_cql2_text("eo:cloud_cover <= 20 AND productType = 'S2MSI2A'")),
                               entity=Entity.PRODUCTS, convention="cdse")
    statement = str(catalog_queryset(Entity.PRODUCTS).filter(condition).query)
    assert '"catalog_product"."cloud_cover" <= 20.0' in statement
    assert '"catalog_product"."product_type" = S2MSI2A' in statement
    assert "catalog_productattribute" not in statement
