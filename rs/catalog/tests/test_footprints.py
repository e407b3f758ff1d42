from __future__ import annotations

import math
import random
from itertools import pairwise

import pytest
from django.contrib.gis.geos import GEOSGeometry, LinearRing, LineString, MultiPolygon, Polygon

from rs.catalog.footprints import (
    InvalidFootprint,
    footprint_from_nadir_line,
    footprint_from_ring,
    footprint_is_nadir_line,
    footprint_normalise,
    footprint_shape_check,
)


def latlon(text: str) -> list[tuple[float, float]]:
    """Manifest order 'lat,lon lat,lon …' to (lon, lat)."""
    return [(float(p.split(",")[1]), float(p.split(",")[0])) for p in text.split()]


def test_a_counter_clockwise_l0_slice_keeps_its_ring():
    ring = latlon("36.7787,86.8273 38.7338,86.4312 38.4629,83.6235 36.5091,84.0935 36.7787,86.8273")
    footprint = footprint_from_ring(ring)
    assert footprint.wkt == (
        "MULTIPOLYGON (((86.8273 36.7787, 86.4312 38.7338, 83.6235 38.4629, 84.0935 36.5091, 86.8273 36.7787)))"
    )


def test_a_clockwise_l1_footprint_is_reversed_to_counter_clockwise():
    ring = latlon("12.378114,48.279240 12.829241,50.603844 11.081389,50.958828 10.625828,48.649940")
    footprint = footprint_from_ring(ring)
    expected = GEOSGeometry(
        "POLYGON ((48.64994 10.625828, 50.958828 11.081389, 50.603844 12.829241, 48.27924 12.378114, "
        "48.64994 10.625828))", srid=4326)
    assert footprint[0].equals_exact(GEOSGeometry(footprint[0].wkt), 0)
    assert footprint[0].equals(expected)
    assert footprint[0].coords[0] == ((48.64994, 10.625828), (50.958828, 11.081389), (50.603844, 12.829241),
                                      (48.27924, 12.378114), (48.64994, 10.625828))


def test_a_footprint_across_the_antimeridian_is_split_into_two_polygons():
    footprint = footprint_from_ring([(178, 50), (-178, 50), (-178, 53), (178, 53)])
    assert footprint.geom_type == "MultiPolygon"
    assert len(footprint) == 2
    east, west = sorted(footprint, key=lambda p: -p.extent[0])
    assert east.extent == (178.0, 50.0, 180.0, 53.0)
    assert west.extent == (-180.0, 50.0, -178.0, 53.0)
    assert math.isclose(footprint.area, 12.0)
    assert footprint.valid


def test_every_part_is_counter_clockwise():
    footprint = footprint_from_ring([(170, 10), (170, 20), (-170, 20), (-170, 10)])  # clockwise and crossing
    for polygon in footprint:
        ring = polygon[0].coords
        area = sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in pairwise(ring))
        assert area > 0


def test_a_wave_mode_nadir_line_stays_a_line():
    line = footprint_from_nadir_line(latlon("-62.2900,108.5909 -65.5655,105.8055"))
    assert line.wkt == "LINESTRING (108.5909 -62.29, 105.8055 -65.5655)"


def test_a_nadir_line_across_the_antimeridian_is_split_there_at_the_interpolated_latitude():
    eastward = footprint_from_nadir_line([(178.0, 50.0), (-178.0, 52.0)])
    assert eastward.wkt == "MULTILINESTRING ((178 50, 180 51), (-180 51, -178 52))"
    westward = footprint_from_nadir_line([(-179.0, -60.0), (177.0, -62.0)])  # crossing a quarter of the way
    assert westward.wkt == "MULTILINESTRING ((-179 -60, -180 -60.5), (180 -60.5, 177 -62))"
    assert eastward.srid == westward.srid == 4326


def test_a_line_through_the_antimeridian_vertex_or_beyond_180_is_brought_within_the_range():
    through = footprint_from_nadir_line([(170.0, 0.0), (180.0, 1.0), (-170.0, 2.0)])
    assert through.wkt == "MULTILINESTRING ((170 0, 180 1), (-180 1, -170 2))"
    assert footprint_from_nadir_line([(190.0, 0.0), (200.0, 1.0)]).wkt == "LINESTRING (-170 0, -160 1)"
    assert footprint_from_nadir_line([(180.0, 0.0), (180.0, 5.0)]).wkt == "LINESTRING (180 0, 180 5)"


