"""The API's own documents: landing page, conformance, collections, item collections (search pages) with their
next links, and a small OpenAPI description (the landing page's service-desc)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from rs.stac.collection_ids import CollectionKey
from rs.stac.constants import (
    CATALOG_ID,
    CONFORMANCE,
    EXTENSIONS,
    MEDIA_GEOJSON,
    MEDIA_JSON,
    MEDIA_OPENAPI,
    MEDIA_SCHEMA,
    PAGE_TOKEN,
    STAC_VERSION,
)
from rs.stac.items import Roots
from rs.stac.models import CollectionExtent

QUERYABLES_REL = "http://www.opengis.net/def/rel/ogc/1.0/queryables"
LICENSE_URL = "https://sentinel.esa.int/documents/247904/690755/Sentinel_Data_Legal_Notice"
TITLE = "Copernicus Reference System catalogue"
DESCRIPTION = ("Sentinel products published by this Copernicus Reference System: the catalogue its PRIP OData API "
               "serves, with the same query semantics.")


def landing_json(roots: Roots, collections: Sequence[CollectionExtent]) -> dict[str, Any]:
    root = f"{roots.stac}/"
    links: list[dict[str, Any]] = [
        {"rel": "self", "href": root, "type": MEDIA_JSON},
        {"rel": "root", "href": root, "type": MEDIA_JSON},
        {"rel": "conformance", "href": f"{roots.stac}/conformance", "type": MEDIA_JSON},
        {"rel": "service-desc", "href": f"{roots.stac}/api", "type": MEDIA_OPENAPI},
        {"rel": "data", "href": f"{roots.stac}/collections", "type": MEDIA_JSON},
        {"rel": "search", "href": f"{roots.stac}/search", "type": MEDIA_GEOJSON, "method": "GET"},
        {"rel": "search", "href": f"{roots.stac}/search", "type": MEDIA_GEOJSON, "method": "POST"},
        {"rel": QUERYABLES_REL, "href": f"{roots.stac}/queryables", "type": MEDIA_SCHEMA},
        {"rel": "alternate", "href": f"{roots.odata}/", "type": MEDIA_JSON, "title": "PRIP OData API"},
    ]
    links += [{"rel": "child", "href": roots.collection(c.id), "type": MEDIA_JSON, "title": _title(c)}
              for c in collections]
    return {"type": "Catalog", "stac_version": STAC_VERSION, "id": CATALOG_ID, "title": TITLE,
            "description": DESCRIPTION, "conformsTo": list(CONFORMANCE), "links": links}


def conformance_json() -> dict[str, Any]:
    return {"conformsTo": list(CONFORMANCE)}


def _title(extent: CollectionExtent) -> str:
    return f"Sentinel-{extent.mission[1]} {extent.product_type}"


def _instant(value: Any) -> str | None:
    from rs.stac.item_properties import timestamp

    return timestamp(value)


def collection_json(extent: CollectionExtent, roots: Roots) -> dict[str, Any]:
    href = roots.collection(extent.id)
    key = CollectionKey(extent.mission, extent.product_type)
    bbox = [extent.west, extent.south, extent.east, extent.north]
    return {
        "type": "Collection",
        "stac_version": STAC_VERSION,
        "stac_extensions": [],
        "id": extent.id,
        "title": _title(extent),
        "description": f"{_title(extent)} products: every published product of type {extent.product_type} of "
                       f"{key.constellation.upper()} (PRIP: Collection/Name eq '{key.constellation.upper()}' and "
                       f"productType '{extent.product_type}').",
        "keywords": ["Copernicus", key.constellation, extent.product_type],
        "license": "other",
        "providers": [{"name": "ESA", "roles": ["producer", "licensor"], "url": "https://www.esa.int"},
                      {"name": TITLE, "roles": ["processor", "host"], "url": f"{roots.stac}/"}],
        "extent": {
            "spatial": {"bbox": [bbox if None not in bbox else [-180.0, -90.0, 180.0, 90.0]]},
            "temporal": {"interval": [[_instant(extent.start), _instant(extent.end)]]},
        },
        "summaries": {"constellation": [key.constellation]},
        "item_assets": {},
        "links": [
            {"rel": "self", "href": href, "type": MEDIA_JSON},
            {"rel": "root", "href": f"{roots.stac}/", "type": MEDIA_JSON},
            {"rel": "parent", "href": f"{roots.stac}/", "type": MEDIA_JSON},
            {"rel": "items", "href": f"{href}/items", "type": MEDIA_GEOJSON},
            {"rel": QUERYABLES_REL, "href": f"{href}/queryables", "type": MEDIA_SCHEMA},
            {"rel": "license", "href": LICENSE_URL, "type": "application/pdf", "title": "Sentinel data legal notice"},
        ],
    }


def collections_json(extents: Sequence[CollectionExtent], roots: Roots) -> dict[str, Any]:
    return {
        "collections": [collection_json(e, roots) for e in extents],
        "links": [{"rel": "self", "href": f"{roots.stac}/collections", "type": MEDIA_JSON},
                  {"rel": "root", "href": f"{roots.stac}/", "type": MEDIA_JSON},
                  {"rel": "parent", "href": f"{roots.stac}/", "type": MEDIA_JSON}],
        "numberMatched": len(extents),
        "numberReturned": len(extents),
    }


def next_link_get(url: str, params: Sequence[tuple[str, str]], token: str) -> dict[str, Any]:
    """The request's own parameters in their order, the page token replaced (or appended)."""
    kept = [(name, value) for name, value in params if name != PAGE_TOKEN]
    return {"rel": "next", "href": f"{url}?{urlencode([*kept, (PAGE_TOKEN, token)])}", "type": MEDIA_GEOJSON,
            "method": "GET"}


