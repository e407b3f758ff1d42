"""Footprint normalisation (naming-and-metadata.md §9.2) with GEOS, identical on PostGIS and SpatiaLite.

Input: rings of (lon, lat) points in any orientation, possibly crossing the antimeridian, or a two-point nadir line.
Output: a valid counter-clockwise MultiPolygon split at ±180°, or a LineString; anything else is refused.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Sequence
from itertools import pairwise
from typing import TypeVar, cast

from django.contrib.gis.geos import GEOSGeometry, LinearRing, LineString, MultiPolygon, Polygon
from django.contrib.gis.geos.error import GEOSException

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


def footprint_from_nadir_line(points: Sequence[Point]) -> LineString:
    """WV/RF L0 products carry a nadir line (start, stop): kept as a line, never buffered into a polygon."""
    line = _check_points(points)
    if len(line) < 2:
        raise InvalidFootprint("a nadir line needs two distinct points")
    if _crosses_antimeridian(line):
        # keep the line continuous by unwrapping; a two-point line across ±180° is rare enough not to split
        line = [(lon + 360 if lon < 0 else lon, lat) for lon, lat in line]
    return _normalised(LineString(line, srid=4326))


def footprint_normalise(geometry: GEOSGeometry) -> GEOSGeometry:
    """Bring any (Multi)Polygon or LineString given by a caller to the stored form."""
    if _NORMALISED.get(id(geometry)) is geometry:
        return geometry
    if geometry.srid not in (None, 4326):
        geometry = geometry.transform(4326, clone=True)
    if isinstance(geometry, LineString):
        return footprint_from_nadir_line(list(geometry.coords))
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
    raise InvalidFootprint(f"a footprint is a Polygon, MultiPolygon or LineString, not {geometry.geom_type}")


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
