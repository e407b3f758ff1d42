"""Every document the API answers validates against the vendored STAC schemas (rs/stac/schemas/), extensions
included: the landing page, the collections, items and search pages."""

from __future__ import annotations

from typing import Any

from rs.catalog.models import Product
from rs.stac.schema_validation import validation_errors
from rs.stac.tests.catalog import VISIBLE
from rs.stac.tests.stac_requests import get_json, ids_of, post_json


def test_the_landing_page_is_a_valid_catalog_with_conformance(client: Any, catalog: dict[str, Product]) -> None:
    landing = get_json(client, "")
    assert validation_errors(landing, "landing") == []
    assert "https://api.stacspec.org/v1.0.0/item-search#fields" in landing["conformsTo"]
    assert sorted(link["href"].rsplit("/", 1)[1] for link in landing["links"] if link["rel"] == "child") == [
        "sentinel-1-aux_cal", "sentinel-1-ew_grdm_1s", "sentinel-1-iw_grdh_1s", "sentinel-1-iw_raw__0s",
        "sentinel-1-iw_slc__1s", "sentinel-1-wv_raw__0s", "sentinel-2-s2msi1c", "sentinel-2-s2msi2a",
        "sentinel-3-ol_1_efr___"]


def test_every_collection_is_valid(client: Any, catalog: dict[str, Product]) -> None:
    collections = get_json(client, "collections")
    assert validation_errors(collections, "collections") == []
    assert len(collections["collections"]) == 9
    one = get_json(client, "collections/sentinel-2-s2msi2a")
    assert validation_errors(one, "collection") == []


def test_every_item_of_the_catalogue_is_valid_with_its_extensions(client: Any, catalog: dict[str, Product]) -> None:
    page = get_json(client, "search", limit="100")
    assert validation_errors(page, "itemcollection") == []
    assert len(page["features"]) == len(VISIBLE)
    declared = {extension for feature in page["features"] for extension in feature["stac_extensions"]}
    assert {url.split("/")[3] for url in declared} == {"eo", "file", "processing", "projection", "sar", "sat",
                                                       "timestamps"}


def test_a_single_item_and_a_collection_page_are_valid(client: Any, catalog: dict[str, Product]) -> None:
    item = get_json(client, f"collections/sentinel-1-iw_grdh_1s/items/{catalog['L1'].name}")
    assert validation_errors(item, "item") == []
    page = get_json(client, "collections/sentinel-2-s2msi2a/items", limit="1")
    assert validation_errors(page, "itemcollection") == []
    assert [link["rel"] for link in page["links"]] == ["self", "root", "parent", "collection", "next"]


def test_a_post_search_page_with_its_next_link_is_valid(client: Any, catalog: dict[str, Product]) -> None:
    page = post_json(client, "search", {"limit": 2, "collections": ["sentinel-1-iw_grdh_1s"]})
    assert validation_errors(page, "itemcollection") == []
    assert ids_of(page) == [catalog["P1"].name, catalog["P12"].name]


def test_an_invalid_item_is_reported_with_the_reason(client: Any, catalog: dict[str, Product]) -> None:
    item = get_json(client, f"collections/sentinel-1-iw_grdh_1s/items/{catalog['L1'].name}")
    del item["properties"]["sar:polarizations"]
    item["properties"]["sat:orbit_state"] = "sideways"
    errors = validation_errors(item, "item")
    assert any("sar/v1.0.0" in e and "'sar:polarizations' is a required property" in e for e in errors), errors
    assert any("sat/v1.0.0" in e and "'sideways' is not one of" in e for e in errors), errors
