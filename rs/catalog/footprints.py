"""Footprint normalisation (naming-and-metadata.md §9.2) with GEOS, identical on PostGIS and SpatiaLite.

Input: rings of (lon, lat) points in any orientation, possibly crossing the antimeridian, or a nadir line.
Output: a valid counter-clockwise MultiPolygon split at ±180°, or a LineString (a MultiLineString when it crosses
±180°, split there like a polygon); anything else is refused. Which products may carry which shape is decided here
too (`footprint_shape_check`), for every path into the catalogue.
"""

from __future__ import annotations

import math
import re
import weakref
from collections.abc import Iterable, Sequence
from itertools import pairwise
from typing import TypeVar, cast

from django.contrib.gis.geos import GEOSGeometry, LinearRing, LineString, MultiLineString, MultiPolygon, Polygon
from django.contrib.gis.geos.error import GEOSException

from rs.catalog.choices import AUXILIARY_FAMILIES, Mission, ProcessingLevel
from rs.errors import DomainError

Point = Sequence[float]  # (lon, lat)
WORLD_WEST = Polygon.from_bbox((-180.0, -90.0, 180.0, 90.0))
WORLD_EAST = Polygon.from_bbox((180.0, -90.0, 540.0, 90.0))


class InvalidFootprint(DomainError):
    code = "invalid_footprint"


# The geometries this module returned, by identity: normalising one again would give it back unchanged (the forms
# are fixed points), so footprint_normalise returns it as is instead of rebuilding it (an extracted footprint is
# normalised by extraction, then handed to the catalogue). Weak: the entry goes with the geometry. A geometry
# changed in place after normalisation would escape the check; the callers never change one.
_NORMALISED: weakref.WeakValueDictionary[int, GEOSGeometry] = weakref.WeakValueDictionary()
G = TypeVar("G", bound=GEOSGeometry)


def _normalised(geometry: G) -> G:
    _NORMALISED[id(geometry)] = geometry
    return geometry


def _check_points(points: Sequence[Point]) -> list[tuple[float, float]]:
    checked: list[tuple[float, float]] = []
    for lon, lat in points:
        lon, lat = float(lon), float(lat)
        if lon != lon or lat != lat:  # NaN
            raise InvalidFootprint("footprint has a NaN coordinate")
        if abs(lat) > 90 or abs(lon) > 360:
            raise InvalidFootprint(f"footprint point ({lon}, {lat}) is out of range")
        if not checked or checked[-1] != (lon, lat):
            checked.append((lon, lat))
    return checked


def _signed_area(ring: Sequence[Point]) -> float:
    return sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in pairwise(ring)) / 2


def _crosses_antimeridian(ring: Sequence[Point]) -> bool:
    return any(abs(b[0] - a[0]) > 180 for a, b in pairwise(ring))


def _shift(polygon: Polygon, dx: float) -> Polygon:
    rings = [[(x + dx, y) for x, y in ring] for ring in polygon]
    return Polygon(*rings, srid=4326)


def _ccw(polygon: Polygon) -> Polygon:
    rings = []
    for index, ring in enumerate(polygon):
        coords = list(ring)
        clockwise = _signed_area(coords) < 0
        # exterior counter-clockwise, holes clockwise
        if (index == 0 and clockwise) or (index > 0 and not clockwise):
            # A B C D A → D C B A D: the same ring, now counter-clockwise, started at the last vertex (as COPRS)
            coords = [*reversed(coords[:-1]), coords[-2]]
        rings.append(coords)
    return Polygon(*rings, srid=4326)


def _polygons_of(geometry: GEOSGeometry) -> list[Polygon]:
    if isinstance(geometry, Polygon):
        return [geometry] if not geometry.empty else []
    if isinstance(geometry, MultiPolygon):
        return [cast(Polygon, p) for p in geometry if not p.empty]
    # GeometryCollection from an intersection: keep the areal parts only (shared edges give lines)
    if geometry.geom_type != "GeometryCollection":
        return []
    return [p for g in cast(Iterable[GEOSGeometry], geometry) for p in _polygons_of(g)]


