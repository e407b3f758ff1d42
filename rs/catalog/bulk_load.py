"""Bulk load of metadata-only products from NDJSON: `python manage.py catalog load FILE.ndjson`.

For benchmarks and migrations from another catalogue. One JSON object per line:

    {"id": "<uuid>", "name": "S1A_IW_GRDH_1SDV_….SAFE", "mission": "S1", "platform": "A",
     "productType": "IW_GRDH_1S", "processingLevel": "L1", "start": "2024-06-04T11:01:00.123456Z",
     "end": "…Z", "publicationDate": "…Z", "contentLength": 1693552230, "checksum": "<md5 hex>",
     "footprint": {"type": "Polygon", "coordinates": [[[lon, lat], …]]}, "attributes": {"orbitNumber": 54172, …}}

Required: id, name, mission, platform, productType, start, end, contentLength. May be absent or null:
processingLevel, publicationDate (null: unpublished), checksum, footprint (null: no geometry), attributes. Any
other key is refused (a misspelt key would otherwise lose data silently). Blank lines are skipped.

The rows are exactly those `services.product_register` writes for a metadata-only product (storage_key "",
online False, operational scope, systematic production) given this metadata:

* family and level come from the product type (the table in `classification_of`), as identification does from
  the name: S1 `MM_TTTR_LC` by type, level and class (an L0 `…_RAW__0S` needs the `productConsolidation`
  attribute to tell a slice from a segment), S2 user products and PDI types by a table, S3 by level and the
  timeliness of the name's class id. A type outside the table is refused, never guessed. `processingLevel`, when
  given, must equal the derived level (L0, L1, L2, AUX, …).
* mode = the S1 mode of the type (`IW_GRDH_1S` → `IW`), '' otherwise; timeliness = the `timeliness` attribute;
  instrument configuration = the `instrumentConfigurationID` attribute; generation date = the `processingDate`
  attribute; MD5 date = the publication date (else the load time).
* footprint normalised by `rs.catalog.footprints` (antimeridian split, counter-clockwise); open rings are closed,
  as manifests give them open. The common case, one simple ring away from ±180°, is done here without GEOS (same
  output, checked by the tests); every other shape goes through `footprint_normalise` itself.
* attributes typed as `product_register` types them: the registry's type for known names, the JSON type for the
  others (a string is a String: JSON has no date type); DateTimeOffset values are ISO 8601 strings with a zone.

Batches: lines are read in batches of `batch_size`. A batch is validated completely before any of it is written,
then written in one transaction. The first bad line stops the load with its line number and field: nothing of its
batch is written, the batches before it stay (resume with `skip_existing` once the line is fixed), or nothing at
all with `atomic`. Products already in the catalog (same id, or same name in the operational scope) are errors,
or skipped and counted with `skip_existing` when the id and the name both match.

Events: bulk-loaded products are history, so no `created`/`published` events are written (consumers would start
productions for years-old products). `emit_events` writes them through `services.event_emit` (slow: one insert
per event).

On PostgreSQL the rows go in with COPY; parsing runs in a thread while the main thread's COPY waits for the server
(psycopg2 releases the GIL), so Python and PostgreSQL each use a core. SpatiaLite uses bulk_create.
"""

from __future__ import annotations

import contextlib
import io
import json
import queue
import re
import struct
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise
from typing import Any, NamedTuple

from django.contrib.gis.gdal import GDALException
from django.contrib.gis.geos import GEOSException, GEOSGeometry
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone

from rs.catalog.attribute_registry import ATTRIBUTE_TYPES
from rs.catalog.choices import (
    OPERATIONAL_SCOPE,
    AttributeType,
    EventKind,
    Mission,
    ProcessingLevel,
    ProductFamily,
    ProductionType,
)
from rs.catalog.footprints import InvalidFootprint, footprint_normalise
from rs.catalog.models import Product, ProductAttribute
from rs.errors import DomainError

DEFAULT_BATCH_SIZE = 10_000  # ≈ 25 MB of COPY text with ~25 attributes a product; big enough to amortise commits
MAX_NAME_LENGTH = 255
INT64 = (-(2**63), 2**63 - 1)
INT32 = (-(2**31), 2**31 - 1)

REQUIRED_KEYS = ("id", "name", "mission", "platform", "productType", "start", "end", "contentLength")
OPTIONAL_KEYS = ("processingLevel", "publicationDate", "checksum", "footprint", "attributes")
KNOWN_KEYS = frozenset(REQUIRED_KEYS + OPTIONAL_KEYS)


class BulkLoadError(DomainError):
    """A line (or a batch) that cannot be loaded; `loaded` products of earlier batches are in the catalog."""

    code = "bulk_load_invalid"

    def __init__(self, message: str, *, line: int | None = None, batch_first_line: int | None = None,
                 loaded: int = 0) -> None:
        super().__init__(message)
        self.line = line
        self.batch_first_line = batch_first_line
        self.loaded = loaded


class _LineError(Exception):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")


@dataclass(frozen=True)
class LoadReport:
    lines: int
    products: int
    attributes: int
    skipped: int
    events: int
    seconds: float
    parse_cpu_seconds: float  # the parser thread's CPU (JSON, validation, footprints, COPY text)
    database_seconds: float  # the main thread waiting on the writes (COPY, constraint checks, commits)

    @property
    def rate(self) -> float:
        return self.products / self.seconds if self.seconds > 0 else 0.0


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
    attributes: list[tuple[str, AttributeType, object]]


