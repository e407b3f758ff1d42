"""Geography literals of Intersects: validated with a reason and a position, normalised like footprints."""

from __future__ import annotations

import pytest
from django.contrib.gis.geos import GEOSGeometry

from rs.catalog.query.errors import QueryError
from rs.catalog.query.geography import geography_from_literal


def area(text: str) -> GEOSGeometry:
    return geography_from_literal(text, 0)


def test_orientation_does_not_matter():
    ccw = area("SRID=4326;POLYGON ((10 45, 11 45, 11 46, 10 46, 10 45))")
    cw = area("SRID=4326;POLYGON((10.0000 45.0000,10.0000 46.0000,11.0000 46.0000,11.0000 45.0000,10.0000 45.0000))")
    assert ccw.equals(cw) and ccw.geom_type == "MultiPolygon"


@pytest.mark.parametrize("text", [
    "SRID=4326;MULTIPOLYGON (((177.5 50, 180 50, 180 53, 177.5 53, 177.5 50)),"
    "((-180 50, -174.5 50, -174.5 53, -180 53, -180 50)))",
    "SRID=4326;POLYGON ((177.5 50, 185.5 50, 185.5 53, 177.5 53, 177.5 50))",
    "SRID=4326;POLYGON ((177.5 50, -174.5 50, -174.5 53, 177.5 53, 177.5 50))",
    "SRID=4326;POLYGON ((-182.5 50, -174.5 50, -174.5 53, -182.5 53, -182.5 50))",
])
def test_an_area_across_the_antimeridian_is_split_like_a_footprint(text):
    parts = sorted(p.extent for p in area(text))
    assert parts == [(-180.0, 50.0, -174.5, 53.0), (177.5, 50.0, 180.0, 53.0)]


def test_points_lines_and_keyword_case():
    assert area("SRID=4326;point(-0.5319577002158441 28.65487836189358)").coords == (
        -0.5319577002158441, 28.65487836189358)
    assert area("SRID=4326;Polygon((1 1,2 1,2 2,1 2,1 1))").area == 1.0
    crossing = area("SRID=4326;LINESTRING(170 10, -170 12)")
    assert crossing.geom_type == "MultiLineString"
    assert sorted(line.extent for line in crossing) == [(-180.0, 11.0, -170.0, 12.0), (170.0, 10.0, 180.0, 11.0)]


def test_holes_are_kept_away_from_the_antimeridian():
    shape = area("SRID=4326;POLYGON((0 0, 10 0, 10 10, 0 10, 0 0),(2 2, 3 2, 3 3, 2 3, 2 2))")
    assert shape.area == 99.0


@pytest.mark.parametrize(("text", "position", "message"), [
    ("SRID=3857;POINT(1 2)", 5, "SRID=3857 is not supported: use SRID=4326"),
    ("SRID=4326;POLYGON((1 1,2 1,2 2,1 2))", 18, "Polygon must start and end with the same point (the ring is "
                                                 "not closed)"),
    ("SRID=4326;POLYGON((1 1,2 1,1 1))", 18, "A polygon ring needs at least 4 positions (the first repeated last), "
                                             "got 3"),
    ("SRID=4326;POLYGON((0 0,2 2,2 0,0 2,0 0))", 18, "Invalid polygon: Self-intersection[1 1]"),
    ("SRID=4326;POINT(1 95)", 15, "Latitude 95 is outside [-90, 90] (coordinates are 'lon lat')"),
    ("SRID=4326;POINT(NaN 1)", 16, "Coordinate NaN is not a number (NaN/infinite coordinates are invalid)"),
    ("SRID=4326;POINT(1 2 3)", 20, "Only two coordinates (lon lat) per position are supported, found '3'"),
    ("SRID=4326;CIRCLE(1 2)", 10, "Unsupported geometry type CIRCLE: use POINT, LINESTRING, POLYGON or MULTIPOLYGON"),
    ("SRID=4326;POINT EMPTY", 16, "Expected '(' in the geometry, found 'EMPTY'"),
    ("SRID=4326;POINT(1 2) extra", 21, "Unexpected 'extra' after the geometry"),
    ("SRID=4326;POLYGON((0 0,1 0,1 1,0 0)", 35, "Unexpected end of the geometry"),
    ("SRID=4326;POLYGON((0 0,1 0,1 0,0 0))", 18, "Invalid polygon: Too few points in geometry component[0 0]"),
    ("SRID=4326;POLYGON((170 0, -170 0, -170 10, 170 10, 170 0),(175 2, 176 2, 176 3, 175 3, 175 2))", 18,
     "Polygons with holes must not cross the antimeridian"),
    ("SRID:4326;POINT(1 2)", 0, "Malformed SRID prefix: write SRID=4326;<WKT>"),
])
def test_invalid_areas_are_refused_with_the_reason_and_position(text, position, message):
    with pytest.raises(QueryError) as caught:
        geography_from_literal(text, 0)
    assert (caught.value.code, caught.value.position, caught.value.message) == ("InvalidGeometry", position, message)
