"""Catalogue entries as STAC Items: geometry and bbox from the footprint, the product download and quicklooks as
assets served by the PRIP (same URLs, same authentication), lineage as derived_from links."""

from __future__ import annotations

import json
import re
import struct
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import quote

from rs.catalog.choices import AssetType
from rs.catalog.query.entries import AssetEntry, CatalogEntry
from rs.catalog.query.names import name_convention
from rs.catalog.query.wkb import shape_is_empty, wkb_shape
from rs.stac.collection_ids import collection_id
from rs.stac.constants import EXTENSIONS, MEDIA_GEOJSON, MEDIA_JSON, STAC_VERSION
from rs.stac.item_properties import item_properties
from rs.stac.selectors import Source

IMAGE_TYPES = {"jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png", "jp2": "image/jp2",
               "tif": "image/tiff", "tiff": "image/tiff"}


@dataclass(frozen=True)
class Roots:
    """Absolute roots as the client reached us: the STAC API (no trailing '/') and the PRIP service root."""

    stac: str
    odata: str

    def item(self, collection: str, item_id: str) -> str:
        quoted = item_id if _URL_SAFE.fullmatch(item_id) else quote(item_id, safe="")  # product names are
        return f"{self.stac}/collections/{_quoted(collection)}/items/{quoted}"

    def collection(self, collection: str) -> str:
        return f"{self.stac}/collections/{_quoted(collection)}"


def item_id_of(entry: CatalogEntry) -> str:
    """The item id is the PRIP Name (catalog name, or delivered file name under the PRIP convention)."""
    return entry.file_name if name_convention() == "prip" else entry.name


@lru_cache(maxsize=1024)
def _collection_of(mission: str, product_type: str) -> str:
    return collection_id(mission, product_type)


def item_collection(entry: CatalogEntry) -> str:
    return _collection_of(entry.mission, entry.product_type)


@lru_cache(maxsize=1024)
def _quoted(text: str) -> str:
    return quote(text, safe="")


_URL_SAFE = re.compile(r"[A-Za-z0-9_.~-]*")

# how deep the points lie in each kind of coordinates (WKB shapes; other kinds are walked)
_POINT_DEPTH = {"Point": 0, "LineString": 1, "MultiPoint": 1, "Polygon": 2, "MultiLineString": 2, "MultiPolygon": 3}


def _points(coordinates: Any) -> Iterator[Sequence[float]]:
    if coordinates and isinstance(coordinates[0], float):
        yield coordinates
        return
    for item in coordinates:
        yield from _points(item)


def _flat_points(kind: str | None, coordinates: Any) -> list[Sequence[float]]:
    depth = _POINT_DEPTH.get(kind or "")
    if depth == 1:
        return list(coordinates)
    if depth == 2:
        return [point for line in coordinates for point in line]
    if depth == 3:
        return [point for polygon in coordinates for ring in polygon for point in ring]
    if depth == 0:
        return [coordinates]
    return list(_points(coordinates))


def _extent(coordinates: Any, kind: str | None = None) -> tuple[float, float, float, float]:
    points = _flat_points(kind, coordinates)
    if not points:
        raise ValueError("no point")
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    return min(xs), min(ys), max(xs), max(ys)


def _bbox(kind: str, coordinates: Any) -> list[float]:
    """The footprint's extent; a footprint split at ±180° gets a bbox across the antimeridian (west > east)."""
    west, south, east, north = _extent(coordinates, kind)
    if kind == "MultiPolygon" and west == -180 and east == 180:
        parts = [_extent(part, "Polygon") for part in coordinates]
        eastern = [p for p in parts if p[2] == 180]
        western = [p for p in parts if p[0] == -180]
        if eastern and western and len(eastern) + len(western) == len(parts):
            return [min(p[0] for p in eastern), south, max(p[2] for p in western), north]
    if east > 180:  # a nadir line kept unwrapped across ±180°
        return [west, south, east - 360, north]
    return [west, south, east, north]


