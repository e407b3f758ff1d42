"""eodag end to end (prip-odata.md §17.1): the real `eodag` package, provider `cop_dataspace`, configured to our live
test server (auth pointed elsewhere, so searches are anonymous), searches by collection + dates + bbox, pages
through every result and maps every field of our catalogue entries (rs/prip/tests/eodag_setup.py runs it)."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import unquote

import pytest
from django.contrib.gis.geos import GEOSGeometry, Polygon
from django.core.signals import request_started

from rs.catalog import services
from rs.catalog.choices import AssetType, ProcessingLevel, ProductFamily
from rs.catalog.models import Product
from rs.catalog.storage.keys import asset_key, product_key
from rs.prip.tests.eodag_setup import run_eodag

pytestmark = pytest.mark.slow

WINDOW_START, WINDOW_END = datetime(2024, 6, 1, tzinfo=UTC), datetime(2024, 6, 11, tzinfo=UTC)
AOI = (10.0, 45.0, 11.0, 46.0)  # lonmin, latmin, lonmax, latmax: northern Italy
CHECKSUM_DATE = datetime(2024, 6, 12, 8, 0, 0, 123456, tzinfo=UTC)


def _box(lonmin: float, latmin: float, lonmax: float, latmax: float) -> Polygon:
    return Polygon.from_bbox((lonmin, latmin, lonmax, latmax))


INSIDE = _box(10.1, 45.1, 10.6, 45.6)
ACROSS_NORTH_EAST = _box(10.8, 45.8, 11.6, 46.4)  # overlaps the AOI's corner
ACROSS_SOUTH_WEST = _box(9.5, 44.5, 10.2, 45.2)
AROUND = _box(9.0, 44.0, 12.0, 47.0)  # contains the whole AOI
EAST_OF_AOI = _box(11.05, 45.0, 11.8, 45.9)  # 0.05° away
PARIS = _box(2.0, 48.0, 3.0, 49.0)
TILES = (INSIDE, ACROSS_NORTH_EAST, ACROSS_SOUTH_WEST, AROUND)


@dataclass(frozen=True)
class Entry:
    """One catalogue product to register through the services."""

    name: str
    mission: str
    family: str
    product_type: str
    level: str
    start: datetime
    end: datetime
    footprint: GEOSGeometry | None
    attributes: dict[str, Any] = field(default_factory=dict)
    publish: bool = True
    online: bool = True
    with_md5: bool = True
    quicklook: bool = False


def _s2(index: int, *, level: str = "1C", platform: str = "A", start: datetime, seconds: float = 5,
        footprint: GEOSGeometry | None = INSIDE, cloud: float | None = 20.0, direction: str = "DESCENDING",
        publish: bool = True, online: bool = True, with_md5: bool = True, quicklook: bool = False) -> Entry:
    relative = (22, 65, 108)[index % 3]
    tile = ("32TQR", "32TPR", "32TNR", "32TMR")[index % 4]
    name = (f"S2{platform}_MSIL{level}_{start:%Y%m%dT%H%M%S}_N0510_R{relative:03d}_T{tile}_"
            f"{start + timedelta(hours=2):%Y%m%dT%H%M%S}.SAFE")
    product_type = f"S2MSI{level}"
    attributes: dict[str, Any] = {
        "productType": product_type, "platformShortName": "SENTINEL-2", "platformSerialIdentifier": platform,
        "instrumentShortName": "MSI", "processingLevel": f"S2MSI{level}", "orbitNumber": 36900 + 7 * index,
        "relativeOrbitNumber": relative, "orbitDirection": direction, "tileId": tile, "spatialResolution": 10,
        "processingDate": start + timedelta(hours=2), "processingCenter": "ESA", "processorVersion": "05.10",
        "datastripId": f"S2{platform}_OPER_MSI_L{level}_DS_2BPS_{start:%Y%m%dT%H%M%S}_N05.10",
        "origin": "ESA", "cloudCover": cloud,
    }
    return Entry(name, "S2", ProductFamily.S2_USER_PRODUCT, product_type,
                 ProcessingLevel.L1 if level == "1C" else ProcessingLevel.L2, start, start + timedelta(seconds=seconds),
                 footprint, attributes, publish, online, with_md5, quicklook)


S1_LEVELS = {"1": ProcessingLevel.L1, "0": ProcessingLevel.L0, "2": ProcessingLevel.L2}
S1_FAMILIES = {"1": ProductFamily.S1_L1_SLICE, "0": ProductFamily.S1_L0_SLICE, "2": ProductFamily.S1_L2_SLICE}


def _s1(index: int, product_type: str, *, platform: str = "A", start: datetime, footprint: GEOSGeometry = INSIDE,
        publish: bool = True) -> Entry:
    level = product_type[-2]  # IW_GRDH_1S → "1"
    orbit = 54100 + 13 * index
    end = start + timedelta(seconds=25)
    name = (f"S1{platform}_{product_type}DV_{start:%Y%m%dT%H%M%S}_{end:%Y%m%dT%H%M%S}_{orbit:06d}_"
            f"{0x069000 + index:06X}_{0xA000 + index:04X}.SAFE")
    attributes: dict[str, Any] = {
        "productType": product_type, "platformShortName": "SENTINEL-1", "platformSerialIdentifier": platform,
        "instrumentShortName": "SAR", "processingLevel": f"LEVEL{level}", "orbitNumber": orbit,
        "relativeOrbitNumber": 1 + orbit % 175, "orbitDirection": ("ASCENDING", "DESCENDING")[index % 2],
        "swathIdentifier": product_type[:2], "polarisationChannels": "VV&VH", "timeliness": "Fast-24h",
        "datatakeID": 0x069000 + index, "sliceNumber": 3 + index % 5, "totalSlices": 9,
        "processingDate": start + timedelta(hours=1), "processingCenter": "Production Service-SERCO",
        "processorName": "Sentinel-1 IPF", "processorVersion": "003.71", "origin": "ESA",
    }
    return Entry(name, "S1", S1_FAMILIES[level], product_type, S1_LEVELS[level], start, end, footprint, attributes,
                 publish)


def _s3(index: int, product_type: str, *, start: datetime) -> Entry:
    end = start + timedelta(minutes=3)
    name = (f"S3B_{product_type}_{start:%Y%m%dT%H%M%S}_{end:%Y%m%dT%H%M%S}_{start + timedelta(hours=2):%Y%m%dT%H%M%S}"
            f"_0179_{90 + index:03d}_{100 + index:03d}_2160_PS2_O_NR_004.SEN3")
    attributes: dict[str, Any] = {
        "productType": product_type, "platformShortName": "SENTINEL-3", "platformSerialIdentifier": "B",
        "instrumentShortName": product_type[:2].replace("OL", "OLCI").replace("SL", "SLSTR"),
        "processingLevel": "1", "orbitNumber": 31000 + index, "relativeOrbitNumber": 90 + index,
        "orbitDirection": "DESCENDING", "timeliness": "NR", "cloudCover": 33.0,
    }
    return Entry(name, "S3", ProductFamily.S3_L1_NRT, product_type, ProcessingLevel.L1, start, end, AROUND, attributes)


def _june(day: int, hour: int = 10, minute: int = 0, second: int = 0, micro: int = 0) -> datetime:
    return datetime(2024, 6, day, hour, minute, second, micro, tzinfo=UTC)


def _l1c_in_window() -> list[Entry]:
    """The 15 products the S2 search must return, in ContentDate/Start order: every tile shape, three platforms,
    both orbit directions, cloud cover from 0 to 100 % or absent, one offline, two without MD5, three quicklooks,
    and the two that only overlap the window at its edges."""
    entries = []
    for i in range(15):
        start = WINDOW_START + timedelta(hours=10 + 14 * i, minutes=i, microseconds=1000 * i + 7)
        seconds = 5.0
        if i == 0:  # starts before the window and ends inside it
            start, seconds = WINDOW_START - timedelta(seconds=10), 20
        if i == 14:  # starts one microsecond before the window ends
            start, seconds = WINDOW_END - timedelta(microseconds=1), 30
        entries.append(_s2(
            i, platform="ABC"[i % 3], start=start, seconds=seconds, footprint=TILES[i % 4],
            cloud=(0.0, 12.5, 55.25, 100.0, None)[i % 5], direction=("DESCENDING", "ASCENDING")[i % 2],
            online=i != 5, with_md5=i not in (3, 9), quicklook=i in (0, 6, 13),
        ))
    return entries


def _decoys_s2() -> list[Entry]:
    return [
        _s2(20, start=_june(3), footprint=PARIS),
        _s2(21, start=_june(7), footprint=PARIS, platform="B"),
        _s2(22, start=_june(5), footprint=EAST_OF_AOI),
        _s2(23, start=WINDOW_START - timedelta(seconds=4), seconds=4),  # ends exactly when the window starts
        _s2(24, start=datetime(2024, 5, 20, 10, tzinfo=UTC)),
        _s2(25, start=WINDOW_END),  # starts exactly when the window ends
        _s2(26, start=datetime(2024, 6, 20, 10, tzinfo=UTC)),
        _s2(27, start=_june(4, 11), publish=False),
        _s2(28, start=_june(4, 12), footprint=None),
        *(_s2(30 + i, level="2A", start=_june(2 + i, 9), footprint=TILES[i % 4]) for i in range(6)),
    ]


def _s1_entries() -> tuple[list[Entry], list[Entry]]:
    """(the GRD products the S1_SAR_GRD search must return, every other Sentinel-1 product)."""
    grd = [
        _s1(0, "IW_GRDH_1S", start=_june(2, 5, 30)),
        _s1(1, "IW_GRDH_1S", platform="B", start=_june(3, 17, 5), footprint=ACROSS_SOUTH_WEST),
        _s1(2, "EW_GRDM_1S", start=_june(5, 5, 30), footprint=AROUND),
        _s1(3, "S3_GRDH_1S", start=_june(6, 17, 5)),
        _s1(4, "IW_GRDH_1S", start=_june(9, 5, 30), footprint=ACROSS_NORTH_EAST),
    ]
    others = [
        _s1(10, "IW_SLC__1S", start=_june(2, 5, 31)),
        _s1(11, "IW_SLC__1S", start=_june(4, 5, 31)),
        _s1(12, "IW_RAW__0S", start=_june(5, 5, 29)),
        _s1(13, "IW_OCN__2S", start=_june(6, 5, 31)),
        _s1(14, "IW_GRDH_1S", start=_june(4, 17, 5), footprint=PARIS),
        _s1(15, "IW_GRDH_1S", start=_june(8, 17, 5), footprint=PARIS),
        _s1(16, "IW_GRDH_1S", start=datetime(2024, 5, 28, 5, 30, tzinfo=UTC)),
        _s1(17, "IW_GRDH_1S", start=_june(7, 5, 30), publish=False),
    ]
    return grd, others


def _s3_entries() -> list[Entry]:
    return [_s3(i, ("OL_1_EFR___", "SL_1_RBT___")[i % 2], start=_june(2 + i, 9, 40)) for i in range(6)]


def _register(entry: Entry, *, index: int) -> Product:
    md5 = hashlib.md5(entry.name.encode()).hexdigest()
    checksums = services.Checksums(md5=md5, blake3=hashlib.sha256(entry.name.encode()).hexdigest(),
                                   computed_at=CHECKSUM_DATE) if entry.with_md5 else None
    metadata = services.ProductMetadata(
        mission=entry.mission, platform=entry.attributes["platformSerialIdentifier"], family=entry.family,
        product_type=entry.product_type, level=entry.level, content_start=entry.start, content_end=entry.end,
        footprint=entry.footprint, attributes=entry.attributes,
    )
    product = services.product_register(
        name=entry.name, metadata=metadata, content_length=1_000_000 + 1009 * index, checksums=checksums,
        storage_key=product_key(mission=entry.mission, family=entry.family, name=entry.name, suffix=".zip"),
    )
    if entry.publish:
        services.product_publish(product_id=product.id, at=datetime(2024, 6, 12, tzinfo=UTC) + timedelta(hours=index))
    if not entry.online:
        services.product_update(product_id=product.id, changes={"online": False})
    if entry.quicklook:
        services.asset_add(product_id=product.id, name="quick-look.jpg", content_type="image/jpeg",
                           storage_key=asset_key(product_id=product.id, name="quick-look.jpg"), content_length=2048)
    return product


@dataclass(frozen=True)
class Catalogue:
    s2_expected: list[Product]  # in ContentDate/Start order
    s1_grd_expected: list[Product]
    published: int


def build_catalogue() -> Catalogue:
    l1c = _l1c_in_window()
    grd, s1_others = _s1_entries()
    entries = [*l1c, *_decoys_s2(), *grd, *s1_others, *_s3_entries()]
    products = {e.name: _register(e, index=i) for i, e in enumerate(entries)}

    def reloaded(chosen: list[Entry]) -> list[Product]:
        rows = Product.objects.prefetch_related("attributes", "assets").in_bulk([products[e.name].id for e in chosen])
        return sorted((rows[products[e.name].id] for e in chosen), key=lambda p: p.content_start)

    return Catalogue(reloaded(l1c), reloaded(grd), sum(e.publish for e in entries))


@pytest.fixture
def catalogue(transactional_db: None, live_server: Any) -> Catalogue:
    return build_catalogue()


@pytest.fixture
def server_log() -> Iterator[list[dict[str, str]]]:
    """Every request the live server receives (the raw query string, as sent on the wire)."""
    log: list[dict[str, str]] = []
    lock = threading.Lock()

    def record(sender: Any, environ: dict[str, Any], **kwargs: Any) -> None:
        with lock:
            log.append({"path": environ["PATH_INFO"], "query": environ.get("QUERY_STRING", ""),
                        "agent": environ.get("HTTP_USER_AGENT", "")})

    request_started.connect(record, weak=False)
    yield log
    request_started.disconnect(record)


def stamp(value: Any) -> str:
    """Our timestamps as the PRIP writes them (six digits, Z): eodag passes them through unchanged."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def title_of(product: Product) -> str:
    return product.name.split(".")[0]  # eodag's `remove_extension` keeps what precedes the first dot