# --- family and level from the product type ---------------------------------------------------------------------

_S1_PRODUCT_TYPE = re.compile(
    r"^(?P<mode>[A-Z0-9]{2})_(?P<kind>RAW|SLC|GRD|OCN|ETA)[FHM_]_(?P<level>[012A])(?P<klass>[SACNX_])$")
_S1_KIND_LEVEL = {"RAW": "0", "SLC": "1", "GRD": "1", "OCN": "2", "ETA": "A"}
_S1_BLANK_MODE = re.compile(r"^(AN|N[1-6]|Z[1-6EISW])$")
_S1_L0_CONSOLIDATION = {"SLICE": ProductFamily.S1_L0_SLICE, "FULL": ProductFamily.S1_L0_SEGMENT,
                        "START": ProductFamily.S1_L0_SEGMENT, "END": ProductFamily.S1_L0_SEGMENT,
                        "PARTIAL": ProductFamily.S1_L0_SEGMENT}
_S1_AUX_TYPE = re.compile(r"^(AUX_|MPL_|MSK_|AMH_|AMV_|AM__)")
_S2_TYPES: dict[str, tuple[str, str]] = {
    "S2MSI1C": (ProductFamily.S2_USER_PRODUCT, ProcessingLevel.L1),
    "S2MSI2A": (ProductFamily.S2_USER_PRODUCT, ProcessingLevel.L2),
    "PRD_HKTM__": (ProductFamily.S2_HKTM, ProcessingLevel.L0),
    "AUX_SADATA": (ProductFamily.S2_SAD, ProcessingLevel.AUX),
    **{f"MSI_{level}_{unit}": (f"S2_{level.rstrip('_')}_{unit}", f"L{level[1]}")
       for level, units in (("L0_", ("GR", "DS")), ("L1A", ("GR", "DS")), ("L1B", ("GR", "DS")),
                            ("L1C", ("TL", "DS", "TC")), ("L2A", ("TL", "DS", "TC")))
       for unit in units},
}
_S2_AUX_TYPE = re.compile(r"^(AUX_|GIP_|DEM_|GRI_)")
_S3_PRODUCT_TYPE = re.compile(r"^(?P<source>OL|SL|SR|DO|MW|GN|SY|TM|AX)_(?P<level>[0-2_])_(?P<datatype>[A-Z0-9_]{6})$")
_S3_CLASS_ID = re.compile(r"_[OFDR_]_(?P<timeliness>NR|ST|NT|AL|SN|NS|NN|__)_[A-Z0-9_]{3}(?:\.SEN3|\.ISIP)?$")
_S3_TIMELINESS = {"NR": "NRT", "ST": "STC", "NT": "NTC"}


def classification_of(*, mission: str, product_type: str, name: str, attributes: dict[str, Any]) -> tuple[str, str]:
    """(family, level) of a product; raises ValueError with the reason when the table has no answer."""
    if mission == Mission.S1:
        if _S1_AUX_TYPE.match(product_type):
            return ProductFamily.AUXILIARY_FILE, ProcessingLevel.AUX
        if product_type.startswith("REP_"):
            return ProductFamily.PLAN_AND_REPORT, ProcessingLevel.OTHER
        m = _S1_PRODUCT_TYPE.match(product_type)
        if m is None or _S1_KIND_LEVEL[m["kind"]] != m["level"]:
            raise ValueError(f"{product_type!r} is not a Sentinel-1 product type the loader can classify")
        kind, klass = m["kind"], m["klass"]
        if kind == "ETA":
            return ProductFamily.S1_L1_ETAD, ProcessingLevel.L1
        if kind == "RAW":
            if _S1_BLANK_MODE.match(m["mode"]):
                return ProductFamily.S1_L0_BLANK, ProcessingLevel.L0
            if klass in "ACN":
                return ProductFamily.S1_L0_ACN, ProcessingLevel.L0
            if klass == "_":  # GP, HK: AIOP segments
                return ProductFamily.S1_L0_SEGMENT, ProcessingLevel.L0
            consolidation = attributes.get("productConsolidation")
            if consolidation not in _S1_L0_CONSOLIDATION:
                raise ValueError(f"an L0 {product_type} needs the attribute productConsolidation (SLICE for a slice, "
                                 "FULL, START, END or PARTIAL for a segment)")
            return _S1_L0_CONSOLIDATION[consolidation], ProcessingLevel.L0
        if klass not in "SA":
            raise ValueError(f"{product_type!r} has product class {klass!r}: S or A expected")
        if kind == "OCN":
            return (ProductFamily.S1_L2_SLICE if klass == "S" else ProductFamily.S1_L2_ACN), ProcessingLevel.L2
        return (ProductFamily.S1_L1_SLICE if klass == "S" else ProductFamily.S1_L1_ACN), ProcessingLevel.L1
    if mission == Mission.S2:
        if product_type in _S2_TYPES:
            return _S2_TYPES[product_type]
        if _S2_AUX_TYPE.match(product_type):
            return ProductFamily.S2_AUX, ProcessingLevel.AUX
        raise ValueError(f"{product_type!r} is not a Sentinel-2 product type the loader can classify")
    m = _S3_PRODUCT_TYPE.match(product_type)
    if m is None:
        raise ValueError(f"{product_type!r} is not a Sentinel-3 product type the loader can classify")
    if m["datatype"].endswith("AX"):
        return ProductFamily.S3_AUX, ProcessingLevel.AUX
    if m["level"] == "0":
        return (ProductFamily.S3_GRANULES if m["datatype"].endswith("G") else ProductFamily.S3_L0), ProcessingLevel.L0
    if m["level"] not in "12":
        raise ValueError(f"{product_type!r} has no processing level")
    class_id = _S3_CLASS_ID.search(name)
    timeliness = _S3_TIMELINESS.get(class_id["timeliness"]) if class_id else None
    if timeliness is None:
        raise ValueError(f"the name of an L{m['level']} {product_type} must end with a class id of timeliness "
                         "NR, ST or NT")
    return f"S3_L{m['level']}_{timeliness}", f"L{m['level']}"


