"""Geography literals of OData.CSC.Intersects: `SRID=4326;<WKT>` parsed, validated and normalised like footprints.

Accepted: POINT, LINESTRING, POLYGON (holes allowed away from the antimeridian) and MULTIPOLYGON, keyword in any
case, optional spaces. Rings must be closed and valid; orientation does not matter. An area crossing ±180° (a jump of
more than 180° between consecutive vertices, or longitudes beyond ±180) is unwrapped and split exactly like a stored
footprint (rs.catalog.footprints), so it finds the same products as its halves.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from itertools import pairwise

from django.contrib.gis.geos import GEOSGeometry, LinearRing, LineString, MultiLineString, MultiPolygon, Point, Polygon
from django.contrib.gis.geos.error import GEOSException

from rs.catalog.footprints import footprint_from_ring, footprint_from_union
from rs.catalog.query.errors import QueryError
from rs.errors import DomainError

Position = tuple[float, float]
Ring = list[Position]

_SRID = re.compile(r"\s*SRID\s*=\s*([^;]*);", re.IGNORECASE)
_WKT_TOKEN = re.compile(
    r"\s*(?:(?P<word>[A-Za-z]+)|(?P<number>[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)|(?P<punct>[(),]))"
)
_WORLD_WEST = Polygon.from_bbox((-180.0, -90.0, 180.0, 90.0))
_WORLD_EAST = Polygon.from_bbox((180.0, -90.0, 540.0, 90.0))


def _error(message: str, position: int) -> QueryError:
    return QueryError(message, code="InvalidGeometry", position=position)


class _Wkt:
    """Recursive-descent reader of the WKT subset; positions are absolute in the filter text."""

    def __init__(self, text: str, offset: int, base: int) -> None:
        self.text, self.i, self.base = text, offset, base

    def _skip_space(self) -> None:
        while self.i < len(self.text) and self.text[self.i].isspace():
            self.i += 1

    def peek(self) -> tuple[str, str]:
        self._skip_space()
        match = _WKT_TOKEN.match(self.text, self.i)
        if match is None:
            return ("end", "") if self.i >= len(self.text) else ("other", self.text[self.i])
        kind = match.lastgroup or ""
        return kind, match.group(kind)

    def take(self) -> tuple[str, str, int]:
        kind, value = self.peek()
        position = self.base + self.i
        if kind == "end":
            raise _error("Unexpected end of the geometry", position)
        if kind == "other":
            raise _error(f"Unexpected {value!r} in the geometry", position)
        self.i += len(value)
        return kind, value, position

    def expect(self, punct: str) -> int:
        kind, value, position = self.take()
        if kind != "punct" or value != punct:
            raise _error(f"Expected {punct!r} in the geometry, found {value!r}", position)
        return position

    def more(self) -> bool:
        """Consume a ',' if one comes next."""
        if self.peek() == ("punct", ","):
            self.take()
            return True
        return False

    def keyword(self) -> tuple[str, int]:
        kind, value, position = self.take()
        if kind != "word":
            raise _error(f"Expected a geometry type (POINT, LINESTRING, POLYGON, MULTIPOLYGON), found {value!r}",
                         position)
        return value.upper(), position

    def position_pair(self) -> Position:
        coordinates = []
        for _ in range(2):
            kind, value, position = self.take()
            if kind == "word" and value.lower() in ("nan", "inf", "infinity"):
                raise _error(f"Coordinate {value} is not a number (NaN/infinite coordinates are invalid)", position)
            if kind != "number":
                raise _error(f"Expected a coordinate, found {value!r}", position)
            number = float(value)
            if not math.isfinite(number):
                raise _error(f"Coordinate {value} is out of range", position)
            coordinates.append(number)
        if self.peek()[0] in ("number", "word"):
            _, value, position = self.take()
            raise _error(f"Only two coordinates (lon lat) per position are supported, found {value!r}", position)
        return coordinates[0], coordinates[1]

    def sequence(self) -> tuple[list[Position], int]:
        start = self.expect("(")
        points = [self.position_pair()]
        while self.more():
            points.append(self.position_pair())
        self.expect(")")
        return points, start

    def polygon(self) -> list[tuple[Ring, int]]:
        self.expect("(")
        rings = [self.sequence()]
        while self.more():
            rings.append(self.sequence())
        self.expect(")")
        return rings

    def end(self) -> None:
        kind, value = self.peek()
        if kind != "end":
            raise _error(f"Unexpected {value!r} after the geometry", self.base + self.i)


def geography_from_literal(text: str, base: int) -> GEOSGeometry:
    """The normalised geometry (SRID 4326) of the content of a geography'…' literal starting at `base`."""
    offset = 0
    srid = _SRID.match(text)
    if srid is not None:
        if srid.group(1).strip() != "4326":
            raise _error(f"SRID={srid.group(1).strip()} is not supported: use SRID=4326", base + srid.start(1))
        offset = srid.end()
    elif text.lstrip().upper().startswith("SRID"):
        raise _error("Malformed SRID prefix: write SRID=4326;<WKT>", base)
    reader = _Wkt(text, offset, base)
    kind, position = reader.keyword()
    if kind == "POINT":
        points, start = reader.sequence()
        reader.end()
        return _point(points, start)
    if kind == "LINESTRING":
        points, start = reader.sequence()
        reader.end()
        return _line(points, start)
    if kind == "POLYGON":
        rings = reader.polygon()
        reader.end()
        return _normalised([_polygon(rings)], position)
    if kind == "MULTIPOLYGON":
        reader.expect("(")
        polygons = [reader.polygon()]
        while reader.more():
            polygons.append(reader.polygon())
        reader.expect(")")
        reader.end()
        return _normalised([_polygon(p) for p in polygons], position)
    raise _error(f"Unsupported geometry type {kind}: use POINT, LINESTRING, POLYGON or MULTIPOLYGON", position)


def _check_latitudes(points: Sequence[Position], position: int) -> None:
    for lon, lat in points:
        if abs(lat) > 90:
            raise _error(f"Latitude {lat:g} is outside [-90, 90] (coordinates are 'lon lat')", position)
        if abs(lon) > 360:
            raise _error(f"Longitude {lon:g} is outside [-360, 360]", position)


def _unwrapped(points: Sequence[Position], position: int) -> list[Position]:
    """Longitudes made continuous across ±180° (the footprint rule), then moved east of -180."""
    ring = list(points)
    if any(abs(b[0] - a[0]) > 180 for a, b in pairwise(ring)):
        ring = [(lon + 360 if lon < 0 else lon, lat) for lon, lat in ring]
    if min(lon for lon, _ in ring) < -180:
        ring = [(lon + 360, lat) for lon, lat in ring]
    if max(lon for lon, _ in ring) - min(lon for lon, _ in ring) > 360:
        raise _error("The area spans more than 360° of longitude", position)
    return ring


def _point(points: list[Position], position: int) -> GEOSGeometry:
    if len(points) != 1:
        raise _error("A POINT has exactly one position", position)
    _check_latitudes(points, position)
    lon, lat = points[0]
    lon = (lon + 180) % 360 - 180 if abs(lon) > 180 else lon
    return Point(lon, lat, srid=4326)


def _line_parts(geometry: GEOSGeometry) -> list[LineString]:
    if isinstance(geometry, LineString):
        return [geometry] if not geometry.empty else []
    if isinstance(geometry, MultiLineString) or geometry.geom_type == "GeometryCollection":
        return [line for part in geometry for line in _line_parts(part)]  # type: ignore[attr-defined]
    return []  # a point where the line only touches 180°


def _split_line(line: LineString) -> list[LineString]:
    """Parts of an unwrapped line west and east of 180°, the eastern part moved back by -360°."""
    west = _line_parts(line.intersection(_WORLD_WEST))
    east = _line_parts(line.intersection(_WORLD_EAST))
    return west + [LineString([(x - 360.0, y) for x, y in part.coords], srid=4326) for part in east]


def _line(points: list[Position], position: int) -> GEOSGeometry:
    if len(points) < 2 or len(set(points)) < 2:
        raise _error("A LINESTRING needs at least two distinct positions", position)
    _check_latitudes(points, position)
    line = LineString(_unwrapped(points, position), srid=4326)
    xmin, _, xmax, _ = line.extent
    if xmin >= -180 and xmax <= 180:
        return line
    lines = _split_line(line)
    return lines[0] if len(lines) == 1 else MultiLineString(*lines, srid=4326)


def _polygon(rings: list[tuple[Ring, int]]) -> tuple[list[Ring], int]:
    """Check every ring (closed, ≥ 4 positions, valid coordinates) and the polygon (no self-intersection)."""
    for ring, start in rings:
        if len(ring) < 4:
            raise _error(f"A polygon ring needs at least 4 positions (the first repeated last), got {len(ring)}",
                         start)
        if ring[0] != ring[-1]:
            raise _error("Polygon must start and end with the same point (the ring is not closed)", start)
        _check_latitudes(ring, start)
    start = rings[0][1]
    exterior = _unwrapped(rings[0][0], start)
    if len(rings) > 1 and (exterior != rings[0][0] or any(abs(lon) > 180 for lon, _ in exterior)):
        raise _error("Polygons with holes must not cross the antimeridian", start)
    try:
        polygon = Polygon(LinearRing(exterior), *[LinearRing(ring) for ring, _ in rings[1:]], srid=4326)
    except (GEOSException, ValueError, TypeError) as exc:
        raise _error(f"Invalid polygon: {exc}", start) from None
    if not polygon.valid:
        raise _error(f"Invalid polygon: {polygon.valid_reason}", start)
    return [exterior, *[ring for ring, _ in rings[1:]]], start


def _normalised(polygons: list[tuple[list[Ring], int]], position: int) -> GEOSGeometry:
    """One valid MultiPolygon: rings without holes normalised like footprints (split at ±180°, counter-clockwise)."""
    parts: list[Polygon] = []
    for rings, start in polygons:
        if len(rings) > 1:
            parts.append(Polygon(*rings, srid=4326))
            continue
        try:
            parts.extend(footprint_from_ring(rings[0]))  # type: ignore[arg-type]
        except DomainError as exc:
            raise _error(f"Invalid polygon: {exc}", start) from None
    merged = MultiPolygon(*parts, srid=4326)
    if not merged.valid:
        merged = footprint_from_union(merged)
    if merged.empty:
        raise _error("The area is empty", position)
    return merged
