"""Property: whatever the $filter (random text or grammar-shaped fragments), the real view never answers 5xx."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rs.prip.tests.requests import ROOT

pytestmark = pytest.mark.django_db

FRAGMENTS = [
    "Name", "eq", "ne", "gt", "lt", "ge", "le", "and", "or", "not", "in", "(", ")", ",", "'S1A'", "'", "''",
    "contains(Name,'A')", "startswith(", "endswith(Name,", "Collection/Name", "ContentDate/Start", "ContentDate/End",
    "PublicationDate", "EvictionDate", "OriginDate", "ContentLength", "Online", "true", "false", "null", "Id",
    "2024-01-01", "2024-01-01T00:00:00Z", "2024-13-45T25:61:61.1234567890+99:99", "9999-12-31T23:59:59.999999Z",
    "00000000-0000-0000-0000-000000000000", "1e308", "-1e999", "9223372036854775808", "2.5", "NaN", "0",
    "OData.CSC.Intersects(area=geography'SRID=4326;", "POLYGON((", "POINT(", "MULTIPOLYGON(((", "LINESTRING(",
    "1 2", "180 90", "-181 -91", "))", "')", "SRID=3857;", "Attributes/OData.CSC.StringAttribute/any(",
    "Attributes/OData.CSC.IntegerAttribute/all(", "att:att/Name eq 'productType'", "att/Value", "att/OData.CSC.",
    "DoubleAttribute/Value", "ProductionType", "DeletionDate", "DeletionCause",
    "OData.CSC.ProductionType'systematic_production'", "geo.intersects(",
    "\x00", "%", "%25", "\u00e9", "\ud7ff", "/", ":", "=", "$", "&", "+",
]

grammar_shaped = st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=14).map(" ".join)
glued = st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=14).map("".join)
junk = st.text(max_size=120)


def _status(client, entity_set: str, text: str) -> int:
    url = f"{ROOT}/{entity_set}?$top=3&$expand=Attributes&$filter={quote(text, safe='')}"
    return client.get(url).status_code


@pytest.mark.parametrize("entity_set", ["Products", "DeletedProducts"])
@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.one_of(grammar_shaped, glued, junk))
def test_no_filter_text_makes_the_server_fail(client, catalog, entity_set, text):
    assert _status(client, entity_set, text) < 500


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.text(alphabet=st.sampled_from(list("$%&=+'()/,:; abcfilterop0123456789FF2424")), max_size=60))
def test_no_raw_query_string_makes_the_server_fail(client, catalog, raw):
    assert client.get(f"{ROOT}/Products?{raw}").status_code < 500


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(orderby=st.one_of(st.text(max_size=40), st.lists(st.sampled_from(
    ["Name", "Id", "asc", "desc", ",", "ContentDate/Start", "Footprint", "  "]), max_size=6).map(" ".join)))
def test_no_orderby_or_key_makes_the_server_fail(client, catalog, orderby):
    assert client.get(f"{ROOT}/Products?$orderby={quote(orderby, safe='')}").status_code < 500
    assert client.get(f"{ROOT}/Products({quote(orderby, safe='')})").status_code < 500