def expected_properties(product: Product, *, root: str) -> dict[str, Any]:
    """What eodag 4.10's `cop_dataspace` metadata mapping must make of one of our products, property by property
    (eodag/resources/providers/cop_dataspace.yml; eodag leaves out a property whose source is absent)."""
    a = {attribute.name: attribute.value for attribute in product.attributes.all()}
    title, start = title_of(product), stamp(product.content_start)
    quicklooks = [f"{root}/Assets({asset.id})/$value" for asset in product.assets.all()
                  if asset.type == AssetType.QUICKLOOK]
    mapped: dict[str, Any] = {
        "id": title, "title": title, "uid": str(product.id),
        "product:type": a["productType"], "constellation": a["platformShortName"],
        "platform": product.mission + a["platformSerialIdentifier"],  # per-collection `sub(/^/, S2)`
        "instruments": a["instrumentShortName"].split(" "),
        "processing:level": a["processingLevel"], "processing:datetime": stamp(a["processingDate"]),
        "processing:facility": a["processingCenter"], "processing:version": a["processorVersion"],
        "providers": [{"name": a["origin"], "roles": ["producer"]}],
        "sat:absolute_orbit": a["orbitNumber"], "sat:relative_orbit": a["relativeOrbitNumber"],
        "sat:orbit_state": a["orbitDirection"].lower(),
        "datetime": start, "start_datetime": start, "end_datetime": stamp(product.content_end),
        "published": stamp(product.publication_date), "updated": stamp(product.modification_date),
        "type": product.content_type, "file:size": product.content_length,
        "order:status": "succeeded" if product.online else "orderable",
        "eodag:download_link": f"{root}/Products({product.id})/$value",
        "file:checksum": product.md5 or None,
        # the S1 collections map cloud cover to "not available", which eodag leaves out
        "eo:cloud_cover": a.get("cloudCover") if product.mission == "S2" else None,
        "gsd": a.get("spatialResolution"),
        "grid:code": f"MGRS-{a['tileId']}" if "tileId" in a else None,
        "s2:datastrip_id": a.get("datastripId"),
        "product:timeliness": a.get("timeliness"),
        "sar:instrument_mode": a.get("swathIdentifier"),
        "sar:polarizations": a["polarisationChannels"].split("&") if "polarisationChannels" in a else None,
        "s1:datatake_id": a.get("datatakeID"), "s1:slice_number": a.get("sliceNumber"),
        "s1:total_slices": a.get("totalSlices"),
        "processing:software": {a["processorName"]: a["processorVersion"]} if "processorName" in a else None,
        "eodag:quicklook": quicklooks[0] if quicklooks else None,
        "eodag:thumbnail": quicklooks[0] if quicklooks else None,
    }
    return {key: value for key, value in mapped.items() if value is not None}


