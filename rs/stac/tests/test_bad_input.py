"""Bad requests are 400s (404, 405, 413) with a message that names the problem; never a 500, never a crash,
whatever the input."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rs.catalog.models import Product
from rs.stac.tests.stac_requests import get_json, post_json

BAD_GET = [
    ({"limit": "0"}, "limit: 0 is outside 1…1000"),
    ({"limit": "1001"}, "limit: 1001 is outside 1…1000"),
    ({"limit": "ten"}, "limit: 'ten' is not an integer"),
    ({"bbox": "1,2,3"}, "bbox: 4 numbers (west, south, east, north) or 6 with heights"),
    ({"bbox": "1,2,x,4"}, "bbox: '1,2,x,4' is not a comma-separated list of numbers"),
    ({"bbox": "0,50,10,40"}, "bbox: latitudes are between -90 and 90, south before north"),
    ({"bbox": "1,2,3,4", "intersects": '{"type":"Point","coordinates":[1,2]}'},
     "bbox and intersects cannot be used together"),
    ({"intersects": '{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0.5]]]}'},
     "intersects: Invalid geometry: Polygon must start and end with the same point (the ring is not closed)"),
    ({"intersects": '{"type":"Circle"}'}, "intersects: unknown GeoJSON geometry type 'Circle'"),
    ({"intersects": "{"}, "intersects: not valid JSON (or nested too deeply)"),
    ({"datetime": "yesterday"}, "datetime: 'yesterday' is not an RFC 3339 date-time such as 2024-06-04T11:01:00Z"),
    ({"datetime": "../.."}, "datetime: an interval needs at least one end (../.. is not allowed)"),
    ({"datetime": "2024-02-01T00:00:00Z/2024-01-01T00:00:00Z"}, "datetime: the interval starts after it ends"),
    ({"sortby": "-cloud"}, "sortby: cannot sort by 'cloud'"),
    ({"filter": "eo:cloud_cover <"}, "filter: Unexpected end of the filter: expected a property or a value at "
                                     "position 16"),
    ({"filter": "cloud_cover < 10"}, "filter: 'cloud_cover' is not a queryable: see /stac/queryables"),
    ({"filter": "Eo:cloud_cover < 10"}, "filter: 'Eo:cloud_cover' is not a queryable (did you mean "
                                        "'eo:cloud_cover'?): see /stac/queryables"),
    ({"filter": "eo:cloud_cover < 'low'"}, "filter: Attribute 'cloudCover' is Double: cannot compare it with a "
                                           "string ('low')"),
    ({"filter": "id LIKE 'S1A_IW%'"}, "filter: like: '_' (any one character) is not supported; write \\_ for an "
                                      "underscore (names are full of them): 'S1A\\_IW%'"),
    ({"filter": "id LIKE 'S1%IW%'"}, "filter: like: the pattern 'S1%IW%' is not supported; use text%, %text or "
                                     "%text%"),
    ({"filter": "CASEI(id) = 'x'"}, "filter: case-insensitive comparison is not supported"),
    ({"filter": "T_BEFORE(datetime, TIMESTAMP('2024-01-01T00:00:00Z'))"}, "filter: T_BEFORE is not supported"),
    ({"filter": "s_within(POINT(1 2), geometry)"}, "filter: s_within(area, geometry) (footprints containing an area) "
                                                   "is not supported; s_within(geometry, area) is"),
    ({"filter": "NOT " * 100 + "id = 'x'"}, "filter: The filter nests more than 64 levels at position 256"),
    ({"filter": "a = 1", "filter-lang": "sql"}, "filter-lang: 'sql' is not supported: use cql2-text or cql2-json"),
    ({"filter": "{", "filter-lang": "cql2-json"}, "filter: not valid JSON (or nested too deeply)"),
    ({"query": '{"eo:cloud_cover":{"lt":10}}'}, "query: the query extension is not supported: use filter (CQL2)"),
    ({"skiptoken": "forged"}, "The $skiptoken is not one this service issued (malformed or altered): follow the "
                              "next link as it is"),
]


@pytest.mark.parametrize(("params", "message"), BAD_GET, ids=[m[:40] for _, m in BAD_GET])
def test_a_bad_get_search_is_a_400_with_the_reason(client: Any, db: None, params: dict[str, str],
                                                   message: str) -> None:
    payload = get_json(client, "search", status=400, **params)
    assert set(payload) == {"code", "description"}
    assert payload["description"].startswith(message), payload


BAD_POST = [
    ({"limit": True}, "limit: True is not an integer"),
    ({"collections": "sentinel-1-iw_grdh_1s,"}, "collections: a list of non-empty strings"),
    ({"ids": []}, "ids: between 1 and 1000 values"),
    ({"sortby": [{"field": "datetime", "direction": "up"}]}, "sortby: direction 'up' is not asc or desc"),
    ({"fields": {"include": "id"}}, "fields.include: a list of field names"),
    ({"filter": {"op": "=", "args": [{"property": "id"}]}}, "filter: '=' takes 2 arguments, not 1"),
    ({"filter": {"op": "frobnicate", "args": []}}, "filter: Unknown or unsupported CQL2 operator 'frobnicate'"),
    ({"filter": {"op": "=", "args": [{"property": "geometry"}, 1]}},
     "filter: geometry can only be filtered with s_intersects, s_disjoint, s_within or s_contains"),
    ({"filter": {"op": "in", "args": [{"property": "id"}, list(range(1001))]}}, "filter: in: at most 1000 values"),
    ({"filter": "id = 'x'"}, "filter: not valid JSON (or nested too deeply)"),
    ({"filter-crs": "EPSG:3857", "filter": {"op": "=", "args": [{"property": "id"}, "x"]}},
     "filter-crs: only http://www.opengis.net/def/crs/OGC/1.3/CRS84 is supported"),
]


@pytest.mark.parametrize(("body", "message"), BAD_POST, ids=[m[:40] for _, m in BAD_POST])
def test_a_bad_post_search_is_a_400_with_the_reason(client: Any, db: None, body: dict[str, Any],
                                                    message: str) -> None:
    payload = post_json(client, "search", body, status=400)
    assert payload["description"].startswith(message), payload


def test_a_deeply_nested_json_filter_is_refused_not_crashed(client: Any, db: None) -> None:
    nested: Any = {"op": "=", "args": [{"property": "id"}, "x"]}
    for _ in range(200):
        nested = {"op": "not", "args": [nested]}
    assert post_json(client, "search", {"filter": nested}, status=400)["description"] == (
        "filter: The filter nests more than 64 levels")
    raw = '{"filter": ' + "[" * 100_000 + "]" * 100_000 + "}"
    response = client.post("/stac/search", data=raw, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["description"] == "body: not valid JSON (or nested too deeply)"


def test_a_body_that_is_not_an_object_or_too_large_is_refused(client: Any, db: None) -> None:
    response = client.post("/stac/search", data="[1, 2]", content_type="application/json")
    assert response.json() == {"code": "InvalidParameterValue",
                               "description": "The body is a JSON object of search parameters"}
    response = client.post("/stac/search", data=json.dumps({"ids": ["x" * 1024] * 1100}),
                           content_type="application/json")
    assert response.status_code == 413


def test_a_next_link_token_does_not_fit_another_search(client: Any, catalog: dict[str, Product]) -> None:
    first = get_json(client, "search", limit="1", collections="sentinel-1-iw_grdh_1s")
    href = next(link["href"] for link in first["links"] if link["rel"] == "next")
    token = parse_qs(urlsplit(href).query)["skiptoken"][0]
    payload = get_json(client, "search", status=400, limit="1", collections="sentinel-2-s2msi2a", skiptoken=token)
    assert payload == {"code": "InvalidSkipToken", "description": "The $skiptoken belongs to another query: keep "
                       "$filter and $orderby of its nextLink: follow the next link as it is"}


def test_unknown_resources_and_methods(client: Any, catalog: dict[str, Product]) -> None:
    assert get_json(client, "collections/sentinel-9-x", status=404)["description"] == (
        "No collection 'sentinel-9-x': see /stac/collections")
    assert get_json(client, "collections/sentinel-1-iw_grdh_1s/items/NOPE.SAFE", status=404)["description"] == (
        "No item 'NOPE.SAFE' in collection 'sentinel-1-iw_grdh_1s'")
    # an item exists only in its own collection
    assert get_json(client, f"collections/sentinel-2-s2msi2a/items/{catalog['L1'].name}", status=404)
    assert get_json(client, "nothing/here", status=404)["code"] == "NotFound"
    response = client.delete("/stac/search")
    assert (response.status_code, response["Allow"]) == (405, "GET, HEAD, POST")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(alphabet=st.sampled_from(list("()'\",=<>%_ -.:AaNnDdOoRrTtIiSsLlKkEe0123456789")), max_size=60))
def test_any_cql2_text_is_answered_never_a_500(client: Any, db: None, text: str) -> None:
    response = client.get("/stac/search", {"filter": text, "limit": "1"})
    assert response.status_code in (200, 400), (text, response.content[:500])
