"""The requests real clients send (prip-odata.md §17), replayed byte for byte over real HTTP (live server + urllib),
and a full harvest following @odata.nextLink verbatim (§20 cases 19, 27)."""

from __future__ import annotations

import json
import re
import urllib.request
from typing import Any

import pytest

from rs.catalog.models import Product
from rs.prip.tests import catalog as reference
from rs.prip.tests.catalog import labels_of

EODAG_REQUEST = (
    "/odata/v1/Products?$filter=Collection/Name%20eq%20%27SENTINEL-2%27%20and%20OData.CSC.Intersects%28area=geography"
    "%27SRID=4326%3BPOLYGON%20%28%2810.0000%2045.0000%2C%2010.0000%2046.0000%2C%2011.0000%2046.0000%2C%2011.0000%20"
    "45.0000%2C%2010.0000%2045.0000%29%29%27%29%20and%20Attributes/OData.CSC.StringAttribute/any%28att:att/Name%20eq"
    "%20%27productType%27%20and%20att/OData.CSC.StringAttribute/Value%20eq%20%27S2MSI2A%27%29%20and%20ContentDate/"
    "Start%20lt%20{end}T00:00:00.000Z%20and%20ContentDate/End%20gt%20{start}T00:00:00.000Z&$orderby=ContentDate/"
    "Start%20asc&$top=20&$skip=0&$expand=Attributes&$expand=Assets"
)
# cdsetool: urllib.parse.quote(filter) (safe '/'), $top/$count/$expand/$orderby appended raw
CDSETOOL_PAGE_1 = (
    "/odata/v1/Products?$filter=Collection/Name%20eq%20%27SENTINEL-1%27%20and%20ContentDate/Start%20gt%20{start}T00"
    "%3A00%3A00.000Z%20and%20ContentDate/Start%20lt%20{end}T00%3A00%3A00.000000Z&$top={top}&$count=true&$expand="
    "Attributes&$orderby=ContentDate/Start%20asc"
)
# the nextLink CDSE itself wrote on page 1 (samples/odata/cdse_products_s1_page1), as cdsetool follows it
CDSE_PAGE_2 = (
    "/odata/v1/Products?%24filter=Collection%2FName+eq+%27SENTINEL-1%27+and+ContentDate%2FStart+gt+2014-04-05T00%3A00"
    "%3A00.000Z+and+ContentDate%2FStart+lt+2014-04-14T00%3A00%3A00.000000Z&%24top=10&%24expand=Attributes&%24orderby"
    "=ContentDate%2FStart+asc&%24skip=10"
)
OLINGO_HEADERS = {"Accept": "application/json;odata.metadata=minimal", "OData-MaxVersion": "4.0"}


@pytest.fixture
def live_catalog(transactional_db: None, live_server: Any) -> dict[str, Product]:
    return reference.build()


def fetch(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers={"User-Agent": "eodag/4.10.1", **(headers or {})})
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status, dict(response.headers), response.read()


def fetch_json(url: str, headers: dict[str, str] | None = None) -> Any:
    status, _, body = fetch(url, headers)
    assert status == 200
    return json.loads(body)


def test_eodag_search_replayed_byte_for_byte(live_server, live_catalog):
    march = fetch_json(live_server.url + EODAG_REQUEST.format(start="2024-03-01", end="2024-03-02"))
    assert march == {"@odata.context": "$metadata#Products(Attributes(),Assets())", "value": []}
    june = fetch_json(live_server.url + EODAG_REQUEST.format(start="2024-06-10", end="2024-06-11"))
    assert labels_of(june, live_catalog) == {"P7"}
    assert [a["Name"] for a in june["value"][0]["Attributes"]][:1] == ["productType"]
    assert june["value"][0]["Assets"] == []


def test_cdsetool_page_one_and_its_next_link_without_count(live_server, live_catalog):
    page_1 = fetch_json(live_server.url + CDSETOOL_PAGE_1.format(start="2024-06-01", end="2024-06-14", top=4))
    assert page_1["@odata.context"] == "$metadata#Products(Attributes())"
    assert page_1["@odata.count"] == 6
    assert [i["Name"] for i in page_1["value"]] == [live_catalog[k].name for k in ("P1", "P2", "P3", "P4")]
    link = page_1["@odata.nextLink"]
    expected = (f"{live_server.url}/odata/v1/Products?%24filter=Collection%2FName+eq+%27SENTINEL-1%27+and+"
                "ContentDate%2FStart+gt+2024-06-01T00%3A00%3A00.000Z+and+ContentDate%2FStart+lt+2024-06-14T00%3A00%3A00"
                ".000000Z&%24top=4&%24count=true&%24expand=Attributes&%24orderby=ContentDate%2FStart+asc&%24skip=4"
                "&%24skiptoken=")
    assert link.startswith(expected)
    following = re.sub(r"[&?](\$|%24)count=true", "", link)  # what cdsetool does before following
    page_2 = fetch_json(following)
    assert "@odata.count" not in page_2 and "@odata.nextLink" not in page_2
    assert [i["Name"] for i in page_2["value"]] == [live_catalog[k].name for k in ("P5", "P12")]


