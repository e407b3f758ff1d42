"""Malformed or unsupported requests (prip-odata.md §9, §20 cases 5, 8, 17, 20): the exact status and body."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.test import Client

from rs.prip.tests.requests import ROOT, get

pytestmark = pytest.mark.django_db

SAMPLES = Path(__file__).resolve().parents[3].parent / "shared" / "samples" / "odata"


def geo(wkt: str) -> str:
    return f"OData.CSC.Intersects(area=geography'SRID=4326;{wkt}')"


# (filter, error detail code, position of the problem in the filter text)
FILTER_ERRORS = [
    ("Foo eq 1", "UnknownProperty", 0),
    ("Name eq", "SyntaxError", 7),
    ("frobnicate(Name)", "UnknownFunction", 0),
    ("Attributes/OData.CSC.StringAttribute/all(a:a/Name eq 'x')", "Unsupported", 37),
    ("Name eq 'x' AND Name eq 'y'", "SyntaxError", 12),
    ("ContentDate/Stop gt 2024-01-01", "UnknownProperty", 0),
    ("Name eq 5", "TypeMismatch", 8),
    ("ContentLength eq 'abc'", "TypeMismatch", 17),
    ("PublicationDate gt 2024-13-01", "InvalidLiteral", 19),
    ("PublicationDate gt 2024-02-30T00:00:00Z", "InvalidLiteral", 19),
    ("Name eq 'unterminated", "InvalidLiteral", 8),
    ("(Name eq 'a'", "SyntaxError", 12),
    ("Name eq 'a')", "SyntaxError", 11),
    ("Attributes/OData.CSC.StringAttribute/any(a:a/Name eq 'x' or a/Name eq 'y')", "Unsupported", 43),
    ("Attributes/OData.CSC.StringAttribute/any(a:a/OData.CSC.StringAttribute/Value eq 'y')", "Unsupported", 0),
    ("Attributes/OData.CSC.FooAttribute/any(a:a/Name eq 'x')", "UnknownType", 11),
    ("Attributes/OData.CSC.IntegerAttribute/any(a:a/Name eq 'orbitNumber' and a/Value eq 'abc')", "TypeMismatch", 83),
    ("Footprint eq 'x'", "Unsupported", 0),
    ("Online gt true", "Unsupported", 0),
    ("ProductionType eq OData.CSC.ProductionType'bogus'", "InvalidLiteral", 18),
    ("OriginDate gt null", "TypeMismatch", 14),
    ("name eq 'x'", "UnknownProperty", 0),
    ("Name eq 'x' and", "SyntaxError", 15),
    ("contains('x', Name)", "SyntaxError", 9),
    ("Name eq Name", "Unsupported", 8),
    ("Name eq 'a' ~ 1", "SyntaxError", 12),
    ("PublicationDate gt 2024-01-01T00:00:00 02:00", "InvalidLiteral", 38),
    ("(" * 80 + "Name eq 'a'" + ")" * 80, "TooComplex", 64),
    (geo("POLYGON((1 1,2 1,2 2,1 2))"), "InvalidGeometry", 54),
    ("OData.CSC.Intersects(area=geography'SRID=3857;POINT(1 2)')", "InvalidGeometry", 41),
    (geo("BLAH(1 2)"), "InvalidGeometry", 46),
    (geo("POLYGON((0 0,2 2,2 0,0 2,0 0))"), "InvalidGeometry", 54),
    (geo("POINT(1 95)"), "InvalidGeometry", 51),
    (geo("POINT(NaN 1)"), "InvalidGeometry", 52),
    (geo("POLYGON((1 1,2 1,1 1))"), "InvalidGeometry", 54),
    ("OData.CSC.Intersects(area='POINT(1 2)')", "SyntaxError", 26),
    ("OData.CSC.Intersects(location=Name,area=geography'SRID=4326;POINT(1 2)')", "Unsupported", 30),
]


@pytest.mark.parametrize(("text", "code", "position"), FILTER_ERRORS, ids=[e[0][:70] for e in FILTER_ERRORS])
def test_a_bad_filter_is_a_400_naming_the_position(client, text, code, position):
    response = get(client, "Products", ("$filter", text))
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    error = response.json()["error"]
    assert (error["code"], error["target"]) == ("InvalidFilter", "$filter")
    assert error["message"].endswith(f" at position {position}")
    assert error["details"][0]["code"] == code
    assert error["details"][0]["target"] == f"position {position}"


def test_an_unknown_property_gives_the_documented_body(client):
    response = get(client, "Products", ("$filter", "Foo eq 1"))
    assert response.json() == {"error": {
        "code": "InvalidFilter", "message": "Unknown property 'Foo' at position 0", "target": "$filter",
        "details": [{"code": "UnknownProperty", "message": "Foo", "target": "position 0"}],
    }}


def test_a_skip_above_10000_is_the_exact_cdse_422(client):
    response = client.get(f"{ROOT}/Products?$skip=10001")
    assert response.status_code == 422
    assert response.content == (b'{"detail":[{"type":"less_than_equal","loc":["query","$skip"],"msg":"Input should be '
                                 b'less than or equal to 10000","input":"10001","ctx":{"le":10000}}]}')


def test_the_422_body_is_the_one_recorded_from_cdse(client):
    sample = SAMPLES / "cdse_error_422_skip_over_10000.cdse-docs.json"
    if not sample.exists():
        pytest.skip("shared samples are not available")
    recorded = json.loads(sample.read_text())
    response = client.get(f"{ROOT}/Products?%24skip=10001")
    assert (response.status_code, response.json()) == (recorded["_http_status"], recorded["body"])


@pytest.mark.parametrize(("raw", "detail"), [
    ("$top=1001", {"type": "less_than_equal", "loc": ["query", "$top"],
                   "msg": "Input should be less than or equal to 1000", "input": "1001", "ctx": {"le": 1000}}),
    ("$top=-1", {"type": "greater_than_equal", "loc": ["query", "$top"],
                 "msg": "Input should be greater than or equal to 0", "input": "-1", "ctx": {"ge": 0}}),
    ("$skip=-5", {"type": "greater_than_equal", "loc": ["query", "$skip"],
                  "msg": "Input should be greater than or equal to 0", "input": "-5", "ctx": {"ge": 0}}),
    ("$top=abc", {"type": "int_parsing", "loc": ["query", "$top"],
                  "msg": "Input should be a valid integer, unable to parse string as an integer", "input": "abc"}),
    ("$skip=1.5", {"type": "int_parsing", "loc": ["query", "$skip"],
                   "msg": "Input should be a valid integer, unable to parse string as an integer", "input": "1.5"}),
])
def test_top_and_skip_out_of_range_are_422_with_the_cdse_shape(client, raw, detail):
    response = client.get(f"{ROOT}/Products?{raw}")
    assert (response.status_code, response.json()) == (422, {"detail": [detail]})


@pytest.mark.parametrize(("raw", "target"), [
    ("$count=yes", "$count"),
    ("$expand=Nope", "$expand"),
    ("$expand=Attributes($select=Name)", "$expand"),
    ("$select=Nope", "$select"),
    ("$select=Attributes", "$select"),
    ("$format=xml", "$format"),
    ("$search=sentinel", "$search"),
    ("$apply=groupby(Name)", "$apply"),
    ("$foo=1", "$foo"),
    ("$Filter=Name%20eq%20'a'", "$Filter"),
    ("$filter=true&$filter=true", "$filter"),
    ("$top=1&%24top=2", "$top"),
    ("$skiptoken=", "$skiptoken"),
])
def test_a_bad_or_unknown_option_is_a_400_naming_it(client, raw, target):
    response = client.get(f"{ROOT}/Products?{raw}")
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], error["target"]) == ("InvalidQueryOption", target)


@pytest.mark.parametrize(("raw", "position"), [("Nope", 0), ("Name sideways", 5), ("Name asc, Footprint", 10),
                                              ("Name,,Id", 5)])
def test_a_bad_orderby_is_a_400_naming_the_position(client, raw, position):
    response = get(client, "Products", ("$orderby", raw))
    error = response.json()["error"]
    assert (response.status_code, error["code"], error["target"]) == (400, "InvalidOrderBy", "$orderby")
    assert error["details"][0]["target"] == f"position {position}"


def test_a_forged_skiptoken_is_a_400(client):
    response = client.get(f"{ROOT}/Products?$skiptoken=bm90LWEtdG9rZW4")
    error = response.json()["error"]
    assert (response.status_code, error["code"], error["target"]) == (400, "InvalidSkipToken", "$skiptoken")


def test_a_skiptoken_of_another_query_is_a_400(client, catalog):
    first = get(client, "Products", ("$top", "1"), ("$filter", "startswith(Name,'S1')")).json()
    token = first["@odata.nextLink"].split("%24skiptoken=")[1]
    response = client.get(f"{ROOT}/Products?$top=1&$filter=startswith(Name,'S2')&$skiptoken={token}")
    error = response.json()["error"]
    assert (response.status_code, error["target"]) == (400, "$skiptoken")
    assert "another query" in error["message"]


def test_a_percent_sequence_that_is_not_utf8_is_a_400(client):
    response = client.get(f"{ROOT}/Products?$filter=Name%20eq%20'%FF'")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "InvalidQueryOption"


@pytest.mark.parametrize(("path", "status", "code"), [
    ("Products(not-a-uuid)", 400, "InvalidKey"),
    ("Products('not-a-uuid')", 400, "InvalidKey"),
    ("Products(00000000-0000-0000-0000-000000000000)", 404, "NotFound"),
    ("Products(00000000-0000-0000-0000-000000000000)/Attributes", 404, "NotFound"),
    ("DeletedProducts(00000000-0000-0000-0000-000000000000)", 404, "NotFound"),
    ("Attributes(NOPE)", 404, "NotFound"),
    ("Nope", 404, "NotFound"),
    ("Products(00000000-0000-0000-0000-000000000000)/Nodes", 404, "NotFound"),
])
def test_bad_keys_are_400_and_unknown_resources_404_both_in_json(client, path, status, code):
    response = client.get(f"{ROOT}/{path}")
    assert (response.status_code, response["Content-Type"]) == (status, "application/json")
    assert response.json()["error"]["code"] == code


def test_an_unknown_product_of_an_unpublished_id_is_404(client, catalog):
    response = client.get(f"{ROOT}/Products({catalog['P10'].id})")
    assert response.status_code == 404


def test_a_write_method_on_a_collection_is_a_405_in_json():
    response = Client(enforce_csrf_checks=True).post(f"{ROOT}/Products", data="{}", content_type="application/json")
    assert (response.status_code, response["Allow"]) == (405, "GET, HEAD")
    assert response.json()["error"]["code"] == "MethodNotAllowed"


@pytest.mark.parametrize(("body", "status"), [
    (b"not json", 400), (b'{"FilterProducts": "x"}', 400), (b'{"FilterProducts": [{"Name": 5}]}', 400),
    (b"[]", 400), (json.dumps({"FilterProducts": [{"Name": f"n{i}"} for i in range(1001)]}).encode(), 422),
])
def test_a_bad_filterlist_body_is_refused(client, body, status):
    response = client.post(f"{ROOT}/Products/OData.CSC.FilterList", data=body, content_type="application/json")
    assert response.status_code == status


def test_filterlist_needs_no_csrf_token_and_head_answers_like_get(catalog):
    client = Client(enforce_csrf_checks=True)
    body = {"FilterProducts": [{"Name": catalog["P1"].name}]}
    response = client.post(f"{ROOT}/Products/OData.CSC.FilterList", data=body, content_type="application/json")
    assert response.status_code == 200
    head = client.head(f"{ROOT}/Products?$top=1")
    assert (head.status_code, head["Content-Type"]) == (200, "application/json")
