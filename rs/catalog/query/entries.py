"""What a query returns: one CatalogEntry per product or deleted product, with the expanded navigations it was
asked for. Plain frozen values, so the API layers (OData, later STAC and subscriptions) never touch model rows."""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from typing import Any, NamedTuple

from django.contrib.gis.geos import GEOSGeometry

from rs.catalog.choices import AttributeType
from rs.catalog.models import DeletedProduct, Product
from rs.catalog.query.names import delivered_file_name

AttributeScalar = str | int | float | bool | datetime | None


class AttributeValue(NamedTuple):
    """A named tuple: a page with its attributes makes thousands (a frozen dataclass costs several times more)."""

    name: str
    value_type: str  # an AttributeType value: String, Integer, Double, Boolean, DateTimeOffset
    value: AttributeScalar


class AssetEntry(NamedTuple):
    id: uuid.UUID
    type: str
    name: str
    storage_key: str


class SourceRef(NamedTuple):
    """A published input of a product (its lineage): what an API needs to point at it."""

    mission: str
    product_type: str
    name: str
    storage_key: str


@dataclass(frozen=True)
class CatalogEntry:
    id: uuid.UUID
    name: str  # catalog name (CDSE convention)
    file_name: str  # delivered file name (PRIP convention)
    content_type: str
    content_length: int
    origin_date: datetime | None
    publication_date: datetime | None
    modification_date: datetime | None
    online: bool
    eviction_date: datetime | None
    storage_key: str
    md5: str
    md5_date: datetime | None
    blake3: str
    blake3_date: datetime | None
    content_start: datetime | None
    content_end: datetime | None
    footprint_wkb: bytes | None  # WKB as the database sent it (the selectors read it with AsWKB, no GEOS object)
    production_type: str
    attributes: tuple[AttributeValue, ...] | None = None  # None: not asked for
    assets: tuple[AssetEntry, ...] | None = None
    deletion_date: datetime | None = None  # DeletedProducts only
    deletion_cause: str | None = None
    mission: str = ""  # S1, S2, S3 (STAC: the collection and platform)
    platform: str = ""  # satellite unit A-D, '_' for files valid for every unit
    product_type: str = ""  # as catalogued (STAC: the collection)
    sources: tuple[SourceRef, ...] | None = None  # published inputs by name; None: not asked for

    @cached_property
    def footprint(self) -> GEOSGeometry | None:
        """The footprint as a GEOS geometry, built on first use only (the OData JSON reads the WKB directly)."""
        if self.footprint_wkb is None:
            return None
        return GEOSGeometry(memoryview(self.footprint_wkb), srid=4326)


def _datetime(raw: object) -> datetime | None:
    if not isinstance(raw, str):
        return None
    value = datetime.fromisoformat(raw.replace(" ", "T"))
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _attribute(value_type: str, raw: object) -> AttributeScalar:
    if value_type == AttributeType.DATETIME:
        return _datetime(raw)
    if value_type == AttributeType.DOUBLE and isinstance(raw, int | float) and not isinstance(raw, bool):
        return float(raw) if math.isfinite(raw) else None
    if value_type == AttributeType.BOOLEAN and isinstance(raw, int):
        return bool(raw)  # SQLite aggregates booleans as 0/1
    return raw if isinstance(raw, str | int | float | bool) else None


# the member of the aggregated JSON object that holds each type's value (plain strings: no enum lookup per item)
_VALUE_KEYS = {str(AttributeType.STRING): "s", str(AttributeType.INTEGER): "i", str(AttributeType.DOUBLE): "d",
               str(AttributeType.BOOLEAN): "b", str(AttributeType.DATETIME): "v"}
_STRING, _INTEGER = str(AttributeType.STRING), str(AttributeType.INTEGER)


def attributes_from_aggregate(items: object) -> tuple[AttributeValue, ...]:
    """The JSON array the page query aggregates per product: [{n: name, t: type, s|i|d|b|v: value}, …]."""
    if not isinstance(items, list):
        return ()
    result = []
    for item in items:
        value_type = str(item["t"])
        key = _VALUE_KEYS.get(value_type)
        if key is None:
            AttributeType(value_type)  # an unknown type is an error, as it always was
            key = "s"
        raw = item.get(key)
        # strings and integers as JSON gives them (the common case), the rest through the conversions
        if (value_type == _STRING and type(raw) is str) or (value_type == _INTEGER and type(raw) is int):
            value: AttributeScalar = raw
        else:
            value = _attribute(value_type, raw)
        result.append(AttributeValue(str(item["n"]), value_type, value))
    return tuple(result)


