"""Subscription matching decides, product by product, what the SQL compiler decides for a whole catalogue: every
$filter conformance case (test_conformance_filters.CASES) gives exactly its expected products when evaluated in
Python, in both Name conventions, with SQL's treatment of nulls; what Python cannot decide exactly goes to the
database; and the prefilter keys are sound."""

from __future__ import annotations

import json
from typing import Any

import pytest

from rs.catalog.query.entries import CatalogEntry
from rs.catalog.query.filter_parser import parse_filter
from rs.catalog.query.names import name_convention
from rs.catalog.query.properties import Entity
from rs.catalog.query.selectors import catalog_entry
from rs.prip.tests.catalog import VISIBLE, labels_of
from rs.prip.tests.requests import get_json
from rs.prip.tests.test_conformance_filters import CASES
from rs.subscriptions.tests.support import (  # noqa: F401 - fixtures
    alice_fixture,
    basic_memo_fixture,
    bearer,
    events_deliver,
    fast_passwords_fixture,
    public_client_fixture,
)

pytestmark = pytest.mark.django_db

# beyond the conformance cases: negations over nulls, EvictionDate's null as 9999-12-31, text on ids
MORE = [
    "not (ContentDate/Start gt 2024-06-06T00:00:00Z)",
    "not (ContentDate/End lt 2024-06-08T00:00:00Z) and not (OriginDate eq 2024-06-04T12:12:03.404Z)",
    "ContentDate/Start ne 2024-06-04T11:01:00.494767Z",
    "not (ContentDate/Start in (2024-06-04T11:01:00.494767Z, 2024-06-09T10:00:00Z))",
    "EvictionDate ne 9999-12-31T23:59:59.999999Z",
    "EvictionDate in (9999-12-31T23:59:59.999999Z)",
    "EvictionDate gt 2024-01-01 and EvictionDate le 9999-12-31T23:59:59.999999Z",
    "not OData.CSC.Intersects(area=geography'SRID=4326;POLYGON ((10 45, 11 45, 11 46, 10 46, 10 45))')",
    "OData.CSC.Within(area=geography'SRID=4326;POLYGON ((9 44, 12 44, 12 47, 9 47, 9 44))')",
    "startswith(Id,'0') or endswith(Id,'a')",
    "not Attributes/OData.CSC.DoubleAttribute/any(att:att/Name eq 'cloudCover' and "
    "att/OData.CSC.DoubleAttribute/Value gt 20)",
    "Attributes/OData.CSC.StringAttribute/any(att:att/Name eq 'cloudCover' and "
    "att/OData.CSC.StringAttribute/Value eq '12.5')",
    "Attributes/OData.CSC.IntegerAttribute/any(att:att/Name eq 'relativeOrbitNumber' and "
    "att/OData.CSC.IntegerAttribute/Value in (12, 51) and att/OData.CSC.IntegerAttribute/Value ne 12)",
    "endswith(Collection/Name,'-3') or Collection/Name gt 'SENTINEL-1'",
    "Name eq '{P1.name}.zip' or Name in ('{P6.name}.zip', '{P8.name}')",
    "false",
]


def python_labels(catalog: dict[str, Any], text: str) -> set[str]:
    from rs.subscriptions.evaluation import Evaluator, product_facts

    tree = parse_filter(text.format(**catalog), entity=Entity.PRODUCTS)
    evaluator, chosen = Evaluator(), set()
    for label in VISIBLE:
        product = catalog[label]
        entry = catalog_entry(entity=Entity.PRODUCTS, entry_id=product.id, with_attributes=True, with_assets=True)
        assert isinstance(entry, CatalogEntry)
        facts = product_facts(entry, mission=product.mission, convention=name_convention())
        if tree is None or evaluator.matches(tree, facts):
            chosen.add(label)
    return chosen


def sql_labels(client: Any, catalog: dict[str, Any], text: str) -> set[str]:
    payload = get_json(client, "Products", ("$filter", text.format(**catalog)), ("$top", "1000"))
    names = {item["Name"] for item in payload["value"]}
    from rs.catalog.query.names import delivered_file_name

    return {label for label in VISIBLE if delivered_file_name(name=catalog[label].name,
                                                              storage_key=catalog[label].storage_key) in names
            or catalog[label].name in names}


def test_python_evaluation_selects_exactly_the_expected_products_of_every_conformance_case(catalog):
    # one catalogue for the ~120 cases (building it per case would cost minutes): every difference is listed
    wrong = {text: python_labels(catalog, text) for text, expected in CASES if python_labels(catalog, text) != expected}
    assert wrong == {}


