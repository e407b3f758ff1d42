"""Footprints of bulk-loaded products: GeoJSON → the hex EWKB `rs.catalog.footprints.footprint_normalise` would store.

The common case, one simple ring away from ±180°, is done here without GEOS (same output, checked by the tests);
any other single ring goes straight to `footprint_from_ring` (as `footprint_normalise` sends it), other shapes
through `footprint_normalise` itself.
"""

from __future__ import annotations

import json
import struct
from itertools import pairwise
from typing import Any

from django.contrib.gis.gdal import GDALException
from django.contrib.gis.geos import GEOSException, GEOSGeometry

from rs.catalog.bulk.values import LineError
from rs.catalog.footprints import InvalidFootprint, footprint_from_ring, footprint_normalise

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
        raise LineError("footprint", f"{positions!r} is not a GeoJSON coordinate array")
    ring: list[Point] = []
    for position in positions:
        if type(position) is not list or len(position) != 2:
            raise LineError("footprint", f"position {position!r} is not a [longitude, latitude] pair of numbers")
        lon, lat = position
        if type(lon) not in (float, int) or type(lat) not in (float, int):
            raise LineError("footprint", f"position {position!r} is not a [longitude, latitude] pair of numbers")
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
        raise LineError("footprint", f"{coordinates!r} is not a GeoJSON coordinate array")
    for item in coordinates:
        _check_positions(item, depth - 1)


_GEOJSON_DEPTH = {"LineString": 1, "MultiLineString": 2, "Polygon": 2, "MultiPolygon": 3}


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
        raise LineError("footprint",
                        "a GeoJSON Polygon, MultiPolygon, LineString or MultiLineString (or null) expected")
    coordinates = geometry.get("coordinates")
    if geometry["type"] == "Polygon" and isinstance(coordinates, list) and len(coordinates) == 1:
        ring = _ring_points(coordinates[0])
        fast = _simple_ring_hexewkb(ring)
        if fast is not None:
            return fast
        try:  # what footprint_normalise does with a one-ring Polygon, without the GeoJSON round trip through OGR
            return footprint_from_ring(ring).hexewkb.decode()
        except InvalidFootprint as exc:
            raise LineError("footprint", str(exc)) from None
        except (GEOSException, ValueError) as exc:
            raise LineError("footprint", f"not a valid geometry: {exc}") from None
    else:
        _check_positions(coordinates, _GEOJSON_DEPTH[geometry["type"]])
    try:
        closed = _closed(geometry["type"], coordinates)
        geos = GEOSGeometry(json.dumps({"type": geometry["type"], "coordinates": closed}), srid=4326)
        return footprint_normalise(geos).hexewkb.decode()
    except InvalidFootprint as exc:
        raise LineError("footprint", str(exc)) from None
    except (GEOSException, GDALException, ValueError) as exc:
        raise LineError("footprint", f"not a valid geometry: {exc}") from None

