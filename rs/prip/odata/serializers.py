"""Catalog entries as the JSON clients read (prip-odata.md §2, §4): CDSE key order, six-digit UTC timestamps,
Footprint as an upper-case EWKT string with plain decimals, GeoFootprint as GeoJSON."""

from __future__ import annotations

import re
import struct
from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.contrib.gis.geos import GEOSGeometry

from rs.catalog.choices import AssetType
from rs.catalog.query.entries import AttributeValue, CatalogEntry
from rs.catalog.query.timestamps import utc_text
from rs.catalog.query.wkb import shape_is_empty, wkb_shape
from rs.prip.odata.options import TYPED_ATTRIBUTES

FOREVER = "9999-12-31T23:59:59.999999Z"  # EvictionDate of products kept forever (CDSE since 2024-07-31)
MEDIA_TYPE = "application/octet-stream"
NAVIGATION_ORDER = ("Attributes", "Assets", "Locations", "Quicklooks", *TYPED_ATTRIBUTES)


timestamp = utc_text  # six-digit UTC timestamps (rs.catalog.query.timestamps)


def _number(value: float) -> str:
    """Shortest round-trip decimal without exponent (eodag's footprint regex has no room for 'e-05')."""
    text = repr(float(value))
    if "e" in text or "E" in text:
        text = format(Decimal(text), "f")
    return text[:-2] if text.endswith(".0") else text


_INTEGRAL = re.compile(r"\.0(?=[ ,]|$)")  # repr's ".0" of a whole number, before a separator or at the end


def _points(coords: Iterable[Sequence[float]]) -> str:
    """"x y, x y, …" of a ring or line: every number written by repr at once, then the whole numbers' ".0" cut;
    number by number (_number) only when an exponent shows up."""
    coords = list(coords)
    text = ", ".join([f"{c[0]!r} {c[1]!r}" for c in coords])
    if "e" in text:
        return ", ".join(f"{_number(c[0])} {_number(c[1])}" for c in coords)
    return _INTEGRAL.sub("", text)


def _polygon_wkt(rings: Iterable[Any]) -> str:
    return "(" + ", ".join(f"({_points(ring)})" for ring in rings) + ")"


def _parts(footprint_wkb: bytes | None) -> tuple[str, Any] | None:
    """(type, coordinates) of a footprint read from its WKB, single-part multi-geometries written as their single
    part; None for no footprint or an empty one."""
    if footprint_wkb is None:
        return None
    try:
        kind, coords = wkb_shape(footprint_wkb)
    except (ValueError, IndexError, struct.error):  # a shape the reader does not know (M coordinates): ask GEOS
        geometry: Any = GEOSGeometry(memoryview(footprint_wkb))
        kind, coords = geometry.geom_type, _lists(geometry.coords)
    if shape_is_empty(kind, coords):
        return None
    if kind in ("MultiPolygon", "MultiLineString") and len(coords) == 1:
        return kind.removeprefix("Multi"), coords[0]
    return kind, coords


def _ewkt(parts: tuple[str, Any] | None) -> str | None:
    if parts is None:
        return None
    kind, coords = parts
    if kind == "Point":
        wkt = f"POINT ({_number(coords[0])} {_number(coords[1])})"
    elif kind == "LineString":
        wkt = f"LINESTRING ({_points(coords)})"
    elif kind == "MultiLineString":
        wkt = "MULTILINESTRING (" + ",".join(f"({_points(line)})" for line in coords) + ")"
    elif kind == "Polygon":
        wkt = f"POLYGON {_polygon_wkt(coords)}"
    else:
        wkt = "MULTIPOLYGON (" + ",".join(_polygon_wkt(polygon) for polygon in coords) + ")"
    return f"geography'SRID=4326;{wkt}'"


def _geojson(parts: tuple[str, Any] | None) -> dict[str, Any] | None:
    if parts is None:
        return None
    kind, coords = parts
    return {"type": kind, "coordinates": coords}


def _lists(value: Any) -> Any:
    return [_lists(v) for v in value] if isinstance(value, tuple | list) else value


def footprint_ewkt(footprint_wkb: bytes | None) -> str | None:
    """Footprint: `geography'SRID=4326;POLYGON ((…))'`, upper-case, plain decimals."""
    return _ewkt(_parts(footprint_wkb))