@pytest.mark.parametrize("convention", ["cdse", "prip"])
def test_python_and_sql_agree_in_both_name_conventions(client, catalog, settings, convention):
    settings.RS_PRIP_NAME_CONVENTION = convention
    texts = [text for text, _ in CASES] + MORE
    disagree = {text: (python_labels(catalog, text), sql_labels(client, catalog, text)) for text in texts
                if python_labels(catalog, text) != sql_labels(client, catalog, text)}
    assert disagree == {}


def test_string_ordering_is_left_to_the_database(catalog):
    from rs.subscriptions.evaluation import Evaluator, NotEvaluable, product_facts

    entry = catalog_entry(entity=Entity.PRODUCTS, entry_id=catalog["P6"].id, with_attributes=True)
    facts = product_facts(entry, mission="S2", convention="cdse")
    for text in ("Name gt 'S2'", "Attributes/OData.CSC.StringAttribute/any(att:att/Name eq 'tileId' and "
                                 "att/OData.CSC.StringAttribute/Value lt 'T40')"):
        with pytest.raises(NotEvaluable):
            Evaluator().matches(parse_filter(text, entity=Entity.PRODUCTS), facts)


def test_a_subscription_python_cannot_decide_is_decided_by_the_database(client, alice, public_client):
    from rs.prip.tests.catalog import build

    response = client.post("/odata/v1/Subscriptions", json.dumps({"FilterParam": "Name ge 'S2' and Name lt 'S3'"}),
                           content_type="application/json", **bearer(alice))
    subscription = response.json()["Id"]
    catalog = build()
    events_deliver()
    items = client.get(f"/odata/v1/Subscriptions({subscription})/Read?$top=20", **bearer(alice)).json()
    assert sorted(i["ProductName"] for i in items) == sorted([catalog["P6"].name, catalog["P7"].name])
    assert labels_of(get_json(client, "Products", ("$filter", "Name ge 'S2' and Name lt 'S3'")), catalog) == {
        "P6", "P7"}


KEY_CASES = [
    ("", [("", "")]),
    ("Collection/Name eq 'SENTINEL-1'", [("S1", "")]),
    ("Collection/Name in ('SENTINEL-1', 'sentinel-2') and Online eq true", [("S1", ""), ("S2", "")]),
    ("Collection/Name eq 'SENTINEL-1' and Attributes/OData.CSC.StringAttribute/any(att:att/Name eq 'productType' "
     "and att/OData.CSC.StringAttribute/Value eq 'IW_SLC__1S')", [("S1", "IW_SLC__1S")]),
    ("Attributes/OData.CSC.StringAttribute/any(att:att/Name eq 'productType' and att/OData.CSC.StringAttribute/"
     "Value in ('S2MSI1C', 'S2MSI2A'))", [("", "S2MSI1C"), ("", "S2MSI2A")]),
    ("Attributes/OData.CSC.StringAttribute/any(att:att/Name eq 'productType' and att/OData.CSC.StringAttribute/"
     "Value eq 'GRD')", [("", "")]),
    ("(Collection/Name eq 'SENTINEL-1' and Attributes/OData.CSC.StringAttribute/any(att:att/Name eq 'productType' "
     "and att/OData.CSC.StringAttribute/Value eq 'IW_SLC__1S')) or Collection/Name eq 'SENTINEL-3'",
     [("S1", "IW_SLC__1S"), ("S3", "")]),
    ("Collection/Name eq 'SENTINEL-1' or Online eq true", [("", ""), ("S1", "")]),
    ("not (Collection/Name eq 'SENTINEL-1')", [("", "")]),
    ("Collection/Name eq 'SENTINEL-1' and Collection/Name eq 'SENTINEL-2'", []),
    ("Collection/Name eq 'SENTINEL-5P'", []),
    ("startswith(Collection/Name, 'SENTINEL')", [("S1", ""), ("S2", ""), ("S3", "")]),
]


@pytest.mark.parametrize(("text", "keys"), KEY_CASES, ids=[c[0][:80] or "empty" for c in KEY_CASES])
def test_prefilter_keys_name_the_collections_and_types_a_filter_can_match(text, keys):
    from rs.subscriptions.prefilter import keys_of

    assert keys_of(parse_filter(text, entity=Entity.PRODUCTS)) == keys


def test_prefilter_keys_never_exclude_a_matching_product(catalog):
    from rs.subscriptions.prefilter import keys_of

    excluded = []
    for text, expected in CASES:
        keys = keys_of(parse_filter(text.format(**catalog), entity=Entity.PRODUCTS))
        for label in expected:
            product = catalog[label]
            product_type = next((a.value_string for a in product.attributes.all() if a.name == "productType"), "")
            if not any(m in ("", product.mission) and t in ("", product_type) for m, t in keys):
                excluded.append((text, label))
    assert excluded == []
