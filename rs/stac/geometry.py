"""Areas of a search (`bbox`, `intersects`, CQL2 spatial literals) as query-tree Spatial nodes. Every area goes
through the PRIP's geography reader (rs.catalog.query.geography), so validation, antimeridian splitting and
orientation are exactly those of OData.CSC.Intersects and a STAC area finds what the same PRIP area finds."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from rs.catalog.query.errors import QueryError
from rs.catalog.query.geography import geography_from_literal
from rs.catalog.query.tree import And, Node, Or, Spatial, SpatialRelation

MAX_PARTS = 1000  # parts of one multi-geometry or collection
MAX_NESTING = 4  # GeometryCollections inside GeometryCollections


def _error(message: str) -> QueryError:
    return QueryError(message, code="InvalidGeometry")


def _number(value: object, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _error(f"{what}: {value!r} is not a finite number")
    return float(value)


def _area(wkt: str, relation: SpatialRelation) -> Spatial:
    try:
        geometry = geography_from_literal(f"SRID=4326;{wkt}", 0)
    except QueryError as exc:
        raise _error(f"Invalid geometry: {exc.message}") from None
    return Spatial(relation, geometry.ewkt)


def bbox_area(values: Sequence[object], what: str = "bbox") -> str:
    """WKT of a bbox [w, s, e, n] (or its 3D form); w > e crosses the antimeridian; a flat box is a line or point."""
    if len(values) not in (4, 6):
        raise _error(f"{what} has 4 numbers (west, south, east, north) or 6 with heights, not {len(values)}")
    numbers = [_number(v, what) for v in values]
    west, south, east, north = numbers if len(numbers) == 4 else (numbers[0], numbers[1], numbers[3], numbers[4])
    if not (-180 <= west <= 180 and -180 <= east <= 180):
        raise _error(f"{what}: longitudes are between -180 and 180")
    if not -90 <= south <= north <= 90:
        raise _error(f"{what}: latitudes are between -90 and 90, south before north")
    if west > east:
        east += 360  # across ±180°: the geography reader unwraps and splits it like a footprint
    if west == east and south == north:
        return f"POINT({west!r} {south!r})"
    if west == east or south == north:
        return f"LINESTRING({west!r} {south!r},{east!r} {north!r})"
    return (f"POLYGON(({west!r} {south!r},{east!r} {south!r},{east!r} {north!r},{west!r} {north!r},"
            f"{west!r} {south!r}))")


def bbox_condition(values: Sequence[object]) -> Node:
    return _area(bbox_area(values), SpatialRelation.INTERSECTS)


def _position(value: object, what: str) -> str:
    if not isinstance(value, list | tuple) or len(value) < 2:
        raise _error(f"{what}: a position is [longitude, latitude]")
    return f"{_number(value[0], what)!r} {_number(value[1], what)!r}"  # a height, if any, is not used


def _positions(value: object, what: str) -> str:
    if not isinstance(value, list | tuple) or not value:
        raise _error(f"{what}: expected a list of positions")
    return ",".join(_position(p, what) for p in value)


def _rings(value: object, what: str) -> str:
    if not isinstance(value, list | tuple) or not value:
        raise _error(f"{what}: a polygon is a list of rings")
    return ",".join(f"({_positions(ring, what)})" for ring in value)


def _parts(value: object, what: str) -> Sequence[object]:
    if not isinstance(value, list | tuple) or not value:
        raise _error(f"{what}: expected a non-empty list")
    if len(value) > MAX_PARTS:
        raise _error(f"{what} has more than {MAX_PARTS} parts")
    return value


def geojson_areas(geometry: object, what: str = "intersects", depth: int = 0) -> list[str]:
    """WKT areas of a GeoJSON geometry: one for Point, LineString, Polygon, MultiPolygon; one per part for
    MultiPoint, MultiLineString and GeometryCollection (their union is what they cover)."""
    if not isinstance(geometry, dict):
        raise _error(f"{what} is a GeoJSON geometry object")
    kind = geometry.get("type")
    if kind == "GeometryCollection":
        if depth >= MAX_NESTING:
            raise _error(f"{what}: GeometryCollections nested more than {MAX_NESTING} deep")
        members = _parts(geometry.get("geometries"), f"{what} geometries")
        return [area for member in members for area in geojson_areas(member, what, depth + 1)]
    coordinates: Any = geometry.get("coordinates")
    if kind == "Point":
        return [f"POINT({_position(coordinates, what)})"]
    if kind == "LineString":
        return [f"LINESTRING({_positions(coordinates, what)})"]
    if kind == "Polygon":
        return [f"POLYGON({_rings(coordinates, what)})"]
    if kind == "MultiPolygon":
        parts = _parts(coordinates, what)
        return ["MULTIPOLYGON(" + ",".join(f"({_rings(p, what)})" for p in parts) + ")"]
    if kind == "MultiPoint":
        return [f"POINT({_position(p, what)})" for p in _parts(coordinates, what)]
    if kind == "MultiLineString":
        return [f"LINESTRING({_positions(p, what)})" for p in _parts(coordinates, what)]
    raise _error(f"{what}: unknown GeoJSON geometry type {kind!r}")


def spatial_condition(areas: Sequence[str], relation: SpatialRelation) -> Node:
    """The footprint in `relation` with the union of `areas`: intersects any part, is disjoint from every part;
    `within` needs one area (a footprint within a union of parts is not within each part)."""
    nodes = [_area(wkt, relation) for wkt in areas]
    if len(nodes) == 1:
        return nodes[0]
    if relation is SpatialRelation.INTERSECTS:
        return Or(tuple(nodes))
    if relation is SpatialRelation.DISJOINT:
        return And(tuple(nodes))
    raise _error("s_within and s_contains take a Point, LineString, Polygon or MultiPolygon, not a collection")
