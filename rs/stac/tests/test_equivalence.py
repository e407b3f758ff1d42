"""The same searches through both interfaces, over HTTP: the PRIP OData API (filter, following nextLinks) and the
STAC API (GET and POST, small pages, following next links) return the same products, in the same order when one
is asked for."""

from __future__ import annotations

from typing import Any

import pytest

from rs.catalog.models import Product
from rs.stac import services
from rs.stac.tests import catalog as stac_catalog
from rs.stac.tests.live import odata_names, stac_ids_get, stac_ids_post

pytestmark = pytest.mark.slow

GRD = ("Collection/Name eq 'SENTINEL-1' and Attributes/OData.CSC.StringAttribute/any(att:att/Name eq 'productType' "
       "and att/OData.CSC.StringAttribute/Value eq 'IW_GRDH_1S')")
BOX = "POLYGON((-5 47,12 47,12 49,-5 49,-5 47))"

# (what, OData $filter, STAC GET parameters, STAC POST body, the catalogue labels expected)
SEARCHES: list[tuple[str, str, dict[str, str], dict[str, Any], set[str]]] = [
    ("collection", GRD, {"collections": "sentinel-1-iw_grdh_1s"}, {"collections": ["sentinel-1-iw_grdh_1s"]},
     {"P1", "P12", "L1"}),
    ("collection + bbox + interval", GRD + f" and OData.CSC.Intersects(area=geography'SRID=4326;{BOX}') and "
     "ContentDate/Start le 2024-07-31T00:00:00Z and ContentDate/End ge 2024-06-01T00:00:00Z",
     {"collections": "sentinel-1-iw_grdh_1s", "bbox": "-5,47,12,49",
      "datetime": "2024-06-01T00:00:00Z/2024-07-31T00:00:00Z"},
     {"collections": ["sentinel-1-iw_grdh_1s"], "bbox": [-5, 47, 12, 49],
      "datetime": "2024-06-01T00:00:00Z/2024-07-31T00:00:00Z"}, {"L1"}),
    ("bbox across the antimeridian", "OData.CSC.Intersects(area=geography'SRID=4326;"
     "POLYGON((177 49,-177 49,-177 54,177 54,177 49))')", {"bbox": "177,49,-177,54"},
     {"bbox": [177, 49, -177, 54]}, {"P8"}),
    ("point", "OData.CSC.Intersects(area=geography'SRID=4326;POINT(10.5 45.5)')",
     {"intersects": '{"type":"Point","coordinates":[10.5,45.5]}'},
     {"intersects": {"type": "Point", "coordinates": [10.5, 45.5]}}, {"P3", "P6", "P7"}),
    ("open interval", "ContentDate/End ge 2024-06-10T00:00:00Z", {"datetime": "2024-06-10T00:00:00Z/.."},
     {"datetime": "2024-06-10T00:00:00Z/.."}, {"P7", "P8", "P12", "L0", "L1", "C1", "C2"}),
    ("cloud cover (CQL2)", "Attributes/OData.CSC.DoubleAttribute/any(att:att/Name eq 'cloudCover' and "
     "att/OData.CSC.DoubleAttribute/Value lt 50)", {"filter": "eo:cloud_cover < 50"},
     {"filter": {"op": "<", "args": [{"property": "eo:cloud_cover"}, 50]}}, {"P6", "P8", "C1", "C2"}),
    ("name prefix and type list (CQL2)", "startswith(Name,'S1A') and Attributes/OData.CSC.StringAttribute/any("
     "att:att/Name eq 'productType' and att/OData.CSC.StringAttribute/Value in ('IW_RAW__0S','WV_RAW__0S'))",
     {"filter": "id LIKE 'S1A%' AND productType IN ('IW_RAW__0S', 'WV_RAW__0S')"},
     {"filter-lang": "cql2-text", "filter": "id LIKE 'S1A%' AND productType IN ('IW_RAW__0S', 'WV_RAW__0S')"},
     {"P4", "P5", "L0"}),
    ("orbit and production type (CQL2)", "(Attributes/OData.CSC.IntegerAttribute/any(att:att/Name eq "
     "'relativeOrbitNumber' and att/OData.CSC.IntegerAttribute/Value eq 51) or ProductionType eq "
     "OData.CSC.ProductionType'on_demand_default') and not (Online eq false)",
     {"filter": "(sat:relative_orbit = 51 OR prip:production_type = 'on_demand_default') AND NOT prip:online = false"},
     {"filter": {"op": "and", "args": [
         {"op": "or", "args": [{"op": "=", "args": [{"property": "sat:relative_orbit"}, 51]},
                               {"op": "=", "args": [{"property": "prip:production_type"}, "on_demand_default"]}]},
         {"op": "not", "args": [{"op": "=", "args": [{"property": "prip:online"}, False]}]}]}},
     {"P1", "P3", "P4", "P9"}),
    ("area and time functions (CQL2)", "OData.CSC.Intersects(area=geography'SRID=4326;POINT(10.5 45.5)') and "
     "ContentDate/Start le 2024-06-09T23:59:59.999999Z and ContentDate/End ge 2024-06-09T00:00:00Z",
     {"filter": "S_INTERSECTS(geometry, POINT(10.5 45.5)) AND T_INTERSECTS(datetime, DATE('2024-06-09'))"},
     {"filter": {"op": "and", "args": [
         {"op": "s_intersects", "args": [{"property": "geometry"}, {"type": "Point", "coordinates": [10.5, 45.5]}]},
         {"op": "t_intersects", "args": [{"property": "datetime"}, {"date": "2024-06-09"}]}]}}, {"P6"}),
]


