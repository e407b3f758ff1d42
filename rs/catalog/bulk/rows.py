"""One NDJSON line → one validated ProductRow: the product's column values and its typed attributes."""

from __future__ import annotations

import json
import re
import uuid
from datetime import datetime
from typing import NamedTuple

from rs.catalog.bulk.footprints import footprint_hexewkb
from rs.catalog.bulk.values import INT32, INT64, BulkLoadError, LineError, aware, integer, text, typed_attributes
from rs.catalog.choices import AttributeType, Mission, ProcessingLevel
from rs.catalog.families import classification_of, s1_mode_of
from rs.catalog.footprints import footprint_shape_refusal

MAX_NAME_LENGTH = 255
REQUIRED_KEYS = ("id", "name", "mission", "platform", "productType", "start", "end", "contentLength")
OPTIONAL_KEYS = ("processingLevel", "publicationDate", "checksum", "footprint", "attributes")
KNOWN_KEYS = frozenset(REQUIRED_KEYS + OPTIONAL_KEYS)
_MISSIONS = frozenset(Mission.values)
_PLATFORM = re.compile(r"^[A-D_]$")
_MD5 = re.compile(r"^[0-9a-fA-F]{32}$")
_LEVELS = frozenset(ProcessingLevel.values)


class ProductRow(NamedTuple):
    """One validated line: the column values of its product and its typed attributes."""

    line: int
    id: str
    name: str
    mission: str
    platform: str
    family: str
    product_type: str
    level: str
    mode: str
    instrument_configuration_id: int | None
    timeliness: str
    content_length: int
    publication_date: datetime | None
    generation_date: datetime | None
    content_start: datetime
    content_end: datetime
    md5: str
    footprint: str | None  # hex EWKB
    cloud_cover: float | None  # the cloudCover attribute, also a column
    attributes: list[tuple[str, AttributeType, object]]


def _type_in_name(product_type: str, name: str) -> bool:
    if product_type in ("S2MSI1C", "S2MSI2A"):
        return f"_MSIL{product_type[5:]}_" in name
    return product_type in name


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not allowed")


def product_row_of_line(raw: bytes | str, line: int, *, now: datetime) -> ProductRow:
    """Parse and validate one NDJSON line; raises BulkLoadError naming the line and the field."""
    try:
        return _product_row(raw, line, now)
    except LineError as exc:
        raise BulkLoadError(f"line {line}: {exc}", line=line) from None
    except Exception as exc:  # input no check foresaw: still the line, never a traceback
        raise BulkLoadError(f"line {line}: cannot be read ({type(exc).__name__}: {exc})", line=line) from exc


