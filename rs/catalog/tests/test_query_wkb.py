"""The WKB reader of footprints gives what GEOS's `.coords` gives (lists for tuples), double for double."""

from __future__ import annotations

import pytest
from django.contrib.gis.geos import GEOSGeometry, WKBWriter

from rs.catalog.query.wkb import shape_is_empty, wkb_shape
from rs.prip.odata.serializers import footprint_ewkt, footprint_geojson


def _lists(value):
    return [_lists(v) for v in value] if isinstance(value, tuple | list) else value


@pytest.mark.parametrize("wkt", [
    "POINT (1.5 -2e-05)",
    "POINT Z (1 2 3)",
    "LINESTRING (108.5909 -62.29, 105.8055 -65.5655)",
    "POLYGON ((0 0, 1e-07 0, 1 1, 0 0), (0.1 0.05, 0.2 0.1, 0.15 0.1, 0.1 0.05))",
    "MULTIPOLYGON (((178 50, 180 50, 180 53, 178 53, 178 50)), ((-180 50, -178 50, -178 53, -180 53, -180 50)))",
    "MULTILINESTRING ((1 2, 3 4), (5 6, 7 8))",
    "MULTIPOINT (1 2, 3 4)",
    "GEOMETRYCOLLECTION (POINT (1 2), LINESTRING (0 0, 1 1))",
    "MULTIPOLYGON EMPTY",
])
def test_the_reader_matches_geos_for_wkb_and_ewkb(wkt):
    geometry = GEOSGeometry(wkt, srid=4326)
    for data in (bytes(geometry.wkb), bytes(geometry.ewkb)):
        kind, coordinates = wkb_shape(data)
        assert kind == geometry.geom_type
        assert coordinates == _lists(geometry.coords)
        assert shape_is_empty(kind, coordinates) == geometry.empty


def test_big_endian_wkb_is_read_too():
    geometry = GEOSGeometry("POLYGON ((0 0, 1 0, 1 1, 0 0))", srid=4326)
    writer = WKBWriter()
    writer.byteorder = 0  # XDR, big-endian
    big = bytes(writer.write(geometry))
    assert big[0] == 0 and wkb_shape(big) == ("Polygon", _lists(geometry.coords))


def test_the_footprint_spellings_come_from_the_wkb():
    single = GEOSGeometry("MULTIPOLYGON (((113.6 -29.7, 116.1 -29.1, 115.6 -27.3, 113.1 -27.9, 113.6 -29.7)))")
    assert footprint_ewkt(bytes(single.wkb)) == ("geography'SRID=4326;POLYGON ((113.6 -29.7, 116.1 -29.1, 115.6 -27.3, "
                                                 "113.1 -27.9, 113.6 -29.7))'")
    assert footprint_geojson(bytes(single.wkb)) == {"type": "Polygon", "coordinates": [
        [[113.6, -29.7], [116.1, -29.1], [115.6, -27.3], [113.1, -27.9], [113.6, -29.7]]]}
    tiny = GEOSGeometry("POINT (1.5 -2e-05)")
    assert footprint_ewkt(bytes(tiny.wkb)) == "geography'SRID=4326;POINT (1.5 -0.00002)'"
    assert footprint_ewkt(None) is None and footprint_geojson(None) is None
    assert footprint_ewkt(bytes(GEOSGeometry("MULTIPOLYGON EMPTY").wkb)) is None