def assert_mapped(found: list[dict[str, Any]], expected: list[Product], *, collection: str, root: str) -> None:
    """Every eodag product equals, property by property, the catalogue product it came from."""
    by_uid = {str(p.id): p for p in expected}
    for item in found:
        product = by_uid[item["properties"]["uid"]]
        assert item["properties"] == expected_properties(product, root=root), product.name
        assert item["bounds"] == list(product.footprint.extent), product.name
        assert (item["collection"], item["provider"], item["location"]) == (
            collection, "cop_dataspace", f"{root}/Products({product.id})/$value")
        # downloadable through our $value, with no credentials attached (the auth plugin is pointed elsewhere)
        assert (item["downloadable"], item["authenticated_download"]) == (True, False)


AOI_FILTER = ("OData.CSC.Intersects(area=geography'SRID=4326;POLYGON ((10.0000 45.0000, 10.0000 46.0000, "
              "11.0000 46.0000, 11.0000 45.0000, 10.0000 45.0000))')")
WINDOW_FILTER = "ContentDate/Start lt 2024-06-11T00:00:00.000Z and ContentDate/End gt 2024-06-01T00:00:00.000Z"


def product_type_filter(value: str) -> str:
    return (f"Attributes/OData.CSC.StringAttribute/any(att:att/Name eq 'productType' and "
            f"att/OData.CSC.StringAttribute/Value eq '{value}')")


