"""Item properties: common metadata, the PRIP attributes under their PRIP names, and the extension fields that fit
Sentinel products (sat, sar, eo, processing, proj where the tile tells the UTM zone, timestamps). An extension is
declared only when the item carries its fields, so every item validates against the schemas it names."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from rs.catalog.query.entries import CatalogEntry
from rs.catalog.query.timestamps import utc_text
from rs.stac.constants import EXTENSIONS

FOREVER = "9999-12-31T23:59:59.999999Z"  # EvictionDate of products kept forever, as the PRIP writes it
POLARISATIONS = ("HH", "VV", "HV", "VH")
C_BAND_GHZ = 5.405  # Sentinel-1 SAR centre frequency
_MGRS_TILE = re.compile(r"T?(\d{2})([C-X])[A-Z]{2}")
_S1_TYPE = re.compile(r"[A-Z0-9]{2}_([A-Z]{3})")
INSTRUMENTS = {"S1": "sar", "S2": "msi"}
# properties that come from the product's columns, not from its attributes (a projection on these alone does not
# need the attributes fetched)
ENTRY_PROPERTIES = frozenset({"datetime", "start_datetime", "end_datetime", "created", "updated", "platform",
                              "constellation", "published", "expires", "prip:id", "prip:online", "prip:origin_date",
                              "prip:production_type", "prip:content_length"})


timestamp = utc_text  # RFC 3339 in UTC with six fraction digits, like the PRIP


def _epsg_of_tile(tile: object) -> str | None:
    """An MGRS tile (T32TQM) lies in one UTM zone: EPSG 326zz north of the equator (bands N-X), 327zz south."""
    match = _MGRS_TILE.fullmatch(tile) if isinstance(tile, str) else None
    if match is None or not 1 <= int(match.group(1)) <= 60:
        return None
    return f"EPSG:{(32600 if match.group(2) >= 'N' else 32700) + int(match.group(1))}"


def _positive_int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 1 else None


def _percent(value: object) -> float | None:
    is_number = isinstance(value, int | float) and not isinstance(value, bool)
    return float(value) if is_number and 0 <= value <= 100 else None  # type: ignore[operator, arg-type]


def _sat(attributes: Mapping[str, object]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    if (orbit := _positive_int(attributes.get("orbitNumber"))) is not None:
        fields["sat:absolute_orbit"] = orbit
    if (relative := _positive_int(attributes.get("relativeOrbitNumber"))) is not None:
        fields["sat:relative_orbit"] = relative
    direction = attributes.get("orbitDirection")
    if isinstance(direction, str) and direction.lower() in ("ascending", "descending"):
        fields["sat:orbit_state"] = direction.lower()
    return fields


def _sar(entry: CatalogEntry, attributes: Mapping[str, object]) -> dict[str, Any]:
    """Sentinel-1 SAR products with a mode, polarisations and a type field (all four are required by sar)."""
    mode, channels = attributes.get("operationalMode"), attributes.get("polarisationChannels")
    kind = _S1_TYPE.match(entry.product_type)
    if entry.mission != "S1" or not isinstance(mode, str) or not isinstance(channels, str) or kind is None:
        return {}
    polarisations = [p for p in dict.fromkeys(channels.upper().split("&")) if p in POLARISATIONS]
    if not polarisations:
        return {}
    return {"sar:instrument_mode": mode, "sar:frequency_band": "C", "sar:center_frequency": C_BAND_GHZ,
            "sar:polarizations": polarisations, "sar:product_type": kind.group(1)}


def _eo(attributes: Mapping[str, object]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    if (cloud := _percent(attributes.get("cloudCover"))) is not None:
        fields["eo:cloud_cover"] = cloud
    if (snow := _percent(attributes.get("snowOrIceCover"))) is not None:
        fields["eo:snow_cover"] = snow
    return fields


def _processing(attributes: Mapping[str, object]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for key, name in (("processing:level", "processingLevel"), ("processing:facility", "processingCenter"),
                      ("processing:version", "processingBaseline")):
        if isinstance(attributes.get(name), str):
            fields[key] = attributes[name]
    if isinstance(attributes.get("processingDate"), datetime):
        fields["processing:datetime"] = timestamp(attributes["processingDate"])  # type: ignore[arg-type]
    processor, version = attributes.get("processorName"), attributes.get("processorVersion")
    if isinstance(processor, str) and isinstance(version, str):
        fields["processing:software"] = {processor: version}
    return fields


def _platform(entry: CatalogEntry) -> str | None:
    number = entry.mission[1:] if entry.mission in ("S1", "S2", "S3") else ""
    return f"sentinel-{number}{entry.platform.lower()}" if number and entry.platform in "ABCD" else None


def item_properties(entry: CatalogEntry) -> tuple[dict[str, Any], list[str]]:
    """(properties, extension schema URLs) of one catalogue entry (with its attributes)."""
    attributes = {a.name: a.value for a in entry.attributes or ()}
    start, end = timestamp(entry.content_start), timestamp(entry.content_end)
    published = timestamp(entry.publication_date)
    properties: dict[str, Any] = {
        # no sensing time (aux files): the publication instant, so that the item stays valid
        "datetime": start or published,
    }
    if start and end:
        properties["start_datetime"], properties["end_datetime"] = start, end
    properties["created"], properties["updated"] = published, timestamp(entry.modification_date)
    if (platform := _platform(entry)) is not None:
        properties["platform"] = platform
    if entry.mission in ("S1", "S2", "S3"):
        properties["constellation"] = f"sentinel-{entry.mission[1]}"
    instrument = attributes.get("instrumentShortName")
    if isinstance(instrument, str) or entry.mission in INSTRUMENTS:
        properties["instruments"] = [str(instrument).lower() if isinstance(instrument, str)
                                     else INSTRUMENTS[entry.mission]]
    extensions: list[str] = []
    groups = {"sat": _sat(attributes), "sar": _sar(entry, attributes), "eo": _eo(attributes),
              "processing": _processing(attributes)}
    epsg = _epsg_of_tile(attributes.get("tileId")) if entry.mission == "S2" else None
    if epsg is not None:
        groups["proj"] = {"proj:code": epsg}
    for name, fields in groups.items():
        if fields:
            properties.update(fields)
            extensions.append(EXTENSIONS[name])
    properties.update({
        "published": published,
        "expires": timestamp(entry.eviction_date) or FOREVER,
        "prip:id": str(entry.id),
        "prip:online": entry.online,
        "prip:production_type": entry.production_type,
        "prip:content_length": entry.content_length,
    })
    if entry.origin_date is not None:
        properties["prip:origin_date"] = timestamp(entry.origin_date)
    extensions.append(EXTENSIONS["timestamps"])
    for name, value in attributes.items():
        if name not in properties:
            properties[name] = timestamp(value) if isinstance(value, datetime) else value
    return properties, extensions