@pytest.fixture
def committed_catalog(transactional_db: None) -> dict[str, Product]:
    products = stac_catalog.build()
    services.collection_extents_rebuild()
    return products


def labels(names: list[str], products: dict[str, Product]) -> set[str]:
    by_name = {p.name: label for label, p in products.items() if label not in ("P10", "P11")}
    return {by_name.get(name, name) for name in names}


@pytest.mark.parametrize(("what", "odata_filter", "get", "post", "expected"), SEARCHES, ids=[s[0] for s in SEARCHES])
def test_both_interfaces_find_the_same_products(live_server: Any, committed_catalog: dict[str, Product], what: str,
                                                odata_filter: str, get: dict[str, str], post: dict[str, Any],
                                                expected: set[str]) -> None:
    # when the same search goes through OData and through STAC (GET and POST, pages of 2)
    prip = odata_names(live_server.url, odata_filter)
    stac_get = stac_ids_get(live_server.url, limit="2", **get)
    stac_post = stac_ids_post(live_server.url, {**post, "limit": 2})
    # then each finds the expected products, each once, in the same (default) order
    assert labels(prip, committed_catalog) == expected
    assert stac_get == prip
    assert stac_post == prip


def test_an_order_is_the_same_through_both(live_server: Any, committed_catalog: dict[str, Product]) -> None:
    prip = odata_names(live_server.url, "Collection/Name eq 'SENTINEL-1'", orderby="ContentDate/Start desc,Name asc")
    stac = stac_ids_get(live_server.url, limit="3", filter="constellation = 'sentinel-1'", sortby="-datetime,id")
    assert stac == prip
    assert len(prip) == 9


def test_the_items_of_a_collection_are_its_prip_products(live_server: Any,
                                                         committed_catalog: dict[str, Product]) -> None:
    prip = odata_names(live_server.url, "Collection/Name eq 'SENTINEL-2' and Attributes/OData.CSC.StringAttribute/"
                                        "any(att:att/Name eq 'productType' and att/Value eq 'S2MSI2A')")
    stac = stac_ids_get(live_server.url, "collections/sentinel-2-s2msi2a/items", limit="1")
    assert stac == prip
    assert labels(stac, committed_catalog) == {"P7", "C2"}