def test_a_split_line_given_again_as_parts_is_stored_unchanged():
    stored = footprint_from_nadir_line([(178.0, 50.0), (-178.0, 52.0)])
    given = GEOSGeometry("MULTILINESTRING ((178 50, 180 51), (-180 51, -178 52))", srid=4326)
    assert footprint_normalise(given).wkt == stored.wkt
    assert footprint_normalise(GEOSGeometry("LINESTRING (178 50, 182 52)", srid=4326)).wkt == stored.wkt


@pytest.mark.parametrize(("mission", "product_type", "expected"), [
    ("S1", "WV_RAW__0S", True), ("S1", "WV_RAW__0A", True), ("S1", "RF_RAW__0C", True), ("S1", "RF_RAW__0N", True),
    ("S1", "IW_RAW__0S", False), ("S1", "WV_SLC__1S", False), ("S1", "WV_OCN__2A", False),
    ("S1", "WV_RAW__0_", False), ("S3", "WV_RAW__0S", False),
])
def test_only_s1_wave_and_rf_level_0_products_have_a_nadir_line(mission, product_type, expected):
    assert footprint_is_nadir_line(mission=mission, product_type=product_type) is expected


LINE = LineString((0, 0), (1, 1), srid=4326)
AREA = Polygon(((0, 0), (1, 0), (1, 1), (0, 0)), srid=4326)


@pytest.mark.parametrize(("footprint", "product", "message"), [
    (LINE, ("S1", "L1_SLICE", "IW_GRDH_1S", "L1"),
     "a LineString footprint is only for the nadir line of S1 WV and RF level-0 products ((RF|WV)_RAW__0[ACNS]); "
     "S1 IW_GRDH_1S needs an area (Polygon or MultiPolygon)"),
    (footprint_from_nadir_line([(178.0, 50.0), (-178.0, 52.0)]), ("S3", "S3_L1_NRT", "OL_1_EFR___", "L1"),
     "a MultiLineString footprint is only for the nadir line of S1 WV and RF level-0 products "
     "((RF|WV)_RAW__0[ACNS]); S3 OL_1_EFR___ needs an area (Polygon or MultiPolygon)"),
    (AREA, ("S1", "AUXILIARY_FILE", "AUX_CAL", "AUX"),
     "AUX_CAL is an auxiliary file, which has no footprint (null), not a Polygon"),
    (LINE, ("S2", "S2_AUX", "GIP_ATMIMA", "AUX"),
     "GIP_ATMIMA is an auxiliary file, which has no footprint (null), not a LineString"),
    (AREA, ("S3", "S3_AUX", "AX___BA__AX", "L1"),  # an aux family, whatever level the caller gave
     "AX___BA__AX is an auxiliary file, which has no footprint (null), not a Polygon"),
])
def test_a_footprint_the_product_may_not_carry_is_refused_with_the_reason(footprint, product, message):
    mission, family, product_type, level = product
    with pytest.raises(InvalidFootprint) as refused:
        footprint_shape_check(footprint, mission=mission, family=family, product_type=product_type, level=level)
    assert str(refused.value) == message


def test_the_footprints_that_fit_their_product_pass():
    footprint_shape_check(LINE, mission="S1", family="L0_SLICE", product_type="WV_RAW__0S", level="L0")
    footprint_shape_check(AREA, mission="S1", family="L0_SLICE", product_type="IW_RAW__0S", level="L0")
    footprint_shape_check(None, mission="S1", family="AUXILIARY_FILE", product_type="AUX_CAL", level="AUX")


@pytest.mark.parametrize(
    ("ring", "message"),
    [
        ([(0, 0), (1, 1)], "at least 3 distinct points"),
        ([(0, 0), (1, 0), (1, 91)], "out of range"),
        ([(0, 0), (float("nan"), 0), (1, 1)], "NaN"),
        ([(0, 0), (1, 1), (2, 2)], "no area"),
    ],
)
def test_bad_rings_are_refused_with_the_reason(ring, message):
    with pytest.raises(InvalidFootprint, match=message):
        footprint_from_ring(ring)