def footprint_geojson(footprint_wkb: bytes | None) -> dict[str, Any] | None:
    """GeoFootprint: GeoJSON geometry."""
    return _geojson(_parts(footprint_wkb))


def checksums(md5: str, md5_date: datetime | None, blake3: str, blake3_date: datetime | None) -> list[dict[str, Any]]:
    result = []
    if md5:
        result.append({"Value": md5, "Algorithm": "MD5", "ChecksumDate": timestamp(md5_date)})
    if blake3:
        result.append({"Value": blake3, "Algorithm": "BLAKE3", "ChecksumDate": timestamp(blake3_date)})
    return result


def attribute_json(attribute: AttributeValue) -> dict[str, Any]:
    value = attribute.value
    return {
        "@odata.type": f"#OData.CSC.{attribute.value_type}Attribute",
        "Name": attribute.name,
        "Value": timestamp(value) if isinstance(value, datetime) else value,
        "ValueType": attribute.value_type,
    }


def context_url(entity_set: str, *, select: Sequence[str] | None, expand: Sequence[str], entity: bool) -> str:
    """`$metadata#Products`, `…(Attributes(),Assets())`, `…(Id,Name)`, then `/$entity` for a single entity."""
    items = [*(select or ()), *(f"{name}()" for name in expand)]
    suffix = f"({','.join(items)})" if items else ""
    return f"$metadata#{entity_set}{suffix}" + ("/$entity" if entity else "")


def entry_json(entry: CatalogEntry, *, root: str, convention: str, select: Sequence[str] | None,
               expand: Sequence[str]) -> dict[str, Any]:
    """One product (or deleted product) in §2.1 key order; `root` is the absolute service root without '/'."""
    footprint = _parts(entry.footprint_wkb)  # read once for both spellings
    properties: dict[str, Any] = {
        "Id": str(entry.id),
        "Name": entry.file_name if convention == "prip" else entry.name,
        "ContentType": entry.content_type,
        "ContentLength": entry.content_length,
        "OriginDate": timestamp(entry.origin_date),
        "PublicationDate": timestamp(entry.publication_date),
        "ModificationDate": timestamp(entry.modification_date),
        "Online": entry.online,
        "EvictionDate": timestamp(entry.eviction_date) or FOREVER,
        "S3Path": entry.storage_key or None,
        "Checksum": checksums(entry.md5, entry.md5_date, entry.blake3, entry.blake3_date),
        "ContentDate": {"Start": timestamp(entry.content_start), "End": timestamp(entry.content_end)},
        "Footprint": _ewkt(footprint),
        "GeoFootprint": _geojson(footprint),
        "ProductionType": entry.production_type,
    }
    if entry.deletion_date is not None:
        properties["DeletionDate"] = timestamp(entry.deletion_date)
        properties["DeletionCause"] = entry.deletion_cause
    result: dict[str, Any] = {"@odata.mediaContentType": MEDIA_TYPE}
    if select is None:
        result.update(properties)
    else:
        result.update((k, v) for k, v in properties.items() if k in select)
    for name in NAVIGATION_ORDER:
        if name in expand:
            result[name] = navigation_json(entry, name, root=root)
    return result


def navigation_json(entry: CatalogEntry, name: str, *, root: str) -> list[dict[str, Any]]:
    attributes = entry.attributes or ()
    if name == "Attributes":
        return [attribute_json(a) for a in attributes]
    if name in TYPED_ATTRIBUTES:
        value_type = name.removesuffix("Attributes")
        return [attribute_json(a) for a in attributes if a.value_type == value_type]
    assets = entry.assets or ()
    if name == "Assets":
        return [{"Type": a.type, "Id": str(a.id), "DownloadLink": f"{root}/Assets({a.id})/$value",
                 "S3Path": a.storage_key} for a in assets]
    if name == "Quicklooks":
        return [{"Image": a.name} for a in assets if a.type == AssetType.QUICKLOOK]
    if not entry.storage_key or not entry.online:  # Locations: where the bytes can be fetched
        return []
    return [{
        "FormatType": "Extracted",
        "DownloadLink": f"{root}/Products({entry.id})/$value",
        "ContentLength": entry.content_length,
        "Checksum": checksums(entry.md5, entry.md5_date, entry.blake3, entry.blake3_date),
        "S3Path": entry.storage_key,
    }]