def eodag_page(*, collection: str, product_type: str, top: int, skip: int,
               count: bool = False) -> list[tuple[str, str]]:
    """The options of one page request, in eodag's order, decoded (prip-odata.md §17.1)."""
    options = [("$filter", f"Collection/Name eq '{collection}' and {AOI_FILTER} and "
                           f"{product_type_filter(product_type)} and {WINDOW_FILTER}"),
               ("$orderby", "ContentDate/Start asc")]
    return [*options, *([("$count", "True")] if count else []), ("$top", str(top)), ("$skip", str(skip)),
            ("$expand", "Attributes"), ("$expand", "Assets")]


def received(server_log: list[dict[str, str]]) -> list[list[tuple[str, str]]]:
    """The requests eodag sent to the Products collection, each as its decoded options in the order sent."""
    assert {(entry["path"], entry["agent"]) for entry in server_log} == {("/odata/v1/Products", "eodag/4.10.1")}
    return [[(unquote(name), unquote(value)) for name, _, value in (part.partition("=") for part in
                                                                    entry["query"].split("&"))]
            for entry in server_log]


def search(collection: str, *, method: str = "search_all", limit: int, **extra: Any) -> dict[str, Any]:
    return {"method": method, "params": {"collection": collection, "start": "2024-06-01T00:00:00Z",
                                         "end": "2024-06-11T00:00:00Z", "geom": list(AOI), "limit": limit, **extra}}