def _type_in_name(product_type: str, name: str) -> bool:
    if product_type in ("S2MSI1C", "S2MSI2A"):
        return f"_MSIL{product_type[5:]}_" in name
    return product_type in name


# --- values -------------------------------------------------------------------------------------------------------

_MISSIONS = frozenset(Mission.values)
_PLATFORM = re.compile(r"^[A-D_]$")
_MD5 = re.compile(r"^[0-9a-fA-F]{32}$")
_LEVELS = frozenset(ProcessingLevel.values)


def _aware(value: object, field: str) -> datetime:
    if not isinstance(value, str):
        raise _LineError(field, f"{value!r} is not an ISO 8601 date-time string")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise _LineError(field, f"{value!r} is not an ISO 8601 date-time") from None
    if parsed.tzinfo is None:
        raise _LineError(field, f"{value!r} has no time zone (add Z for UTC)")
    return parsed


def _int(value: object, field: str, bounds: tuple[int, int] = INT64) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _LineError(field, f"{value!r} is not an integer")
    if not bounds[0] <= value <= bounds[1]:
        raise _LineError(field, f"{value} is out of range")
    return value


def _text(value: object, field: str, max_length: int | None = None) -> str:
    if not isinstance(value, str) or not value:
        raise _LineError(field, f"{value!r} is not a non-empty string")
    if max_length is not None and len(value) > max_length:
        raise _LineError(field, f"longer than {max_length} characters")
    if "\x00" in value:
        raise _LineError(field, "contains a NUL character")
    return value


def _attribute(name: str, value: object) -> tuple[AttributeType, object]:
    """The typed value product_register would store (same coercions, same refusals)."""
    field = f"attributes.{name}"
    if isinstance(value, (list, dict)):
        raise _LineError(field, "a JSON array or object is not an attribute value")
    value_type = ATTRIBUTE_TYPES.get(name)
    if value_type is None:
        value_type = (AttributeType.BOOLEAN if isinstance(value, bool) else AttributeType.INTEGER
                      if isinstance(value, int) else AttributeType.DOUBLE if isinstance(value, float)
                      else AttributeType.STRING)
    try:
        if value_type == AttributeType.STRING:
            text = str(value)
            if "\x00" in text:
                raise _LineError(field, "contains a NUL character")
            return value_type, text
        if value_type == AttributeType.INTEGER:
            if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                raise TypeError
            number = int(value)  # type: ignore[call-overload]
            if not INT64[0] <= number <= INT64[1]:
                raise _LineError(field, f"{number} is out of the 64-bit integer range")
            return value_type, number
        if value_type == AttributeType.DOUBLE:
            if isinstance(value, bool):
                raise TypeError
            return value_type, float(value)  # type: ignore[arg-type]
        if value_type == AttributeType.BOOLEAN:
            if not isinstance(value, bool):
                raise TypeError
            return value_type, value
        if not isinstance(value, str):
            raise TypeError
        return value_type, _aware(value, field)
    except (TypeError, ValueError, OverflowError):
        raise _LineError(field, f"{value!r} is not a valid {value_type} value") from None


def _attributes(attributes: dict[str, object]) -> list[tuple[str, AttributeType, object]]:
    """Typed attributes; the common cases (the JSON value already of the registry's type) inline, for speed."""
    typed: list[tuple[str, AttributeType, object]] = []
    append = typed.append
    for name, value in attributes.items():
        if value is None:
            continue
        if not 0 < len(name) <= 64:
            raise _LineError(f"attributes.{name}", "an attribute name has 1 to 64 characters")
        value_type = _TYPE_OF_NAME(name)
        kind = type(value)
        if ((value_type is _STRING and kind is str and "\x00" not in value)  # type: ignore[operator]
                or (value_type is _INTEGER and kind is int and INT64[0] <= value <= INT64[1])  # type: ignore[operator]
                or (value_type is _DOUBLE and kind is float)):
            append((name, value_type, value))
        else:
            value_type, typed_value = _attribute(name, value)
            append((name, value_type, typed_value))
    return typed


_TYPE_OF_NAME = ATTRIBUTE_TYPES.get
_STRING, _INTEGER, _DOUBLE = AttributeType.STRING, AttributeType.INTEGER, AttributeType.DOUBLE


# --- footprints ---------------------------------------------------------------------------------------------------

_FAST_MAX_EDGES = 256  # GEOS through Django's ctypes costs ~1.5 ms for a 40-point ring; the sweep below ~0.2 ms
_ERRBOUND = (3.0 + 16.0 * 2.0**-53) * 2.0**-53  # Shewchuk's ccwerrboundA: the float sign of orient2d is exact above it
_EWKB_MULTIPOLYGON_ONE_RING = struct.pack("<BIIIBII", 1, 0x20000006, 4326, 1, 1, 3, 1)
Point = tuple[float, float]