def test_the_cdse_style_page_two_link_is_understood(live_server, live_catalog):
    payload = fetch_json(live_server.url + CDSE_PAGE_2)
    assert payload == {"@odata.context": "$metadata#Products(Attributes())", "value": []}
    adapted = CDSE_PAGE_2.replace("2014-04-05", "2024-06-01").replace("2014-04-14", "2024-06-14").replace(
        "%24skip=10", "%24skip=5")
    assert labels_of(fetch_json(live_server.url + adapted), live_catalog) == {"P12"}


def test_drb_reads_metadata_count_search_and_entity(live_server, live_catalog):
    status, headers, body = fetch(live_server.url + "/odata/v1/$metadata")
    assert status == 200 and b'Namespace="OData.CSC"' in body.split(b"<Schema", 2)[1][:200]
    status, headers, body = fetch(live_server.url + "/odata/v1/Products/$count")
    assert (status, headers["Content-Type"], body) == (200, "text/plain; charset=utf-8", b"10")
    search = (live_server.url + "/odata/v1/Products?$format=json&$filter=startswith(Name,%27S2%27)%20and%20"
              "PublicationDate%20lt%202030-01-01T00:00:00Z&$orderby=PublicationDate%20asc&$skip=0&$top=100&$count=true")
    payload = fetch_json(search)
    assert payload["@odata.count"] == 2 and labels_of(payload, live_catalog) == {"P6", "P7"}
    entity = fetch_json(f"{live_server.url}/odata/v1/Products({payload['value'][0]['Id']})?%24format=json")
    assert entity["@odata.context"] == "$metadata#Products/$entity" and entity["Name"] == live_catalog["P6"].name
    polygon = (live_server.url + "/odata/v1/Products?$format=json&$filter=OData.CSC.Intersects(area=geography%27"
               "SRID=4326;Polygon((10%2045,11%2045,11%2046,10%2046,10%2045))%27)")
    assert labels_of(fetch_json(polygon), live_catalog) == {"P3", "P6", "P7"}


def test_olingo_monitor_requests_with_nine_digit_instants(live_server, live_catalog):
    base = (live_server.url + "/odata/v1/Products?$filter=(startswith(Name,%27S1A%27)%20or%20startswith(Name,"
            "%27S2A%27))%20and%20PublicationDate%20gt%202024-07-01T00:00:00.123456789Z&$count=true&$top=1000")
    by_publication = fetch_json(base + "&$orderby=PublicationDate%20asc", OLINGO_HEADERS)
    assert [labels_of({"value": [i]}, live_catalog).pop() for i in by_publication["value"]] == [
        "P1", "P3", "P4", "P5", "P6", "P9", "P12"]
    by_origin = fetch_json(base + "&$orderby=OriginDate%20asc&$expand=Attributes&$skip=1", OLINGO_HEADERS)
    assert by_origin["@odata.count"] == 7 and len(by_origin["value"]) == 6
    assert all(isinstance(i["Checksum"], list) and "Attributes" in i for i in by_origin["value"])


def test_coprs_web_client_request_with_comma_expand(live_server, live_catalog):
    url = (live_server.url + "/odata/v1/Products?$expand=Attributes,Quicklooks&$format=json&$count=true&$skip=0&"
           "$top=10&$filter=Attributes/OData.CSC.StringAttribute/any(att:att/Name%20eq%20%27productType%27%20and%20"
           "att/OData.CSC.StringAttribute/Value%20eq%20%27S2MSI1C%27)%20and%20OData.CSC.Intersects(area=geography"
           "%27SRID=4326;POLYGON((10%2045,11%2045,11%2046,10%2046,10%2045))%27)")
    payload = fetch_json(url)
    assert payload["@odata.context"] == "$metadata#Products(Attributes(),Quicklooks())"
    assert payload["value"][0]["Quicklooks"] == [{"Image": "quick-look.jpg"}]


def test_harvesting_by_following_next_links_returns_every_product_once(live_server, transactional_db):
    rows = reference.bulk(30)
    url: str | None = live_server.url + "/odata/v1/Products?$top=7&$count=true&$expand=Attributes&$expand=Assets"
    seen: list[str] = []
    counts = set()
    while url is not None:
        payload = fetch_json(url)
        counts.add(payload.get("@odata.count"))
        seen.extend(item["Id"] for item in payload["value"])
        assert all(list(item)[-2:] == ["Attributes", "Assets"] for item in payload["value"])
        url = payload.get("@odata.nextLink")
        if url is not None:
            assert url.count("%24expand=") == 2 and "$" not in url
    assert counts == {30}
    assert len(seen) == len(set(seen)) == 30
    assert set(seen) == {str(p.id) for p in rows}
