"""The STAC suite's catalogue: the PRIP reference catalogue (rs/prip/tests/catalog.py, ten visible products with
known names, dates, attributes and footprints) plus products that carry every extension we map and a lineage:
an S1 L0 slice, the L1 GRD made from it, an S2 L2A tile made from an L1C tile (with its quicklook)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from django.contrib.gis.geos import GEOSGeometry, Polygon

from rs.catalog import services
from rs.catalog.choices import ProcessingLevel, ProductFamily
from rs.catalog.models import Product
from rs.catalog.storage.keys import asset_key, product_key
from rs.prip.tests import catalog as reference

PUBLISHED = datetime(2024, 8, 1, tzinfo=UTC)
BRITTANY = Polygon.from_bbox((-4.5, 47.5, -3.0, 48.5))
BRITTANY.srid = 4326
MD5 = "0123456789abcdef0123456789abcdef"


def _t(day: int, hour: int = 6) -> datetime:
    return datetime(2024, 7, day, hour, tzinfo=UTC)


def _register(label: str, name: str, *, mission: str, platform: str, family: str, product_type: str, level: str,
              start: datetime, footprint: GEOSGeometry, attributes: dict[str, Any], index: int,
              inputs: tuple[Product, ...] = ()) -> Product:
    metadata = services.ProductMetadata(
        mission=mission, platform=platform, family=family, product_type=product_type, level=level,
        content_start=start, content_end=start + timedelta(seconds=25), footprint=footprint, attributes=attributes)
    checksums = services.Checksums(md5=MD5, blake3="ab" * 32, computed_at=start + timedelta(hours=1))
    product = services.product_register(
        name=name, metadata=metadata, content_length=10_000 + index, checksums=checksums,
        storage_key=product_key(mission=mission, family=family, name=name, suffix=".zip"),
        inputs=[p.id for p in inputs], origin_date=start + timedelta(minutes=30))
    services.product_publish(product_id=product.id, at=PUBLISHED + timedelta(hours=index))
    return services.product_update(product_id=product.id, changes={"eviction_date": None})


def build() -> dict[str, Product]:
    products = reference.build()
    common = {"processingCenter": "Production Service-SERCO", "processorName": "Sentinel-1 IPF",
              "processorVersion": "003.71", "platformShortName": "SENTINEL-1", "platformSerialIdentifier": "A",
              "instrumentShortName": "SAR", "orbitNumber": 54300, "relativeOrbitNumber": 22,
              "orbitDirection": "ASCENDING", "operationalMode": "IW", "polarisationChannels": "VV&VH"}
    products["L0"] = _register(
        "L0", "S1A_IW_RAW__0SDV_20240702T060000_20240702T060025_054300_069800_AAAA.SAFE", mission="S1",
        platform="A", family=ProductFamily.S1_L0_SLICE, product_type="IW_RAW__0S", level=ProcessingLevel.L0,
        start=_t(2), footprint=BRITTANY, index=1,
        attributes={**common, "productType": "IW_RAW__0S", "processingLevel": "LEVEL0"})
    products["L1"] = _register(
        "L1", "S1A_IW_GRDH_1SDV_20240702T060000_20240702T060025_054300_069800_BBBB.SAFE", mission="S1",
        platform="A", family=ProductFamily.S1_L1_SLICE, product_type="IW_GRDH_1S", level=ProcessingLevel.L1,
        start=_t(2), footprint=BRITTANY, index=2, inputs=(products["L0"],),
        attributes={**common, "productType": "IW_GRDH_1S", "processingLevel": "LEVEL1",
                    "processingDate": _t(2, 8), "processingBaseline": "003.71", "timeliness": "Fast-24h"})
    s2 = {"platformShortName": "SENTINEL-2", "platformSerialIdentifier": "B", "instrumentShortName": "MSI",
          "tileId": "T30UVU", "orbitNumber": 38000, "relativeOrbitNumber": 94, "orbitDirection": "DESCENDING",
          "processingCenter": "ESA"}
    products["C1"] = _register(
        "C1", "S2B_MSIL1C_20240703T110000_N0510_R094_T30UVU_20240703T120000.SAFE", mission="S2", platform="B",
        family=ProductFamily.S2_USER_PRODUCT, product_type="S2MSI1C", level=ProcessingLevel.L1, start=_t(3, 11),
        footprint=BRITTANY, index=3, attributes={**s2, "productType": "S2MSI1C", "cloudCover": 8.25})
    products["C2"] = _register(
        "C2", "S2B_MSIL2A_20240703T110000_N0510_R094_T30UVU_20240703T130000.SAFE", mission="S2", platform="B",
        family=ProductFamily.S2_USER_PRODUCT, product_type="S2MSI2A", level=ProcessingLevel.L2, start=_t(3, 11),
        footprint=BRITTANY, index=4, inputs=(products["C1"],),
        attributes={**s2, "productType": "S2MSI2A", "cloudCover": 9.5, "processingLevel": "S2MSI2A",
                    "processingBaseline": "05.10"})
    services.asset_add(product_id=products["C2"].id, name="preview.jpg", content_type="image/jpeg",
                       storage_key=asset_key(product_id=products["C2"].id, name="preview.jpg"), content_length=99)
    return products


ADDED = ("L0", "L1", "C1", "C2")
VISIBLE = (*reference.VISIBLE, *ADDED)