def assets_from_aggregate(items: object) -> tuple[AssetEntry, ...]:
    return tuple(
        AssetEntry(uuid.UUID(str(item["id"])), str(item["type"]), str(item["name"]), str(item["key"]))
        for item in (items if isinstance(items, list) else [])
    )


def _footprint_wkb(row: Product | DeletedProduct) -> bytes | None:
    """The annotation `footprint_wkb` (AsWKB) when the query made one, else the WKB of the loaded geometry."""
    annotated: Any = row.__dict__.get("footprint_wkb", _MISSING)
    if annotated is not _MISSING:
        return None if annotated is None else bytes(annotated)
    geometry = row.footprint
    return None if geometry is None else bytes(geometry.wkb)


_MISSING = object()


# The Product columns a CatalogEntry is made of, in the order entry_from_values reads them; the page query selects
# these (with the footprint as WKB and the expansions' JSON after them) as plain tuples, no model instance per row.
ENTRY_FIELDS = ("id", "name", "content_type", "content_length", "origin_date", "publication_date", "modification_date",
                "online", "eviction_date", "storage_key", "md5", "md5_date", "blake3", "blake3_date", "content_start",
                "content_end", "production_type", "mission", "platform", "product_type")


def sources_from_aggregate(items: object) -> tuple[SourceRef, ...]:
    """[{m: mission, t: product type, n: name, k: storage key}, …], by name."""
    refs = [SourceRef(str(item["m"]), str(item["t"]), str(item["n"]), str(item["k"]))
            for item in (items if isinstance(items, list) else [])]
    return tuple(sorted(refs, key=lambda ref: ref.name))


def entry_from_values(row: tuple[Any, ...], *, with_attributes: bool, with_assets: bool,
                      with_sources: bool = False) -> CatalogEntry:
    """An entry from a row of ENTRY_FIELDS, then `footprint_wkb`, then `attributes_json`, `assets_json` and
    `sources_json` when asked for (in that order)."""
    (id_, name, content_type, content_length, origin_date, publication_date, modification_date, online,
     eviction_date, storage_key, md5, md5_date, blake3, blake3_date, content_start, content_end, production_type,
     mission, platform, product_type, wkb, *expansions) = row
    attributes = assets = sources = None
    position = 0
    if with_attributes:
        attributes = attributes_from_aggregate(expansions[position])
        position += 1
    if with_assets:
        assets = assets_from_aggregate(expansions[position])
        position += 1
    if with_sources:
        sources = sources_from_aggregate(expansions[position])
    return CatalogEntry(
        id=id_, name=name, file_name=delivered_file_name(name=name, storage_key=storage_key),
        content_type=content_type, content_length=content_length, origin_date=origin_date,
        publication_date=publication_date, modification_date=modification_date, online=online,
        eviction_date=eviction_date, storage_key=storage_key, md5=md5, md5_date=md5_date, blake3=blake3,
        blake3_date=blake3_date, content_start=content_start, content_end=content_end,
        footprint_wkb=None if wkb is None else bytes(wkb), production_type=production_type, attributes=attributes,
        assets=assets, mission=mission, platform=platform, product_type=product_type, sources=sources,
    )


def entry_from_deleted(row: DeletedProduct, *, with_attributes: bool) -> CatalogEntry:
    attributes = None
    if with_attributes:
        stored = row.attributes if isinstance(row.attributes, list) else []
        attributes = tuple(
            AttributeValue(str(a.get("name")), str(a.get("type")), _attribute(str(a.get("type")), a.get("value")))
            for a in stored if isinstance(a, dict)
        )
    return CatalogEntry(
        id=row.id, name=row.name, file_name=row.name, content_type=row.content_type,
        content_length=row.content_length, origin_date=row.origin_date, publication_date=row.publication_date,
        modification_date=row.modification_date, online=False, eviction_date=row.eviction_date, storage_key="",
        md5=row.md5, md5_date=None, blake3=row.blake3, blake3_date=None, content_start=row.content_start,
        content_end=row.content_end, footprint_wkb=_footprint_wkb(row), production_type=row.production_type,
        attributes=attributes, assets=(), deletion_date=row.deletion_date, deletion_cause=row.deletion_cause,
        mission=row.mission, platform=row.platform, product_type=row.product_type,
    )