def footprint_from_ring(points: Sequence[Point]) -> MultiPolygon:
    """Normalise one outer ring of (lon, lat) points: close, unwrap, split at ±180°, orient, validate."""
    ring = _check_points(points)
    if ring[0] != ring[-1]:
        ring.append(ring[0])
    if len(ring) < 4:
        raise InvalidFootprint(f"a footprint ring needs at least 3 distinct points, got {len(ring) - 1}")
    crosses = _crosses_antimeridian(ring)
    if crosses:
        ring = [(lon + 360 if lon < 0 else lon, lat) for lon, lat in ring]
    try:
        polygon = Polygon(LinearRing(ring), srid=4326)
        longitudes = [lon for lon, _ in ring]
        if min(longitudes) >= -180 and max(longitudes) <= 180 and polygon.valid:
            # The common case: a valid ring within ±180° is kept as given, only re-oriented. Its extent and
            # orientation are read from the points in hand rather than from the geometry (the same coordinates);
            # a multipolygon of one valid polygon is valid.
            if polygon.area <= 0:
                raise InvalidFootprint("footprint has no area")
            if _signed_area(ring) < 0:  # as _ccw does
                polygon = Polygon([*reversed(ring[:-1]), ring[-2]], srid=4326)
            return _normalised(MultiPolygon(polygon, srid=4326))
        if not polygon.valid:
            polygon = polygon.make_valid()  # type: ignore[attr-defined]
        xmin, _, xmax, _ = polygon.extent
        if xmin >= -180 and xmax <= 180:
            parts = _polygons_of(polygon)  # keep the ring as given (only re-oriented)
        else:
            parts = _polygons_of(polygon.intersection(WORLD_WEST))
            parts += [_shift(p, -360) for p in _polygons_of(polygon.intersection(WORLD_EAST))]
    except GEOSException as exc:
        raise InvalidFootprint(f"footprint geometry cannot be built: {exc}") from None
    parts = [_ccw(p) for p in parts if p.area > 0]
    if not parts:
        raise InvalidFootprint("footprint has no area")
    result = MultiPolygon(*parts, srid=4326)
    if not result.valid:
        raise InvalidFootprint(f"footprint is not valid after normalisation: {result.valid_reason}")
    return _normalised(result)


def footprint_from_nadir_line(points: Sequence[Point]) -> LineString | MultiLineString:
    """WV/RF L0 products carry a nadir line (start, stop): kept as a line, never buffered into a polygon. A line
    crossing ±180° is split there into a MultiLineString within [-180°, 180°], in the line's direction, each part
    ending (or starting) on the meridian at the latitude interpolated along the crossing segment."""
    line = _check_points(points)
    if len(line) < 2:
        raise InvalidFootprint("a nadir line needs two distinct points")
    parts = _line_parts(line)
    if len(parts) == 1:
        return _normalised(LineString(parts[0], srid=4326))
    return _normalised(MultiLineString(*[LineString(part, srid=4326) for part in parts], srid=4326))


def _line_parts(line: list[tuple[float, float]]) -> list[list[tuple[float, float]]]:
    """The line cut where it crosses ±180°, each part moved into [-180°, 180°]."""
    # Unwrap: each point within 180° of longitude of the one before, so a crossing is a segment over ±180° + k·360°.
    unwrapped = [line[0]]
    for lon, lat in line[1:]:
        previous = unwrapped[-1][0]
        lon += 360 * round((previous - lon) / 360)
        unwrapped.append((lon, lat))
    # Segments cut at the meridians they cross; each piece then lies within one 360° band.
    pieces: list[tuple[tuple[float, float], tuple[float, float]]] = []
    for (x0, y0), (x1, y1) in pairwise(unwrapped):
        low, high = min(x0, x1), max(x0, x1)
        meridian = 180 + 360 * math.ceil((low - 180) / 360)
        if low < meridian < high:
            crossing = (float(meridian), y0 + (y1 - y0) * (meridian - x0) / (x1 - x0))
            pieces += [((x0, y0), crossing), (crossing, (x1, y1))]
        else:
            pieces.append(((x0, y0), (x1, y1)))
    parts: list[list[tuple[float, float]]] = []
    band = None
    for start, end in pieces:
        middle = (start[0] + end[0]) / 2
        # kept where it is when within ±180° (a piece along the 180° meridian stays at 180°, not -180°)
        piece_band = 0 if -180 <= middle <= 180 else math.floor((middle + 180) / 360)
        shift = -360.0 * piece_band
        if piece_band != band:
            parts.append([(start[0] + shift, start[1])])
            band = piece_band
        parts[-1].append((end[0] + shift, end[1]))
    return parts