def next_link_post(url: str, body: dict[str, Any], token: str) -> dict[str, Any]:
    """STAC API paging for POST: the same body with the page token, sent again as it is (merge: false)."""
    return {"rel": "next", "href": url, "type": MEDIA_GEOJSON, "method": "POST",
            "body": {**body, PAGE_TOKEN: token}, "merge": False}


def item_collection_json(features: list[dict[str, Any]], links: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": features, "links": links, "numberReturned": len(features)}


def openapi_json(roots: Roots) -> dict[str, Any]:
    """A short OpenAPI 3.0 description of the endpoints (STAC API core asks for a service-desc)."""
    def operation(summary: str, media: str = MEDIA_JSON) -> dict[str, Any]:
        return {"summary": summary, "responses": {"200": {"description": "OK", "content": {media: {}}},
                                                  "400": {"description": "Invalid request"}}}

    search = operation("Item search: bbox, intersects, datetime, ids, collections, limit, sortby, fields, filter",
                       MEDIA_GEOJSON)
    return {
        "openapi": "3.0.3",
        "info": {"title": TITLE + " — STAC API", "version": "1.0.0",
                 "description": "STAC API 1.0 over the PRIP catalogue. Extensions: " + ", ".join(sorted(EXTENSIONS))},
        "servers": [{"url": roots.stac}],
        "paths": {
            "/": {"get": operation("Landing page")},
            "/conformance": {"get": operation("Conformance classes")},
            "/queryables": {"get": operation("Queryables (JSON Schema)", MEDIA_SCHEMA)},
            "/collections": {"get": operation("Collections")},
            "/collections/{collectionId}": {"get": operation("One collection")},
            "/collections/{collectionId}/queryables": {"get": operation("Queryables", MEDIA_SCHEMA)},
            "/collections/{collectionId}/items": {"get": operation("Items of a collection", MEDIA_GEOJSON)},
            "/collections/{collectionId}/items/{itemId}": {"get": operation("One item", MEDIA_GEOJSON)},
            "/search": {"get": search, "post": search},
        },
    }
