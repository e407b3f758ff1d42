from __future__ import annotations

import pytest
from django.contrib.gis.geos import GEOSGeometry, LineString, Polygon

from rs.catalog import selectors
from rs.catalog.choices import ProcessingLevel, ProductFamily
from rs.catalog.tests import factories

pytestmark = pytest.mark.django_db


def box(west: float, south: float, east: float, north: float) -> Polygon:
    polygon = Polygon.from_bbox((west, south, east, north))
    polygon.srid = 4326
    return polygon


@pytest.fixture
def crosser():
    return factories.product(footprint=Polygon(((178, 50), (-178, 50), (-178, 53), (178, 53), (178, 50)), srid=4326))


def test_an_antimeridian_footprint_is_found_from_either_side(crosser):
    east_side = selectors.product_search(intersects=box(179.0, 51.0, 179.5, 52.0))
    west_side = selectors.product_search(intersects=box(-179.5, 51.0, -179.0, 52.0))
    elsewhere = selectors.product_search(intersects=box(0.0, 51.0, 1.0, 52.0))
    assert list(east_side.values_list("id", flat=True)) == [crosser.id]
    assert list(west_side.values_list("id", flat=True)) == [crosser.id]
    assert not elsewhere.exists()


def test_a_nadir_line_across_the_antimeridian_is_found_from_either_side():
    # given a wave-mode L0 whose nadir line goes from 178°E to 178°W, stored as its two parts
    line = factories.product(
        name="S1A_WV_RAW__0SSV_20240608T100000_20240608T100031_054230_069720_41D5.SAFE",
        family=ProductFamily.S1_L0_SLICE, product_type="WV_RAW__0S", level=ProcessingLevel.L0, mode="WV",
        footprint=LineString((178.0, 50.0), (-178.0, 52.0), srid=4326))
    assert selectors.product_get(product_id=line.id).footprint.wkt == \
        "MULTILINESTRING ((178 50, 180 51), (-180 51, -178 52))"
    # then an area on either side of ±180° finds it, an area beside the line does not
    east_side = selectors.product_search(intersects=box(178.5, 50.0, 179.5, 52.0))
    west_side = selectors.product_search(intersects=box(-179.5, 50.0, -178.5, 52.0))
    beside = selectors.product_search(intersects=box(178.5, 52.0, 179.5, 53.0))
    assert list(east_side.values_list("id", flat=True)) == [line.id]
    assert list(west_side.values_list("id", flat=True)) == [line.id]
    assert not beside.exists()


def test_a_point_query_finds_the_footprint_it_falls_in(crosser):
    inside = GEOSGeometry("SRID=4326;POINT (-178.5 52)")
    outside = GEOSGeometry("SRID=4326;POINT (-177.5 52)")
    assert selectors.product_search(intersects=inside).count() == 1
    assert selectors.product_search(intersects=outside).count() == 0


def test_the_stored_footprint_is_split_and_counter_clockwise(crosser):
    stored = selectors.product_get(product_id=crosser.id).footprint
    assert stored.geom_type == "MultiPolygon"
    assert sorted(p.extent for p in stored) == [(-180.0, 50.0, -178.0, 53.0), (178.0, 50.0, 180.0, 53.0)]


def test_search_combines_type_time_and_area():
    start = factories.T0
    inside = factories.product(content_start=start)
    factories.product(content_start=start, product_type="IW_SLC__1S")
    later = factories.product(content_start=start.replace(year=2025))
    found = selectors.product_search(
        product_type="IW_GRDH_1S", sensing_from=start, sensing_to=start.replace(hour=12),
        intersects=box(110, -31, 120, -25),
    )
    assert list(found.values_list("id", flat=True)) == [inside.id]
    assert later.id not in found.values_list("id", flat=True)