def _orient(a: Point, b: Point, c: Point) -> int:
    """Sign of the turn a→b→c: 1 left, -1 right, 0 when the float result is too close to zero to be sure."""
    left = (b[0] - a[0]) * (c[1] - a[1])
    right = (b[1] - a[1]) * (c[0] - a[0])
    det = left - right
    bound = _ERRBOUND * (abs(left) + abs(right))
    return 1 if det > bound else -1 if det < -bound else 0


def _ring_is_certainly_simple(ring: list[Point]) -> bool:
    """True only when the closed ring provably has no self-intersection or touching (then GEOS finds it valid).

    A sweep over the edges sorted by their west end compares only edges whose longitude ranges overlap."""
    n = len(ring) - 1
    for i in range(n):
        if _orient(ring[i - 1] if i else ring[n - 1], ring[i], ring[i + 1]) == 0:  # collinear: maybe a spike
            return False
    edges = sorted(range(n), key=lambda k: min(ring[k][0], ring[k + 1][0]))
    for position, i in enumerate(edges):
        p1, p2 = ring[i], ring[i + 1]
        east = max(p1[0], p2[0])
        south, north = min(p1[1], p2[1]), max(p1[1], p2[1])
        for j in edges[position + 1:]:
            p3, p4 = ring[j], ring[j + 1]
            if min(p3[0], p4[0]) > east:
                break
            if abs(i - j) in (1, n - 1) or max(p3[1], p4[1]) < south or min(p3[1], p4[1]) > north:
                continue  # adjacent edges share a vertex (turns checked above); disjoint latitude ranges
            o1, o2 = _orient(p1, p2, p3), _orient(p1, p2, p4)
            if o1 == 0 or o2 == 0:
                return False
            if o1 == o2:
                continue
            o3, o4 = _orient(p3, p4, p1), _orient(p3, p4, p2)
            if o3 == 0 or o4 == 0 or o3 != o4:
                return False
    return True


def _ring_points(positions: object) -> list[Point]:
    """The (lon, lat) floats of a GeoJSON ring, consecutive duplicates dropped (as footprints._check_points)."""
    if not isinstance(positions, list):
        raise _LineError("footprint", f"{positions!r} is not a GeoJSON coordinate array")
    ring: list[Point] = []
    for position in positions:
        if type(position) is not list or len(position) != 2:
            raise _LineError("footprint", f"position {position!r} is not a [longitude, latitude] pair of numbers")
        lon, lat = position
        if type(lon) not in (float, int) or type(lat) not in (float, int):
            raise _LineError("footprint", f"position {position!r} is not a [longitude, latitude] pair of numbers")
        point = (float(lon), float(lat))
        if not ring or ring[-1] != point:
            ring.append(point)
    return ring


def _simple_ring_hexewkb(ring: list[Point]) -> str | None:
    """`footprint_from_ring` for one simple ring away from ±180°, without GEOS; None when it needs the real one."""
    if ring and ring[0] != ring[-1]:
        ring = [*ring, ring[0]]
    if not 4 <= len(ring) <= _FAST_MAX_EDGES + 1:
        return None
    for (lon0, _lat0), (lon1, lat1) in pairwise(ring):
        if not (-180.0 <= lon1 <= 180.0 and -90.0 <= lat1 <= 90.0) or abs(lon1 - lon0) > 180:
            return None  # out of range (GEOS path refuses it) or crossing ±180° (split there)
    if not _ring_is_certainly_simple(ring):
        return None
    # footprints._ccw: the same float expression decides, so the same rings get reversed
    area = sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in pairwise(ring)) / 2
    if abs(area) < 1e-12:
        return None
    if area < 0:
        ring = [*reversed(ring[:-1]), ring[-2]]
    flat = [c for point in ring for c in point]
    return (_EWKB_MULTIPOLYGON_ONE_RING + struct.pack(f"<I{len(flat)}d", len(ring), *flat)).hex()


def _check_positions(coordinates: object, depth: int) -> None:
    if depth == 1:
        _ring_points(coordinates)
        return
    if not isinstance(coordinates, list):
        raise _LineError("footprint", f"{coordinates!r} is not a GeoJSON coordinate array")
    for item in coordinates:
        _check_positions(item, depth - 1)


_GEOJSON_DEPTH = {"LineString": 1, "Polygon": 2, "MultiPolygon": 3}


def _closed(geometry_type: str, coordinates: Any) -> Any:
    """Rings closed as footprint_from_ring closes them (manifests give 4 open points; OGR refuses open rings)."""
    if geometry_type == "Polygon":
        return [ring if not ring or ring[0] == ring[-1] else [*ring, ring[0]] for ring in coordinates]
    if geometry_type == "MultiPolygon":
        return [_closed("Polygon", polygon) for polygon in coordinates]
    return coordinates


