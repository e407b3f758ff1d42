"""What a CQL2 filter, `sortby` and `fields` may name: STAC property names mapped onto the PRIP's properties and
attributes, so that a STAC condition and the PRIP condition on the same property are the same tree node.

Every attribute of the registry (naming-and-metadata.md §8) is queryable under its PRIP name (`cloudCover`,
`relativeOrbitNumber`, …); the STAC extension names are aliases of the same attributes (`eo:cloud_cover`)."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from rs.catalog.attribute_registry import ATTRIBUTE_TYPES
from rs.catalog.choices import AttributeType, ProductionType


class Target(enum.Enum):
    PROPERTY = "property"  # a PRIP property (rs.catalog.query.properties)
    ATTRIBUTE = "attribute"  # a PRIP attribute, matched with an EXISTS like Attributes/any()
    COLLECTION = "collection"  # the STAC collection (mission + productType)
    SENSING = "sensing"  # `datetime`: ContentDate/Start, and the whole sensing interval for t_intersects


@dataclass(frozen=True)
class Queryable:
    name: str
    target: Target
    prip: str  # the PRIP property or attribute name
    schema: dict[str, Any]
    upper: bool = False  # STAC writes the value in lower case, the PRIP in upper case (sat:orbit_state)


_STRING: dict[str, Any] = {"type": "string"}
_INSTANT: dict[str, Any] = {"type": "string", "format": "date-time"}
_ATTRIBUTE_SCHEMAS: dict[AttributeType, dict[str, Any]] = {
    AttributeType.STRING: _STRING, AttributeType.INTEGER: {"type": "integer"},
    AttributeType.DOUBLE: {"type": "number"}, AttributeType.BOOLEAN: {"type": "boolean"},
    AttributeType.DATETIME: _INSTANT,
}


def _titled(schema: dict[str, Any], title: str) -> dict[str, Any]:
    return {"title": title, **schema}


_CORE = (
    Queryable("id", Target.PROPERTY, "Name", _titled(_STRING, "Item id (the PRIP Name)")),
    Queryable("collection", Target.COLLECTION, "", _titled(_STRING, "Collection id, e.g. sentinel-2-s2msi2a")),
    Queryable("datetime", Target.SENSING, "ContentDate/Start", _titled(_INSTANT, "Sensing start")),
    Queryable("start_datetime", Target.PROPERTY, "ContentDate/Start", _titled(_INSTANT, "Sensing start")),
    Queryable("end_datetime", Target.PROPERTY, "ContentDate/End", _titled(_INSTANT, "Sensing stop")),
    Queryable("created", Target.PROPERTY, "PublicationDate", _titled(_INSTANT, "Publication date")),
    Queryable("published", Target.PROPERTY, "PublicationDate", _titled(_INSTANT, "Publication date")),
    Queryable("updated", Target.PROPERTY, "ModificationDate", _titled(_INSTANT, "Last modification")),
    Queryable("expires", Target.PROPERTY, "EvictionDate", _titled(_INSTANT, "Eviction date")),
    Queryable("constellation", Target.PROPERTY, "Collection/Name",
              _titled({"type": "string", "enum": ["sentinel-1", "sentinel-2", "sentinel-3"]}, "Mission")),
    Queryable("prip:id", Target.PROPERTY, "Id", _titled({"type": "string", "format": "uuid"}, "PRIP product Id")),
    Queryable("prip:origin_date", Target.PROPERTY, "OriginDate", _titled(_INSTANT, "Origin date (t0)")),
    Queryable("prip:online", Target.PROPERTY, "Online", _titled({"type": "boolean"}, "Downloadable now")),
    Queryable("prip:production_type", Target.PROPERTY, "ProductionType",
              _titled({"type": "string", "enum": list(ProductionType.values)}, "Production type")),
    Queryable("prip:content_length", Target.PROPERTY, "ContentLength",
              _titled({"type": "integer", "minimum": 0}, "Bytes of the product")),
)

# STAC extension fields whose values are the attribute's values (written where the item carries them)
ALIASES = {
    "eo:cloud_cover": ("cloudCover", False),
    "eo:snow_cover": ("snowOrIceCover", False),
    "sat:absolute_orbit": ("orbitNumber", False),
    "sat:relative_orbit": ("relativeOrbitNumber", False),
    "sat:orbit_state": ("orbitDirection", True),
    "sar:instrument_mode": ("operationalMode", False),
    "processing:level": ("processingLevel", False),
    "processing:facility": ("processingCenter", False),
    "processing:datetime": ("processingDate", False),
    "processing:version": ("processingBaseline", False),
}

QUERYABLES: dict[str, Queryable] = {q.name: q for q in _CORE}
for _alias, (_attribute, _upper) in ALIASES.items():
    _schema = dict(_ATTRIBUTE_SCHEMAS[ATTRIBUTE_TYPES[_attribute]])
    if _upper:
        _schema["enum"] = ["ascending", "descending"]
    QUERYABLES[_alias] = Queryable(_alias, Target.ATTRIBUTE, _attribute, _titled(_schema, f"PRIP {_attribute}"),
                                   upper=_upper)
for _name, _type in ATTRIBUTE_TYPES.items():
    QUERYABLES[_name] = Queryable(_name, Target.ATTRIBUTE, _name,
                                  _titled(_ATTRIBUTE_SCHEMAS[_type], f"PRIP attribute {_name} ({_type})"))

GEOMETRY = "geometry"

# sortby: STAC names of the orderable PRIP properties
SORTABLE = {q.name: q.prip for q in _CORE if q.target in (Target.PROPERTY, Target.SENSING)
            and q.prip in ("Id", "Name", "ContentLength", "OriginDate", "PublicationDate", "ModificationDate",
                           "EvictionDate", "ContentDate/Start", "ContentDate/End")}


def queryable(name: str) -> Queryable | None:
    """The queryable named `name` (also written `properties.<name>`)."""
    return QUERYABLES.get(name.removeprefix("properties."))


def unknown_name_message(name: str, what: str = "queryable") -> str:
    lowered = name.lower()
    near = next((q for q in QUERYABLES if q.lower() == lowered), None)
    hint = f" (did you mean {near!r}?)" if near else ""
    return f"{name!r} is not a {what}{hint}: see /stac/queryables"


def queryables_schema(*, url: str) -> dict[str, Any]:
    """The JSON Schema of /queryables (OGC API Features part 3)."""
    properties: dict[str, Any] = {GEOMETRY: {"title": "Footprint", "$ref": "https://geojson.org/schema/Geometry.json"}}
    properties.update((name, q.schema) for name, q in QUERYABLES.items())
    return {
        "$schema": "https://json-schema.org/draft/2019-09/schema",
        "$id": url,
        "type": "object",
        "title": "Queryables of the Copernicus Reference System catalogue",
        "properties": properties,
        "additionalProperties": False,
    }