def test_normalise_refuses_points_and_keeps_lines():
    with pytest.raises(InvalidFootprint, match="not Point"):
        footprint_normalise(GEOSGeometry("POINT (1 2)", srid=4326))
    assert footprint_normalise(LineString((0, 0), (1, 1), srid=4326)).geom_type == "LineString"
    assert footprint_normalise(Polygon(((0, 0), (0, 1), (1, 1), (0, 0)), srid=4326)).geom_type == "MultiPolygon"


RINGS = [
    [(10.0, 10.0), (20.0, 10.0), (20.0, 20.0), (10.0, 20.0)],  # counter-clockwise, open
    [(10.0, 10.0), (10.0, 20.0), (20.0, 20.0), (20.0, 10.0), (10.0, 10.0)],  # clockwise, closed
    [(170.0, 10.0), (-170.0, 10.0), (-170.0, 20.0), (170.0, 20.0)],  # across ±180°
    [(0.0, 0.0), (10.0, 10.0), (10.0, 0.0), (0.0, 10.0)],  # self-intersecting (made valid: two parts)
]


@pytest.mark.parametrize("ring", RINGS)
def test_a_normalised_footprint_is_given_back_as_is_since_normalising_it_again_changes_nothing(ring):
    footprint = footprint_from_ring(ring)
    rebuilt = footprint_normalise(GEOSGeometry(footprint.wkt, srid=4326))  # a copy goes through every step
    assert rebuilt.wkt == footprint.wkt
    assert footprint_normalise(footprint) is footprint  # the very geometry normalised before: not rebuilt
    line = footprint_from_nadir_line([(179.0, 1.0), (-179.0, 2.0)])
    assert footprint_normalise(line) is line
    assert footprint_normalise(GEOSGeometry(line.wkt, srid=4326)).wkt == line.wkt


def test_a_geometry_not_normalised_here_is_still_normalised():
    given = GEOSGeometry("POLYGON ((10 10, 10 20, 20 20, 20 10, 10 10))", srid=4326)
    assert footprint_normalise(given).wkt == "MULTIPOLYGON (((20 10, 20 20, 10 20, 10 10, 20 10)))"
    with pytest.raises(InvalidFootprint, match="holes"):
        footprint_normalise(GEOSGeometry("POLYGON ((0 0, 9 0, 9 9, 0 9, 0 0), (1 1, 1 2, 2 2, 1 1))", srid=4326))


def _general(ring: list[tuple[float, float]]) -> str:
    """The normalisation of a ring without the shortcut for valid rings within ±180°, as it was written before."""
    from rs.catalog.footprints import _ccw, _polygons_of

    closed = [*ring, ring[0]] if ring[0] != ring[-1] else list(ring)
    polygon = Polygon(LinearRing(closed), srid=4326)
    xmin, _, xmax, _ = polygon.extent
    assert polygon.valid and xmin >= -180 and xmax <= 180
    return MultiPolygon(*[_ccw(p) for p in _polygons_of(polygon) if p.area > 0], srid=4326).wkt


def test_a_valid_ring_within_the_antimeridians_is_normalised_as_by_the_general_path():
    generator = random.Random(7)
    rings = [
        *RINGS[:2],
        [(-180.0, -10.0), (-170.0, -10.0), (-170.0, 10.0), (-180.0, 10.0)],  # on the -180° line
        [(170.0, -10.0), (180.0, -10.0), (180.0, 10.0), (170.0, 10.0)],  # on the 180° line
        latlon("36.7787,86.8273 38.7338,86.4312 38.4629,83.6235 36.5091,84.0935 36.7787,86.8273"),
    ]
    for _ in range(200):
        lon, lat = generator.uniform(-170, 160), generator.uniform(-80, 70)
        corners = [(lon, lat), (lon + generator.uniform(1, 9), lat), (lon + generator.uniform(1, 9), lat + 5),
                   (lon, lat + generator.uniform(1, 9))]
        rings.append(corners if generator.random() < 0.5 else corners[::-1])
    for ring in rings:
        footprint = footprint_from_ring(ring)
        assert footprint.valid and footprint.wkt == _general(ring), ring
    beyond = footprint_from_ring([(170.0, 0.0), (200.0, 0.0), (200.0, 5.0), (170.0, 5.0)])  # east of 180°: split
    assert len(beyond) == 2
    with pytest.raises(InvalidFootprint, match=r"no area|at least 3"):
        footprint_from_ring([(0.0, 0.0), (1.0, 1.0), (2.0, 2.0)])