def footprint_hexewkb(geometry: object) -> str | None:
    """The stored footprint (hex EWKB) of a GeoJSON geometry, exactly as `footprint_normalise` makes it."""
    if geometry is None:
        return None
    if not isinstance(geometry, dict) or geometry.get("type") not in _GEOJSON_DEPTH:
        raise _LineError("footprint", "a GeoJSON Polygon, MultiPolygon or LineString (or null) expected")
    coordinates = geometry.get("coordinates")
    if geometry["type"] == "Polygon" and isinstance(coordinates, list) and len(coordinates) == 1:
        ring = _ring_points(coordinates[0])
        fast = _simple_ring_hexewkb(ring)
        if fast is not None:
            return fast
    else:
        _check_positions(coordinates, _GEOJSON_DEPTH[geometry["type"]])
    try:
        closed = _closed(geometry["type"], coordinates)
        geos = GEOSGeometry(json.dumps({"type": geometry["type"], "coordinates": closed}), srid=4326)
        return footprint_normalise(geos).hexewkb.decode()
    except InvalidFootprint as exc:
        raise _LineError("footprint", str(exc)) from None
    except (GEOSException, GDALException, ValueError) as exc:
        raise _LineError("footprint", f"not a valid geometry: {exc}") from None


# --- one line -----------------------------------------------------------------------------------------------------


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not allowed")


def product_row_of_line(raw: bytes | str, line: int, *, now: datetime) -> ProductRow:
    """Parse and validate one NDJSON line; raises BulkLoadError naming the line and the field."""
    try:
        return _product_row(raw, line, now)
    except _LineError as exc:
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
        raise _LineError("JSON", f"not valid: {_json_error(raw)}") from None
    except ValueError as exc:  # undecodable bytes, NaN or Infinity
        raise _LineError("JSON", f"not valid: {exc}") from None
    if not isinstance(data, dict):
        raise _LineError("JSON", "a line must be one JSON object")
    unknown = data.keys() - KNOWN_KEYS
    if unknown:
        raise _LineError(sorted(unknown)[0], "unknown key")
    for key in REQUIRED_KEYS:
        if data.get(key) is None:
            raise _LineError(key, "missing")
    try:
        product_id = str(uuid.UUID(data["id"]))
    except (TypeError, ValueError, AttributeError):
        raise _LineError("id", f"{data['id']!r} is not a UUID") from None
    name = _text(data["name"], "name", MAX_NAME_LENGTH)
    if "/" in name or "\\" in name or name in {".", ".."}:
        raise _LineError("name", f"{name!r} contains a path separator")
    mission = data["mission"]
    if not isinstance(mission, str) or mission not in _MISSIONS:
        raise _LineError("mission", f"{mission!r} is not one of {', '.join(sorted(_MISSIONS))}")
    platform = data["platform"]
    if not isinstance(platform, str) or not _PLATFORM.match(platform):
        raise _LineError("platform", f"{platform!r} is not a satellite unit A-D or '_'")
    if not name.startswith(mission + platform):
        raise _LineError("name", f"{name!r} does not start with {mission}{platform} (mission and platform)")
    product_type = _text(data["productType"], "productType", 32)
    if not _type_in_name(product_type, name):
        raise _LineError("productType", f"{product_type!r} does not appear in the name")
    attributes = data.get("attributes")
    if attributes is None:
        attributes = {}
    elif not isinstance(attributes, dict):
        raise _LineError("attributes", "a JSON object of name → value expected")
    try:
        family, level = classification_of(mission=mission, product_type=product_type, name=name,
                                          attributes=attributes)
    except ValueError as exc:
        raise _LineError("productType", str(exc)) from None
    given_level = data.get("processingLevel")
    if given_level is not None and given_level != level:
        raise _LineError("processingLevel", f"{given_level!r} differs from the level of {product_type} ({level})")
    start, end = _aware(data["start"], "start"), _aware(data["end"], "end")
    if end < start:
        raise _LineError("end", "sensing stop is before sensing start")
    publication = data.get("publicationDate")
    publication_date = _aware(publication, "publicationDate") if publication is not None else None
    content_length = _int(data["contentLength"], "contentLength", (0, INT64[1]))
    checksum = data.get("checksum")
    if checksum is not None and (not isinstance(checksum, str) or not _MD5.match(checksum)):
        raise _LineError("checksum", f"{checksum!r} is not an MD5 (32 hexadecimal digits)")
    typed = _attributes(attributes)
    values = {n: v for n, _t, v in typed}
    timeliness = values.get("timeliness", "")
    if not isinstance(timeliness, str) or len(timeliness) > 16:
        raise _LineError("attributes.timeliness", f"{timeliness!r} does not fit the timeliness column (16)")
    icid = values.get("instrumentConfigurationID")
    if icid is not None:
        _int(icid, "attributes.instrumentConfigurationID", INT32)
    generation = values.get("processingDate")
    mode = product_type[:2] if mission == Mission.S1 and _S1_PRODUCT_TYPE.match(product_type) else ""
    return ProductRow(
        line=line, id=product_id, name=name, mission=mission, platform=platform, family=family,
        product_type=product_type, level=level, mode=mode, instrument_configuration_id=icid,  # type: ignore[arg-type]
        timeliness=timeliness, content_length=content_length, publication_date=publication_date,
        generation_date=generation if isinstance(generation, datetime) else None, content_start=start,
        content_end=end, md5=checksum.lower() if checksum else "", footprint=footprint_hexewkb(data.get("footprint")),
        attributes=typed,
    )


# --- writers ------------------------------------------------------------------------------------------------------


@dataclass
class _Batch:
    first_line: int
    rows: list[ProductRow]
    prepared: Any  # what the writer's prepare() made of the rows, off the main thread


class _Writer:
    def prepare(self, rows: list[ProductRow], now: datetime) -> Any:
        raise NotImplementedError

    def write(self, batch: _Batch, rows: list[ProductRow], whole: bool) -> None:
        raise NotImplementedError


