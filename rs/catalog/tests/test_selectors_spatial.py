from __future__ import annotations

import pytest
from django.contrib.gis.geos import GEOSGeometry, Polygon

from rs.catalog import selectors
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