def assert_clean_run(result: dict[str, Any], *, port: int) -> None:
    assert (result["version"], result["providers"], result["warnings"]) == ("4.10.1", ["cop_dataspace"], [])
    assert {address.rpartition(":")[2] for address in result["connections"]} == {str(port)}  # nothing else reached


def test_eodag_search_all_pages_through_exactly_the_s2_l1c_products_of_the_area_and_window(
        live_server, catalogue, server_log, tmp_path):
    # given 47 published products (S1, S2, S3; two more unpublished), 15 of them S2 L1C that intersect the AOI
    # during the window, and S2 L1C decoys just outside the AOI, ending or starting exactly at the window's bounds
    assert catalogue.published == 47 and len(catalogue.s2_expected) == 15
    # when
    result = run_eodag(home=tmp_path, server_url=live_server.url, searches={"l1c": search("S2_MSI_L1C", limit=4)})
    # then exactly those, once each, in ContentDate/Start order
    (found,) = result["searches"]["l1c"]
    assert [item["properties"]["title"] for item in found] == [title_of(p) for p in catalogue.s2_expected]
    uids = [item["properties"]["uid"] for item in found]
    assert uids == [str(p.id) for p in catalogue.s2_expected] and len(set(uids)) == 15
    # over four pages of four, eodag reading each next offset back from our @odata.nextLink
    assert received(server_log) == [
        eodag_page(collection="SENTINEL-2", product_type="S2MSI1C", top=4, skip=skip) for skip in (0, 4, 8, 12)]
    # and every field eodag maps equals our catalogue value
    assert_mapped(found, catalogue.s2_expected, collection="S2_MSI_L1C", root=f"{live_server.url}/odata/v1")
    assert_clean_run(result, port=live_server.thread.port)


