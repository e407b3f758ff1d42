"""Item search features: paging with next links (GET and POST, no depth limit), sortby, fields, ids, and one SQL
query per page (plus one for lineage when links are returned)."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlsplit

from rs.catalog.models import Product
from rs.prip.tests import catalog as reference
from rs.stac.tests.stac_requests import get_json, ids_of, post_json


def test_get_pages_follow_next_links_to_the_end_without_a_depth_limit(client: Any, db: None) -> None:
    products = reference.bulk(45)
    ids: list[str] = []
    url: str | None = "/stac/search?limit=4&collections=sentinel-1-iw_grdh_1s&sortby=%2Bdatetime"
    while url:
        payload = client.get(url).json()
        ids += ids_of(payload)
        link = next((link for link in payload["links"] if link["rel"] == "next"), None)
        url = None if link is None else link["href"].removeprefix("http://testserver")
        if link is not None:  # the request's own parameters come back, the token replaced
            assert [name for name, _ in parse_qsl(urlsplit(link["href"]).query)] == [
                "limit", "collections", "sortby", "skiptoken"]
    assert ids == [p.name for p in products]


def test_post_pages_send_the_body_again_with_the_token(client: Any, catalog: dict[str, Product]) -> None:
    body = {"collections": ["sentinel-1-iw_grdh_1s", "sentinel-2-s2msi2a"], "limit": 2,
            "sortby": [{"field": "properties.datetime", "direction": "desc"}]}
    first = post_json(client, "search", body)
    link = next(link for link in first["links"] if link["rel"] == "next")
    assert {key: value for key, value in link["body"].items() if key != "skiptoken"} == body
    second = post_json(client, "search", link["body"])
    assert [*ids_of(first), *ids_of(second)] == [catalog[label].name for label in ("C2", "L1", "P12", "P7")]
    third = post_json(client, "search", next(link for link in second["links"] if link["rel"] == "next")["body"])
    assert ids_of(third) == [catalog["P1"].name]
    assert [link["rel"] for link in third["links"]] == ["self", "root"]


def test_ids_select_items_by_their_prip_names(client: Any, catalog: dict[str, Product]) -> None:
    payload = get_json(client, "search", ids=f"{catalog['P5'].name},{catalog['C1'].name},NOPE.SAFE")
    assert ids_of(payload) == [catalog["P5"].name, catalog["C1"].name]


def test_sortby_orders_ties_by_id_and_accepts_properties_prefix(client: Any, catalog: dict[str, Product]) -> None:
    by_datetime = ids_of(get_json(client, "search", limit="100", sortby="-properties.datetime",
                                  filter="constellation = 'sentinel-2'"))
    # C1 and C2 start at the same instant: the PRIP Id decides (ascending), never the page boundary
    tied = sorted(("C1", "C2"), key=lambda label: str(catalog[label].id))
    assert by_datetime == [catalog[label].name for label in (*tied, "P7", "P6")]


def test_fields_include_and_exclude(client: Any, catalog: dict[str, Product]) -> None:
    item = get_json(client, "search", ids=catalog["C2"].name, fields="properties.eo:cloud_cover,assets")["features"][0]
    assert list(item) == ["type", "stac_version", "id", "properties", "assets"]
    assert item["properties"] == {"eo:cloud_cover": 9.5}
    assert sorted(item["assets"]) == ["product", "thumbnail"]
    slim = get_json(client, "search", ids=catalog["C2"].name, fields="-geometry,-properties,-links")["features"][0]
    assert list(slim) == ["type", "stac_version", "stac_extensions", "id", "collection", "bbox", "assets"]


def test_a_page_is_one_query_lineage_included(client: Any, catalog: dict[str, Product],
                                              django_assert_num_queries: Any) -> None:
    from rs.access.selectors import visibility_filter

    visibility_filter(None)  # the visibility rules are read from the cache in the steady state
    with django_assert_num_queries(1):
        payload = get_json(client, "search", limit="100")
    assert len(payload["features"]) == 14
    with django_assert_num_queries(1):
        get_json(client, "search", limit="100", fields="-links")
    with django_assert_num_queries(1):
        post_json(client, "search", {"limit": 100, "filter": {"op": "<", "args": [{"property": "eo:cloud_cover"}, 50]}})


def test_lineage_links_point_at_the_published_inputs(client: Any, catalog: dict[str, Product]) -> None:
    item = get_json(client, f"collections/sentinel-2-s2msi2a/items/{catalog['C2'].name}")
    assert [(link["rel"], link["href"]) for link in item["links"] if link["rel"] == "derived_from"] == [
        ("derived_from", f"http://testserver/stac/collections/sentinel-2-s2msi1c/items/{catalog['C1'].name}")]
    assert item["assets"]["product"]["href"] == f"http://testserver/odata/v1/Products({catalog['C2'].id})/$value"
    assert item["assets"]["thumbnail"]["href"].startswith("http://testserver/odata/v1/Assets(")
    assert item["properties"]["prip:id"] == str(catalog["C2"].id)


def test_an_antimeridian_footprint_has_a_crossing_bbox(client: Any, catalog: dict[str, Product]) -> None:
    item = get_json(client, f"collections/sentinel-3-ol_1_efr___/items/{catalog['P8'].name}")
    assert item["bbox"] == [178.0, 50.0, -178.0, 53.0]
    assert item["geometry"]["type"] == "MultiPolygon"


def test_item_ids_follow_the_prip_name_convention(client: Any, catalog: dict[str, Product], settings: Any) -> None:
    # given the deployment switch to the PRIP convention (Name = the delivered file, prip-odata.md §2.8)
    settings.RS_PRIP_NAME_CONVENTION = "prip"
    file_name = f"{catalog['C2'].name}.zip"
    # then the item id is that name, through ids, the item endpoint and the lineage links alike
    assert ids_of(get_json(client, "search", ids=file_name)) == [file_name]
    item = get_json(client, f"collections/sentinel-2-s2msi2a/items/{file_name}")
    assert [link["href"].rsplit("/", 1)[1] for link in item["links"] if link["rel"] == "derived_from"] == [
        f"{catalog['C1'].name}.zip"]