def _geometry(entry: CatalogEntry) -> tuple[str, Any] | None:
    """(GeoJSON type, coordinates) read from the footprint's WKB (GEOS only for shapes the reader does not know)."""
    if entry.footprint_wkb is None:
        return None
    try:
        kind, coordinates = wkb_shape(entry.footprint_wkb)
    except (ValueError, IndexError, struct.error):
        geometry: Any = entry.footprint
        kind, coordinates = geometry.geom_type, json.loads(geometry.json)["coordinates"]
    return None if shape_is_empty(kind, coordinates) else (kind, coordinates)


def _assets(entry: CatalogEntry, roots: Roots) -> tuple[dict[str, Any], bool]:
    """(assets, whether any carries file: fields). The download asset exists while the product is online."""
    assets: dict[str, Any] = {}
    with_file = False
    if entry.online and entry.storage_key:
        product: dict[str, Any] = {
            "href": f"{roots.odata}/Products({entry.id})/$value",
            "type": entry.content_type,
            "title": entry.file_name,
            "roles": ["data"],
            "file:size": entry.content_length,
        }
        if entry.md5:
            product["file:checksum"] = f"d510{entry.md5.lower()}"  # multihash: MD5 (0xd5), 16 bytes (0x10)
        assets["product"] = product
        with_file = True
    quicklooks: Sequence[AssetEntry] = [a for a in entry.assets or () if a.type == AssetType.QUICKLOOK]
    for index, asset in enumerate(quicklooks):
        extension = asset.name.rsplit(".", 1)[-1].lower() if "." in asset.name else ""
        quicklook: dict[str, Any] = {"href": f"{roots.odata}/Assets({asset.id})/$value", "title": asset.name,
                                     "roles": ["thumbnail", "overview"]}
        if extension in IMAGE_TYPES:
            quicklook["type"] = IMAGE_TYPES[extension]
        assets["thumbnail" if index == 0 else f"quicklook-{index + 1}"] = quicklook
    return assets, with_file


PARTS = frozenset({"stac_extensions", "geometry", "bbox", "properties", "links", "assets"})


def item_json(entry: CatalogEntry, roots: Roots, *, sources: Sequence[Source] = (),
              parts: frozenset[str] = PARTS) -> dict[str, Any]:
    """One STAC Item (the entry must come with its attributes and assets for a complete item); `parts` names the
    top-level members to build (a `fields` projection skips the others)."""
    item_id, collection = item_id_of(entry), item_collection(entry)
    properties, extensions = item_properties(entry) if parts & {"properties", "stac_extensions"} else ({}, [])
    assets, with_file = _assets(entry, roots) if parts & {"assets", "stac_extensions"} else ({}, False)
    if with_file:
        extensions.append(EXTENSIONS["file"])
    item: dict[str, Any] = {"type": "Feature", "stac_version": STAC_VERSION}
    if "stac_extensions" in parts:
        item["stac_extensions"] = sorted(extensions)
    item.update(id=item_id, collection=collection)
    if parts & {"geometry", "bbox"}:
        shape = _geometry(entry)
        if "geometry" in parts:
            item["geometry"] = None if shape is None else {"type": shape[0], "coordinates": shape[1]}
        if "bbox" in parts and shape is not None:
            item["bbox"] = _bbox(*shape)
    if "properties" in parts:
        item["properties"] = properties
    if "links" in parts:
        item["links"] = _links(entry, roots, item_id, collection, sources)
    if "assets" in parts:
        item["assets"] = assets
    return item


def _links(entry: CatalogEntry, roots: Roots, item_id: str, collection: str,
           sources: Sequence[Source]) -> list[dict[str, Any]]:
    links: list[dict[str, Any]] = [
        {"rel": "self", "href": roots.item(collection, item_id), "type": MEDIA_GEOJSON},
        {"rel": "parent", "href": roots.collection(collection), "type": MEDIA_JSON},
        {"rel": "collection", "href": roots.collection(collection), "type": MEDIA_JSON},
        {"rel": "root", "href": f"{roots.stac}/", "type": MEDIA_JSON},
        {"rel": "alternate", "href": f"{roots.odata}/Products({entry.id})", "type": MEDIA_JSON,
         "title": "PRIP OData entry"},
    ]
    links += [{"rel": "derived_from", "href": roots.item(source.collection, source.item_id), "type": MEDIA_GEOJSON,
               "title": source.item_id} for source in sources]
    return links
