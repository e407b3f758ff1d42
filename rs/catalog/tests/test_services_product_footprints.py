"""Which footprint a product may carry, decided by the catalog services for every path into the catalogue: a line
only for S1 WV/RF level-0 products (split at ±180° like an area), no footprint for auxiliary files. A refusal is the
catalog's InvalidProduct, which ingestion quarantines and production fails the output on."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from django.contrib.gis.geos import LineString, Polygon

from rs.catalog import services
from rs.catalog.choices import ProcessingLevel, ProductFamily
from rs.catalog.models import CatalogEvent, Product
from rs.catalog.tests import factories

pytestmark = pytest.mark.django_db

WV_NAME = "S1A_WV_RAW__0SSV_20240608T100000_20240608T100031_054230_069720_41D5.SAFE"
CROSSING_NADIR = LineString((178.0, 50.0), (-178.0, 52.0), srid=4326)
AREA = Polygon(((10, 10), (11, 10), (11, 11), (10, 10)), srid=4326)
LINE_REFUSED = ("footprint: a LineString footprint is only for the nadir line of S1 WV and RF level-0 products "
                "((RF|WV)_RAW__0[ACNS]); S1 IW_GRDH_1S needs an area (Polygon or MultiPolygon)")


def wave_mode_l0(**overrides: object) -> Product:
    values: dict[str, object] = dict(
        name=WV_NAME, family=ProductFamily.S1_L0_SLICE, product_type="WV_RAW__0S", level=ProcessingLevel.L0,
        mode="WV", footprint=CROSSING_NADIR)
    values.update(overrides)
    return factories.product(**values)


def aux_metadata(**overrides: object) -> services.ProductMetadata:
    values: dict[str, object] = dict(
        family=ProductFamily.AUXILIARY_FILE, product_type="AUX_CAL", level=ProcessingLevel.AUX, mode="",
        content_start=datetime(2014, 4, 6, tzinfo=UTC), footprint=AREA)
    values.update(overrides)
    return factories.metadata(**values)


def test_a_wave_mode_nadir_line_across_the_antimeridian_is_stored_as_its_two_parts():
    product = wave_mode_l0()
    stored = Product.objects.get(pk=product.id).footprint
    assert stored.geom_type == "MultiLineString"
    assert stored.wkt == "MULTILINESTRING ((178 50, 180 51), (-180 51, -178 52))"


def test_a_line_is_refused_for_a_product_that_is_not_wave_or_rf_level_0_and_nothing_is_written():
    with pytest.raises(services.InvalidProduct) as refused:
        factories.product(footprint=LineString((113.6, -29.7), (116.1, -29.1), srid=4326))
    assert str(refused.value) == LINE_REFUSED
    assert (Product.objects.count(), CatalogEvent.objects.count()) == (0, 0)


def test_an_auxiliary_file_with_a_footprint_is_refused():
    with pytest.raises(services.InvalidProduct) as refused:
        services.product_register(name="S1A_AUX_CAL_V20140406T000000_G20240612T000000.SAFE",
                                  metadata=aux_metadata(), content_length=10)
    assert str(refused.value) == "footprint: AUX_CAL is an auxiliary file, which has no footprint (null), not a Polygon"
    aux = services.product_register(name="S1A_AUX_CAL_V20140406T000000_G20240612T000000.SAFE",
                                    metadata=aux_metadata(footprint=None), content_length=10)
    assert aux.footprint is None


def test_a_malformed_footprint_is_the_same_clean_refusal():
    with pytest.raises(services.InvalidProduct) as refused:
        factories.product(footprint=Polygon(((0, 0), (1, 1), (2, 2), (0, 0)), srid=4326))
    assert str(refused.value) == "footprint: footprint has no area"


def test_a_batch_registration_names_the_product_whose_footprint_is_refused():
    name = factories.s1_grd_name(index=4242)
    registration = services.ProductRegistration(
        name=name, metadata=factories.metadata(footprint=LineString((0, 0), (1, 1), srid=4326)), content_length=1,
        storage_key="products/S1/L1_SLICE/x.zip", product_id=uuid.uuid4())
    with pytest.raises(services.InvalidProduct) as refused:
        services.products_register(registrations=[registration])
    assert str(refused.value) == f"{name}: {LINE_REFUSED}"
    assert Product.objects.count() == 0


def test_an_update_cannot_give_a_product_a_footprint_it_may_not_carry():
    product = factories.product()
    with pytest.raises(services.InvalidProduct) as refused:
        services.product_update(product_id=product.id, footprint=LineString((0, 0), (1, 1), srid=4326))
    assert str(refused.value) == LINE_REFUSED
    assert Product.objects.get(pk=product.id).footprint.geom_type == "MultiPolygon"
    wave = wave_mode_l0()
    moved = services.product_update(product_id=wave.id, footprint=LineString((10, 0), (12, 1), srid=4326))
    assert Product.objects.get(pk=moved.id).footprint.wkt == "LINESTRING (10 0, 12 1)"


def test_the_migration_splits_nadir_lines_stored_unwrapped_and_leaves_split_polygons_alone():
    from importlib import import_module

    from django.apps import apps

    migration = import_module("rs.catalog.migrations.0011_nadir_lines_split_at_antimeridian")
    # a line stored the old way (longitudes beyond 180°), and a polygon stored split, touching the meridian
    line = wave_mode_l0()
    Product.objects.filter(pk=line.id).update(footprint=LineString((178.0, 50.0), (182.0, 52.0), srid=4326))
    crossing = factories.product(footprint=Polygon(((178, 50), (-178, 50), (-178, 53), (178, 53), (178, 50)),
                                                   srid=4326))
    polygon_before = Product.objects.get(pk=crossing.id).footprint.wkt

    migration.nadir_lines_split(apps, None)

    assert Product.objects.get(pk=line.id).footprint.wkt == "MULTILINESTRING ((178 50, 180 51), (-180 51, -178 52))"
    assert Product.objects.get(pk=crossing.id).footprint.wkt == polygon_before