def footprint_normalise(geometry: GEOSGeometry) -> GEOSGeometry:
    """Bring any (Multi)Polygon or LineString given by a caller to the stored form."""
    if _NORMALISED.get(id(geometry)) is geometry:
        return geometry
    if geometry.srid not in (None, 4326):
        geometry = geometry.transform(4326, clone=True)
    if isinstance(geometry, LineString):
        return footprint_from_nadir_line(list(geometry.coords))
    if isinstance(geometry, MultiLineString):  # the stored form of a line across ±180° (or lines given as parts)
        lines: list[LineString] = []
        for part in cast(Iterable[LineString], geometry):
            normalised = footprint_from_nadir_line(list(part.coords))
            lines.extend(cast(Iterable[LineString], normalised) if isinstance(normalised, MultiLineString)
                         else [normalised])
        return _normalised(MultiLineString(*lines, srid=4326))
    if isinstance(geometry, Polygon):
        if len(geometry) > 1:
            raise InvalidFootprint("footprints with holes are not supported")
        return footprint_from_ring(list(geometry[0].coords))
    if isinstance(geometry, MultiPolygon):
        parts: list[Polygon] = []
        for polygon in geometry:
            parts.extend(cast(Iterable[Polygon], footprint_from_ring(list(polygon[0].coords))))
        merged = MultiPolygon(*parts, srid=4326)
        return _normalised(merged) if merged.valid else footprint_from_union(merged)
    raise InvalidFootprint(
        f"a footprint is a Polygon, MultiPolygon, LineString or MultiLineString, not {geometry.geom_type}")


def footprint_from_union(geometry: MultiPolygon) -> MultiPolygon:
    union = geometry.unary_union
    parts = [_ccw(p) for p in _polygons_of(union)]
    return MultiPolygon(*parts, srid=4326)  # not marked: a union may have holes, which normalising refuses


def footprint_from_geojson(data: str) -> GEOSGeometry:
    try:
        geometry = GEOSGeometry(data, srid=4326)
    except (ValueError, GEOSException) as exc:
        raise InvalidFootprint(f"footprint is not valid GeoJSON/WKT: {exc}") from None
    return footprint_normalise(geometry)


# naming-and-metadata.md §9.1: S1.*(RF|WV)_RAW__0(A|C|N|S), the level-0 products whose footprint is 2 nadir points
_NADIR_LINE_PRODUCT_TYPE = re.compile(r"^(RF|WV)_RAW__0[ACNS]$")


def footprint_is_nadir_line(*, mission: str, product_type: str) -> bool:
    """True for the products whose footprint is a nadir line: Sentinel-1 wave-mode and RF-characterisation L0."""
    return mission == Mission.S1 and _NADIR_LINE_PRODUCT_TYPE.match(product_type) is not None


def footprint_shape_refusal(geom_type: str, *, mission: str, family: str, product_type: str, level: str) -> str:
    """Why this product may not carry a footprint of this geometry type ('' when it may): an auxiliary file has
    none, and a line is only the nadir track of an S1 WV/RF level-0 product (every other footprint is an area)."""
    if level == ProcessingLevel.AUX or family in AUXILIARY_FAMILIES:
        return f"{product_type} is an auxiliary file, which has no footprint (null), not a {geom_type}"
    if geom_type in ("LineString", "MultiLineString") and not footprint_is_nadir_line(
            mission=mission, product_type=product_type):
        return (f"a {geom_type} footprint is only for the nadir line of S1 WV and RF level-0 products "
                f"((RF|WV)_RAW__0[ACNS]); {mission} {product_type} needs an area (Polygon or MultiPolygon)")
    return ""


def footprint_shape_check(
    footprint: GEOSGeometry | None, *, mission: str, family: str, product_type: str, level: str
) -> None:
    """InvalidFootprint when the product may not carry this footprint (`footprint_shape_refusal`)."""
    if footprint is None:
        return
    refusal = footprint_shape_refusal(footprint.geom_type, mission=mission, family=family, product_type=product_type,
                                      level=level)
    if refusal:
        raise InvalidFootprint(refusal)