def test_eodag_s1_grd_search_sends_the_grd_alias_and_finds_every_s1_grd_type_page_by_page(
        live_server, catalogue, server_log, tmp_path):
    # given IW/EW/S3 GRD products in the AOI and window, and SLC, RAW, OCN products and GRD products outside them
    assert [p.product_type for p in catalogue.s1_grd_expected] == [
        "IW_GRDH_1S", "IW_GRDH_1S", "EW_GRDM_1S", "S3_GRDH_1S", "IW_GRDH_1S"]
    # when a user asks for S1_SAR_GRD page by page, with the count
    result = run_eodag(home=tmp_path, server_url=live_server.url, searches={
        "grd": search("S1_SAR_GRD", method="next_page", limit=2, count=True)})
    # then eodag sent productType 'GRD' (prip-odata.md §5.6) and got the five GRD products over three pages
    assert received(server_log) == [
        eodag_page(collection="SENTINEL-1", product_type="GRD", top=2, skip=0, count=True),
        eodag_page(collection="SENTINEL-1", product_type="GRD", top=2, skip=2),
        eodag_page(collection="SENTINEL-1", product_type="GRD", top=2, skip=4),
    ]
    pages = result["searches"]["grd"]
    assert [[item["properties"]["title"] for item in page] for page in pages] == [
        [title_of(p) for p in catalogue.s1_grd_expected[i:i + 2]] for i in (0, 2, 4)]
    assert result["counts"]["grd"] == 5
    assert_mapped([item for page in pages for item in page], catalogue.s1_grd_expected, collection="S1_SAR_GRD",
                  root=f"{live_server.url}/odata/v1")
    assert_clean_run(result, port=live_server.thread.port)


def test_a_full_last_page_without_next_link_ends_eodag_paging_without_an_empty_request(
        live_server, catalogue, server_log, tmp_path):
    # when eodag pages through the 15 S2 L1C products five at a time
    result = run_eodag(home=tmp_path, server_url=live_server.url, searches={"l1c": search("S2_MSI_L1C", limit=5)})
    # then the third page, full but without @odata.nextLink, is the last one it asks for
    assert received(server_log) == [
        eodag_page(collection="SENTINEL-2", product_type="S2MSI1C", top=5, skip=skip) for skip in (0, 5, 10)]
    assert [item["properties"]["uid"] for item in result["searches"]["l1c"][0]] == [
        str(p.id) for p in catalogue.s2_expected]
    assert_clean_run(result, port=live_server.thread.port)
