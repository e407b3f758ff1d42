"""Our answers next to the real CDSE answers of ../shared/samples/odata (skipped when the samples are absent)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from rs.prip.tests import catalog as reference
from rs.prip.tests.requests import ROOT

pytestmark = pytest.mark.django_db

SAMPLES = Path(__file__).resolve().parents[3].parent / "shared" / "samples" / "odata"
CDSE = "https://catalogue.dataspace.copernicus.eu"


def sample(name: str) -> Any:
    path = SAMPLES / name
    if not path.exists():
        pytest.skip("shared samples are not available")
    data = json.loads(path.read_text())
    return data.get("body", data) if isinstance(data, dict) and "_source" in data else data


def test_our_next_link_is_the_one_cdse_wrote_for_the_same_request(client):
    recorded = sample("cdse_products_s1_page1_cdsetool-test.json")
    reference.bulk(12, start=datetime(2014, 4, 6, tzinfo=UTC))
    text = ("Collection/Name eq 'SENTINEL-1' and ContentDate/Start gt 2014-04-05T00:00:00.000Z and "
            "ContentDate/Start lt 2014-04-14T00:00:00.000000Z")
    response = client.get(f"{ROOT}/Products?$filter={quote(text)}&$top=10&$count=true&$expand=Attributes"
                          f"&$orderby={quote('ContentDate/Start asc')}")
    payload = response.json()
    ours, token = payload["@odata.nextLink"].split("&%24skiptoken=")
    assert ours == recorded["@odata.nextLink"].replace(CDSE, "http://testserver")
    assert token
    assert list(payload) == list(recorded)
    assert payload["@odata.context"] == recorded["@odata.context"]
    assert [k for k in payload["value"][0] if k != "ProductionType"] == list(recorded["value"][0])
    assert list(payload["value"][0]["Attributes"][0]) == list(recorded["value"][0]["Attributes"][0])


def test_an_eodag_shaped_page_keeps_repeated_expand_and_replaces_skip_in_place(client):
    recorded = sample("cdse_products_search_expand_attributes_assets.eodag-test.json")
    reference.bulk(5)
    response = client.get(f"{ROOT}/Products?$filter=Collection/Name%20eq%20%27SENTINEL-1%27&$orderby=ContentDate/"
                          "Start%20asc&$top=2&$skip=0&$expand=Attributes&$expand=Assets")
    payload = response.json()
    assert payload["@odata.context"] == recorded["@odata.context"]
    tail = recorded["@odata.nextLink"].split("%24orderby=")[1]
    assert payload["@odata.nextLink"].split("%24orderby=")[1].split("&%24skiptoken=")[0] == tail
    assert [k for k in payload["value"][0] if k != "ProductionType"] == list(recorded["value"][0])


def test_attribute_types_agree_with_cdse_for_sentinel_1(client):
    recorded = sample("cdse_attributes_SENTINEL-1_cdsetool-test.json")
    ours = {a["Name"]: a["ValueType"] for a in client.get(f"{ROOT}/Attributes(SENTINEL-1)").json()}
    assert {a["Name"]: ours.get(a["Name"]) for a in recorded} == {a["Name"]: a["ValueType"] for a in recorded}


def test_the_single_entity_has_the_keys_of_the_cdse_example(client, catalog):
    recorded = sample("cdse_product_entity_expand_Attributes.cdse-docs.json")
    payload = client.get(f"{ROOT}/Products({catalog['P1'].id})?$expand=Attributes").json()
    assert [k for k in payload if k != "ProductionType"] == list(recorded)
    assert payload["@odata.context"] == recorded["@odata.context"]
    assert payload["Footprint"] == recorded["Footprint"]
    assert payload["GeoFootprint"] == recorded["GeoFootprint"]
    assert payload["Checksum"][0]["Value"] == recorded["Checksum"][0]["Value"]


def test_a_filterlist_body_from_the_cdse_documentation_is_accepted(client, catalog):
    body = sample("cdse_products_filterlist_request_body.cdse-docs.json")
    body["FilterProducts"].append({"Name": catalog["P2"].name})
    response = client.post(f"{ROOT}/Products/OData.CSC.FilterList", data=body, content_type="application/json")
    assert response.status_code == 200
    assert [item["Name"] for item in response.json()["value"]] == [catalog["P2"].name]