def _json_error(raw: bytes | str) -> str:
    """The parser's complaint about the line without its end (so a truncated line is not blamed on the newline)."""
    try:
        json.loads(raw.rstrip(b"\r\n") if isinstance(raw, bytes) else raw.rstrip("\r\n"),
                   parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        return f"{exc.msg} at column {exc.colno}"
    return "not one JSON value"


def _product_row(raw: bytes | str, line: int, now: datetime) -> ProductRow:
    try:
        data = json.loads(raw, parse_constant=_reject_constant)
    except json.JSONDecodeError:
        raise LineError("JSON", f"not valid: {_json_error(raw)}") from None
    except ValueError as exc:  # undecodable bytes, NaN or Infinity
        raise LineError("JSON", f"not valid: {exc}") from None
    if not isinstance(data, dict):
        raise LineError("JSON", "a line must be one JSON object")
    unknown = data.keys() - KNOWN_KEYS
    if unknown:
        raise LineError(sorted(unknown)[0], "unknown key")
    for key in REQUIRED_KEYS:
        if data.get(key) is None:
            raise LineError(key, "missing")
    try:
        product_id = str(uuid.UUID(data["id"]))
    except (TypeError, ValueError, AttributeError):
        raise LineError("id", f"{data['id']!r} is not a UUID") from None
    name = text(data["name"], "name", MAX_NAME_LENGTH)
    if "/" in name or "\\" in name or name in {".", ".."}:
        raise LineError("name", f"{name!r} contains a path separator")
    mission = data["mission"]
    if not isinstance(mission, str) or mission not in _MISSIONS:
        raise LineError("mission", f"{mission!r} is not one of {', '.join(sorted(_MISSIONS))}")
    platform = data["platform"]
    if not isinstance(platform, str) or not _PLATFORM.match(platform):
        raise LineError("platform", f"{platform!r} is not a satellite unit A-D or '_'")
    if not name.startswith(mission + platform):
        raise LineError("name", f"{name!r} does not start with {mission}{platform} (mission and platform)")
    product_type = text(data["productType"], "productType", 32)
    if not _type_in_name(product_type, name):
        raise LineError("productType", f"{product_type!r} does not appear in the name")
    attributes = data.get("attributes")
    if attributes is None:
        attributes = {}
    elif not isinstance(attributes, dict):
        raise LineError("attributes", "a JSON object of name → value expected")
    try:
        family, level = classification_of(mission=mission, product_type=product_type, name=name,
                                          attributes=attributes)
    except ValueError as exc:
        raise LineError("productType", str(exc)) from None
    given_level = data.get("processingLevel")
    if given_level is not None and given_level != level:
        raise LineError("processingLevel", f"{given_level!r} differs from the level of {product_type} ({level})")
    start, end = aware(data["start"], "start"), aware(data["end"], "end")
    if end < start:
        raise LineError("end", "sensing stop is before sensing start")
    publication = data.get("publicationDate")
    publication_date = aware(publication, "publicationDate") if publication is not None else None
    content_length = integer(data["contentLength"], "contentLength", (0, INT64[1]))
    checksum = data.get("checksum")
    if checksum is not None and (not isinstance(checksum, str) or not _MD5.match(checksum)):
        raise LineError("checksum", f"{checksum!r} is not an MD5 (32 hexadecimal digits)")
    typed = typed_attributes(attributes)
    values = {n: v for n, _t, v in typed}
    # as product_register: the productType attribute equals the column (filters on it use the column)
    if "productType" not in values:
        typed.append(("productType", AttributeType.STRING, product_type))
    elif values["productType"] != product_type:
        raise LineError("attributes.productType", f"{values['productType']!r} differs from productType "
                        f"{product_type!r}")
    cloud_cover = values.get("cloudCover")
    timeliness = values.get("timeliness", "")
    if not isinstance(timeliness, str) or len(timeliness) > 16:
        raise LineError("attributes.timeliness", f"{timeliness!r} does not fit the timeliness column (16)")
    icid = values.get("instrumentConfigurationID")
    if icid is not None:
        integer(icid, "attributes.instrumentConfigurationID", INT32)
    generation = values.get("processingDate")
    mode = s1_mode_of(product_type) if mission == Mission.S1 else ""
    footprint = footprint_hexewkb(data.get("footprint"))
    if footprint is not None:  # as product_register: the shape must fit the product (a line, an aux file)
        refusal = footprint_shape_refusal(data["footprint"]["type"], mission=mission, family=family,
                                          product_type=product_type, level=level)
        if refusal:
            raise LineError("footprint", refusal)
    return ProductRow(
        line=line, id=product_id, name=name, mission=mission, platform=platform, family=family,
        product_type=product_type, level=level, mode=mode, instrument_configuration_id=icid,  # type: ignore[arg-type]
        timeliness=timeliness, content_length=content_length, publication_date=publication_date,
        generation_date=generation if isinstance(generation, datetime) else None, content_start=start,
        content_end=end, md5=checksum.lower() if checksum else "", footprint=footprint,
        cloud_cover=cloud_cover if isinstance(cloud_cover, float) else None, attributes=typed,
    )