_LOOKUP_CHUNK = 5000  # parameters per lookup query (SQLite's limit is 32766)


def _existing(rows: list[ProductRow]) -> tuple[dict[str, str], dict[str, str]]:
    """Names (by id) and ids (by name) of the batch's products already in the catalog."""
    by_id, by_name = {}, {}
    for i in range(0, len(rows), _LOOKUP_CHUNK):
        chunk = rows[i:i + _LOOKUP_CHUNK]
        qs = Product.objects.filter(id__in=[r.id for r in chunk]) | Product.objects.filter(
            scope=OPERATIONAL_SCOPE, name__in=[r.name for r in chunk])
        for product_id, name, scope in qs.values_list("id", "name", "scope"):
            by_id[str(product_id)] = name if scope == OPERATIONAL_SCOPE else f"{name} ({scope})"
            if scope == OPERATIONAL_SCOPE:
                by_name[name] = str(product_id)
    return by_id, by_name


def _not_loaded(rows: list[ProductRow], *, skip_existing: bool) -> list[ProductRow]:
    """The rows to write: one already in the catalog is an error, or skipped when its id and name both match."""
    by_id, by_name = _existing(rows)
    kept = []
    for row in rows:
        if row.id in by_id:
            if skip_existing and by_id[row.id] == row.name:
                continue
            message = (f"{row.id} is already the id of {by_id[row.id]!r}" if skip_existing
                       else f"a product with id {row.id} is already in the catalog")
            raise BulkLoadError(f"line {row.line}: id: {message}", line=row.line)
        if row.name in by_name:
            message = (f"{row.name!r} is already in the catalog with id {by_name[row.name]}" if skip_existing
                       else f"{row.name!r} is already in the catalog ({OPERATIONAL_SCOPE})")
            raise BulkLoadError(f"line {row.line}: name: {message}", line=row.line)
        kept.append(row)
    return kept


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_NEEDS_ESCAPE = re.compile(r"[\\\t\n\r]")
_NULL = "\\N"


def _esc(text: str) -> str:
    return text.translate(_COPY_ESCAPES) if _NEEDS_ESCAPE.search(text) else text


def _ts(value: datetime | None) -> str:
    return _NULL if value is None else value.isoformat()


_ATTRIBUTE_COLUMNS = {  # the value columns in COPY order, with the value's position among them
    AttributeType.STRING: 0, AttributeType.INTEGER: 1, AttributeType.DOUBLE: 2,
    AttributeType.BOOLEAN: 3, AttributeType.DATETIME: 4,
}
_ATTRIBUTE_CELLS: dict[AttributeType, Callable[[Any], str]] = {  # value_type + the five value cells of a COPY line
    AttributeType.STRING: lambda v: f"String\t{_esc(v)}\t\\N\t\\N\t\\N\t\\N\n",
    AttributeType.INTEGER: lambda v: f"Integer\t\\N\t{v}\t\\N\t\\N\t\\N\n",
    AttributeType.DOUBLE: lambda v: f"Double\t\\N\t\\N\t{v!r}\t\\N\t\\N\n",
    AttributeType.BOOLEAN: lambda v: f"Boolean\t\\N\t\\N\t\\N\t{'t' if v else 'f'}\t\\N\n",
    AttributeType.DATETIME: lambda v: f"DateTimeOffset\t\\N\t\\N\t\\N\t\\N\t{v.isoformat()}\n",
}


class _PostgresWriter(_Writer):
    """COPY straight into the catalog tables, one transaction (or savepoint) per batch."""

    PRODUCT_FIELDS = ("id", "name", "scope", "mission", "platform", "family", "product_type", "level", "mode",
                      "instrument_configuration_id", "timeliness", "production_type", "content_type",
                      "content_length", "storage_key", "online", "generation_date", "publication_date",
                      "modification_date", "created_at", "content_start", "content_end", "md5", "md5_date", "blake3",
                      "blake3_date", "footprint")
    ATTRIBUTE_FIELDS = ("product", "name", "value_type", "value_string", "value_integer", "value_double",
                        "value_boolean", "value_datetime")

    def __init__(self) -> None:
        def copy_sql(model: Any, fields: tuple[str, ...]) -> str:
            columns = ", ".join(connection.ops.quote_name(model._meta.get_field(f).column) for f in fields)
            return f"COPY {connection.ops.quote_name(model._meta.db_table)} ({columns}) FROM STDIN"

        self.product_sql = copy_sql(Product, self.PRODUCT_FIELDS)
        self.attribute_sql = copy_sql(ProductAttribute, self.ATTRIBUTE_FIELDS)

    def prepare(self, rows: list[ProductRow], now: datetime) -> tuple[list[str], list[str]]:
        loaded_at = now.isoformat()
        constant = f"\t{OPERATIONAL_SCOPE}\t"
        tail = f"\t{ProductionType.SYSTEMATIC}\tapplication/octet-stream\t"
        products, attributes = [], []
        cells = _ATTRIBUTE_CELLS
        for r in rows:
            icid = r.instrument_configuration_id
            # as product_register: a checksum date only beside a checksum (bulk loads carry MD5, never BLAKE3)
            checksum_date = _ts(r.publication_date or now) if r.md5 else _NULL
            products.append(
                f"{r.id}\t{_esc(r.name)}{constant}{r.mission}\t{r.platform}\t{r.family}\t{_esc(r.product_type)}\t"
                f"{r.level}\t{r.mode}\t{_NULL if icid is None else icid}\t{_esc(r.timeliness)}{tail}"
                f"{r.content_length}\t\tf\t{_ts(r.generation_date)}\t"
                f"{_ts(r.publication_date)}\t{loaded_at}\t{loaded_at}\t{r.content_start.isoformat()}\t"
                f"{r.content_end.isoformat()}\t{r.md5}\t"
                f"{checksum_date}\t\t{_NULL}\t{r.footprint or _NULL}\n")
            head = f"{r.id}\t"
            attributes.append("".join(f"{head}{_esc(n)}\t{cells[t](v)}" for n, t, v in r.attributes))
        return products, attributes

    def write(self, batch: _Batch, rows: list[ProductRow], whole: bool) -> None:
        products, attributes = batch.prepared
        if not whole:  # some rows were skipped: keep the others' lines
            kept = {id(r) for r in rows}
            products = [p for r, p in zip(batch.rows, products, strict=True) if id(r) in kept]
            attributes = [a for r, a in zip(batch.rows, attributes, strict=True) if id(r) in kept]
        with connection.cursor() as cursor:
            try:
                with connection.wrap_database_errors:  # copy_expert is not wrapped by Django's cursor
                    cursor.copy_expert(self.product_sql, _encoded(products, rows))
                    cursor.copy_expert(self.attribute_sql, _encoded(attributes, rows))
            except IntegrityError as exc:
                raise _duplicate_error(exc, rows) from None


