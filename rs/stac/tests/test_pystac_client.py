"""The real pystac-client against the live server: it opens the API, searches with bbox + datetime + CQL2 (GET with
cql2-text, POST with cql2-json), pages through every result and reads the items, their assets and lineage."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pystac_client import Client

from rs.catalog.models import Product
from rs.stac import services
from rs.stac.tests import catalog as stac_catalog

pytestmark = pytest.mark.slow


@pytest.fixture
def committed_catalog(transactional_db: None) -> dict[str, Product]:
    products = stac_catalog.build()
    services.collection_extents_rebuild()
    return products


@pytest.fixture
def client(live_server: Any, committed_catalog: dict[str, Product]) -> Iterator[Client]:
    client = Client.open(f"{live_server.url}/stac/")
    yield client
    # its keep-alive connection holds a live-server thread, and that thread's database connection, until closed
    assert client._stac_io is not None
    client._stac_io.session.close()


def test_it_opens_the_api_and_lists_the_collections(client: Client) -> None:
    assert client.conforms_to("ITEM_SEARCH") and client.conforms_to("FILTER") and client.conforms_to("SORT")
    assert client.conforms_to("FIELDS")
    assert sorted(c.id for c in client.get_collections()) == [
        "sentinel-1-aux_cal", "sentinel-1-ew_grdm_1s", "sentinel-1-iw_grdh_1s", "sentinel-1-iw_raw__0s",
        "sentinel-1-iw_slc__1s", "sentinel-1-wv_raw__0s", "sentinel-2-s2msi1c", "sentinel-2-s2msi2a",
        "sentinel-3-ol_1_efr___"]
    collection = client.get_collection("sentinel-2-s2msi2a")
    assert collection.extent.spatial.bboxes == [[-4.5, 45.2, 10.8, 48.5]]
    assert [i.isoformat() if i else None for i in collection.extent.temporal.intervals[0]] == [
        "2024-06-10T10:00:00+00:00", "2024-07-03T11:00:25+00:00"]


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_it_searches_with_bbox_datetime_and_cql2_and_pages_through(client: Client,
                                                                   committed_catalog: dict[str, Product],
                                                                   method: str) -> None:
    # given a search over Europe in June-July 2024 for clear or Sentinel-1 products, two items a page
    search = client.search(method=method, bbox=[-10, 40, 20, 55], datetime="2024-06-01/2024-07-31",
                           filter="eo:cloud_cover < 30 OR constellation = 'sentinel-1'" if method == "GET" else
                           {"op": "or", "args": [{"op": "<", "args": [{"property": "eo:cloud_cover"}, 30]},
                                                 {"op": "=", "args": [{"property": "constellation"}, "sentinel-1"]}]},
                           limit=2, sortby="-datetime")
    # when every page is read
    pages = list(search.pages())
    items = [item for page in pages for item in page.items]
    # then every matching product comes once, newest first (ties by PRIP Id), as pystac Items
    matching = [committed_catalog[label] for label in ("C2", "C1", "L1", "L0", "P6", "P4", "P3", "P2")]
    expected = sorted(matching, key=lambda p: (-p.content_start.timestamp(), str(p.id)))  # type: ignore[union-attr]
    assert [item.id for item in items] == [p.name for p in expected]
    assert [len(page.items) for page in pages] == [2, 2, 2, 2]
    grd = next(item for item in items if item.id == committed_catalog["L1"].name)
    assert grd.collection_id == "sentinel-1-iw_grdh_1s"
    assert grd.properties["sar:polarizations"] == ["VV", "VH"]
    assert grd.properties["sat:relative_orbit"] == 22
    assert grd.assets["product"].href.endswith(f"/odata/v1/Products({committed_catalog['L1'].id})/$value")
    assert grd.assets["product"].extra_fields["file:checksum"] == "d5100123456789abcdef0123456789abcdef"
    assert [link.href.rsplit("/", 1)[1] for link in grd.links if link.rel == "derived_from"] == [
        committed_catalog["L0"].name]


def test_it_reads_one_item_of_a_collection(client: Client, committed_catalog: dict[str, Product]) -> None:
    item = client.get_collection("sentinel-2-s2msi2a").get_item(committed_catalog["C2"].name)
    assert item is not None
    assert item.properties["eo:cloud_cover"] == 9.5
    assert item.properties["proj:code"] == "EPSG:32630"
    assert item.assets["thumbnail"].media_type == "image/jpeg"
    assert item.bbox == [-4.5, 47.5, -3.0, 48.5]


def test_it_reads_a_projection_of_the_items(client: Client, committed_catalog: dict[str, Product]) -> None:
    search = client.search(collections=["sentinel-2-s2msi1c"], fields=["id", "properties.eo:cloud_cover"],
                           method="POST")
    assert list(search.items_as_dicts()) == [
        {"type": "Feature", "stac_version": "1.1.0", "id": committed_catalog[label].name,
         "properties": {"eo:cloud_cover": cloud}} for label, cloud in (("P6", 12.5), ("C1", 8.25))]