def _encoded(parts: list[str], rows: list[ProductRow]) -> io.BytesIO:
    try:
        return io.BytesIO("".join(parts).encode())
    except UnicodeEncodeError:  # a lone surrogate from a \udxxx escape: find its line
        for row, part in zip(rows, parts, strict=True):
            try:
                part.encode()
            except UnicodeEncodeError:
                raise BulkLoadError(f"line {row.line}: text: not encodable as UTF-8 (lone surrogate)",
                                    line=row.line) from None
        raise


_KEY_DETAIL = re.compile(r"\)=\((?:operational, )?(?P<key>.*)\) already exists")


def _duplicate_error(exc: IntegrityError, rows: list[ProductRow]) -> BulkLoadError:
    diag = getattr(exc.__cause__, "diag", None)
    detail = getattr(diag, "message_detail", None) or ""
    match = _KEY_DETAIL.search(detail)
    key = match["key"] if match else None
    for row in rows:
        if key == row.name:
            return BulkLoadError(f"line {row.line}: name: {row.name!r} is already in the catalog ({OPERATIONAL_SCOPE})",
                                 line=row.line)
        if key == row.id:
            return BulkLoadError(f"line {row.line}: id: a product with id {row.id} is already in the catalog",
                                 line=row.line)
    return BulkLoadError(f"lines {rows[0].line}-{rows[-1].line}: refused by the database: {exc}")


class _SpatialiteWriter(_Writer):
    """The portable path: bulk_create in the batch's transaction (duplicates were checked before)."""

    def prepare(self, rows: list[ProductRow], now: datetime) -> tuple[list[Product], list[ProductAttribute]]:
        products, attributes = [], []
        for r in rows:
            products.append(Product(
                id=uuid.UUID(r.id), name=r.name, scope=OPERATIONAL_SCOPE, mission=r.mission, platform=r.platform,
                family=r.family, product_type=r.product_type, level=r.level, mode=r.mode,
                instrument_configuration_id=r.instrument_configuration_id, timeliness=r.timeliness,
                production_type=ProductionType.SYSTEMATIC, content_type="application/octet-stream",
                content_length=r.content_length, storage_key="", online=False, generation_date=r.generation_date,
                publication_date=r.publication_date, content_start=r.content_start, content_end=r.content_end,
                md5=r.md5, md5_date=(r.publication_date or now) if r.md5 else None,
                footprint=GEOSGeometry(r.footprint) if r.footprint else None,
            ))
            for name, value_type, value in r.attributes:
                column = ("value_string", "value_integer", "value_double", "value_boolean",
                          "value_datetime")[_ATTRIBUTE_COLUMNS[value_type]]
                attributes.append(ProductAttribute(product_id=uuid.UUID(r.id), name=name, value_type=value_type,
                                                   **{column: value}))
        return products, attributes

    def write(self, batch: _Batch, rows: list[ProductRow], whole: bool) -> None:
        products, attributes = batch.prepared
        if not whole:
            kept = {uuid.UUID(r.id) for r in rows}
            products = [p for p in products if p.id in kept]
            attributes = [a for a in attributes if a.product_id in kept]
        Product.objects.bulk_create(products, batch_size=500)
        ProductAttribute.objects.bulk_create(attributes, batch_size=500)


# --- the load -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Progress:
    lines: int
    products: int
    skipped: int
    seconds: float


def _batches(lines: Iterable[bytes | str], batch_size: int, writer: _Writer, stop: threading.Event,
             cpu: list[float]) -> Iterator[_Batch]:
    """Validated, prepared batches; `cpu[0]` accumulates this thread's CPU time (reading excluded)."""
    cpu_started = time.thread_time()
    now = timezone.now()
    rows: list[ProductRow] = []
    names: dict[str, int] = {}
    ids: dict[str, int] = {}
    first_line = 1
    number = 0
    for number, raw in enumerate(lines, start=1):
        if stop.is_set():
            return
        if not raw.strip():
            continue
        try:
            row = product_row_of_line(raw, number, now=now)
        except BulkLoadError as exc:
            exc.batch_first_line = first_line
            raise
        for key, seen, field in ((row.name, names, "name"), (row.id, ids, "id")):
            if key in seen:
                raise BulkLoadError(f"line {number}: {field}: {key!r} is a duplicate of line {seen[key]}",
                                    line=number, batch_first_line=first_line)
            seen[key] = number
        rows.append(row)
        if len(rows) >= batch_size:
            batch = _Batch(first_line, rows, writer.prepare(rows, now))
            cpu[0] += time.thread_time() - cpu_started
            yield batch
            cpu_started = time.thread_time()
            rows, names, ids, first_line = [], {}, {}, number + 1
            now = timezone.now()
    if rows:
        batch = _Batch(first_line, rows, writer.prepare(rows, now))
        cpu[0] += time.thread_time() - cpu_started
        yield batch


def _prefetched(batches: Iterator[_Batch], stop: threading.Event) -> Iterator[_Batch]:
    """Run the parsing of the next batch in a thread while the caller writes the current one."""
    handoff: queue.Queue[_Batch | BaseException | None] = queue.Queue(maxsize=1)

    def produce() -> None:
        try:
            for batch in batches:
                while not stop.is_set():
                    try:
                        handoff.put(batch, timeout=0.2)
                        break
                    except queue.Full:
                        continue
            handoff.put(None)
        except BaseException as exc:  # handed to the consumer, which raises it in its own thread
            handoff.put(exc)

    thread = threading.Thread(target=produce, name="bulk-load-parser", daemon=True)
    thread.start()
    try:
        while True:
            item = handoff.get()
            if item is None:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        while thread.is_alive():  # unblock a producer waiting on a full queue
            with contextlib.suppress(queue.Empty):
                handoff.get(timeout=0.1)
        thread.join()


def _events_emit(rows: list[ProductRow]) -> int:
    from rs.catalog.services import event_emit

    count = 0
    for row in rows:
        payload = {"name": row.name, "mission": row.mission, "family": row.family, "product_type": row.product_type,
                   "scope": OPERATIONAL_SCOPE}
        trace = uuid.uuid4()
        event_emit(kind=EventKind.CREATED, product_id=uuid.UUID(row.id), trace_id=trace, payload=payload)
        count += 1
        if row.publication_date is not None:
            event_emit(kind=EventKind.PUBLISHED, product_id=uuid.UUID(row.id), trace_id=trace, payload=payload)
            count += 1
    return count


def products_load(
    *,
    lines: Iterable[bytes | str],
    batch_size: int = DEFAULT_BATCH_SIZE,
    atomic: bool = False,
    skip_existing: bool = False,
    emit_events: bool = False,
    progress: Callable[[Progress], None] | None = None,
) -> LoadReport:
    """Load NDJSON product lines; see the module docstring for the format and the batch semantics."""
    if batch_size < 1:
        raise BulkLoadError("batch size must be at least 1")
    writer: _Writer = _PostgresWriter() if connection.vendor == "postgresql" else _SpatialiteWriter()
    started = time.monotonic()
    counts = {"lines": 0, "products": 0, "attributes": 0, "skipped": 0, "events": 0}
    stop = threading.Event()
    parse_cpu, database = [0.0], [0.0]

    def load_all() -> None:
        for batch in _prefetched(_batches(lines, batch_size, writer, stop, parse_cpu), stop):
            waited = time.perf_counter()
            try:
                with transaction.atomic():
                    # PostgreSQL reports a duplicate through its constraints (mapped back to the line) at no cost;
                    # skipping, and SQLite's messages without the key, need the lookup
                    rows = (_not_loaded(batch.rows, skip_existing=skip_existing)
                            if skip_existing or not isinstance(writer, _PostgresWriter) else batch.rows)
                    if rows:
                        writer.write(batch, rows, whole=len(rows) == len(batch.rows))
                    if emit_events:
                        counts["events"] += _events_emit(rows)
            except BulkLoadError as exc:
                exc.batch_first_line = batch.first_line
                raise
            except DatabaseError as exc:
                raise BulkLoadError(f"lines {batch.first_line}-{batch.rows[-1].line}: refused by the database: "
                                    f"{exc}".strip(), batch_first_line=batch.first_line) from None
            database[0] += time.perf_counter() - waited
            counts["lines"] = batch.rows[-1].line
            counts["products"] += len(rows)
            counts["attributes"] += sum(len(r.attributes) for r in rows)
            counts["skipped"] += len(batch.rows) - len(rows)
            if progress is not None:
                progress(Progress(counts["lines"], counts["products"], counts["skipped"],
                                  time.monotonic() - started))

    try:
        if atomic:
            with transaction.atomic():
                load_all()
                waited = time.perf_counter()
            database[0] += time.perf_counter() - waited  # the commit, with the deferred foreign-key checks
        else:
            load_all()
    except BulkLoadError as exc:
        exc.loaded = 0 if atomic else counts["products"]
        raise
    return LoadReport(lines=counts["lines"], products=counts["products"], attributes=counts["attributes"],
                      skipped=counts["skipped"], events=counts["events"], seconds=time.monotonic() - started,
                      parse_cpu_seconds=parse_cpu[0], database_seconds=database[0])
