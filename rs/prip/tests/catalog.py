"""The reference catalog of the PRIP suite, built through the catalog services: every product has known names,
dates, attributes and footprints so that tests can assert exact result sets."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.contrib.gis.geos import GEOSGeometry, LineString, Polygon

from rs.catalog import services
from rs.catalog.choices import ProcessingLevel, ProductFamily, ProductionType
from rs.catalog.models import Product
from rs.catalog.storage.keys import asset_key, product_key

PUBLISHED = datetime(2024, 7, 1, tzinfo=UTC)  # product n is published n hours after this
AUSTRALIA = Polygon(((113.605408, -29.713636), (116.147186, -29.10652), (115.581909, -27.285719),
                     (113.080147, -27.882109), (113.605408, -29.713636)), srid=4326)
ITALY = Polygon.from_bbox((10.2, 45.2, 10.8, 45.8))
PARIS = Polygon.from_bbox((2.0, 48.0, 3.0, 49.0))
DATELINE = Polygon(((178, 50), (-178, 50), (-178, 53), (178, 53), (178, 50)), srid=4326)
WV_NADIR = LineString((108.5909, -62.29), (105.8055, -65.5655), srid=4326)
for _shape in (ITALY, PARIS):
    _shape.srid = 4326

MD5 = "4eec48737ecab7aab2bf590a8dec23b1"
BLAKE3 = "d4e3b3f4fb3e076edc9a841fe74d2a33833fba6685c7854e22026a341038e291"
CHECKSUM_DATE = datetime(2024, 6, 4, 12, 18, 58, 614664, tzinfo=UTC)


@dataclass(frozen=True)
class Spec:
    label: str
    name: str
    mission: str
    platform: str
    family: str
    product_type: str
    level: str
    start: datetime | None
    footprint: GEOSGeometry | None
    attributes: dict[str, Any] = field(default_factory=dict)
    production_type: str = ProductionType.SYSTEMATIC
    origin: datetime | None = None


def _t(day: int, hour: int = 10, minute: int = 0, second: int = 0, micro: int = 0) -> datetime:
    return datetime(2024, 6, day, hour, minute, second, micro, tzinfo=UTC)


S1, S2, S3 = "S1", "S2", "S3"
SPECS = (
    Spec("P1", "S1A_IW_GRDH_1SDV_20240604T110100_20240604T110131_054172_069690_E33E.SAFE", S1, "A",
         ProductFamily.S1_L1_SLICE, "IW_GRDH_1S", ProcessingLevel.L1, _t(4, 11, 1, 0, 494767), AUSTRALIA,
         {"productType": "IW_GRDH_1S", "platformSerialIdentifier": "A", "relativeOrbitNumber": 51,
          "orbitNumber": 54172, "orbitDirection": "DESCENDING", "polarisationChannels": "VV&VH",
          "sliceProductFlag": True, "processingDate": _t(4, 12), "timeliness": "Fast-24h"},
         origin=datetime(2024, 6, 4, 12, 12, 3, 404000, tzinfo=UTC)),
    Spec("P2", "S1B_EW_GRDM_1SDH_20240605T080000_20240605T080031_034001_041234_AB12.SAFE", S1, "B",
         ProductFamily.S1_L1_SLICE, "EW_GRDM_1S", ProcessingLevel.L1, _t(5, 8), PARIS,
         {"productType": "EW_GRDM_1S", "platformSerialIdentifier": "B", "relativeOrbitNumber": 12,
          "orbitDirection": "ASCENDING", "polarisationChannels": "HH", "sliceProductFlag": False,
          "processingDate": _t(5, 9)}),
    Spec("P3", "S1A_IW_SLC__1SDV_20240606T100000_20240606T100031_054200_069700_C0DE.SAFE", S1, "A",
         ProductFamily.S1_L1_SLICE, "IW_SLC__1S", ProcessingLevel.L1, _t(6), ITALY,
         {"productType": "IW_SLC__1S", "relativeOrbitNumber": 51, "polarisationChannels": "VV&VH",
          "processingDate": _t(6, 11)}),
    Spec("P4", "S1A_IW_RAW__0SDV_20240607T100000_20240607T100031_054215_069710_0A0A.SAFE", S1, "A",
         ProductFamily.S1_L0_SLICE, "IW_RAW__0S", ProcessingLevel.L0, _t(7), PARIS,
         {"productType": "IW_RAW__0S", "relativeOrbitNumber": 51}),
    Spec("P5", "S1A_WV_RAW__0SSV_20240608T100000_20240608T100031_054230_069720_41D5.SAFE", S1, "A",
         ProductFamily.S1_L0_SLICE, "WV_RAW__0S", ProcessingLevel.L0, _t(8), WV_NADIR,
         {"productType": "WV_RAW__0S"}),
    Spec("P6", "S2A_MSIL1C_20240609T100000_N0510_R122_T32TQM_20240609T120000.SAFE", S2, "A",
         ProductFamily.S2_USER_PRODUCT, "S2MSI1C", ProcessingLevel.L1, _t(9), ITALY,
         {"productType": "S2MSI1C", "cloudCover": 12.5, "tileId": "T32TQM", "spatialResolution": 10,
          "platformSerialIdentifier": "A"}),
    Spec("P7", "S2B_MSIL2A_20240610T100000_N0510_R122_T32TQM_20240610T120000.SAFE", S2, "B",
         ProductFamily.S2_USER_PRODUCT, "S2MSI2A", ProcessingLevel.L2, _t(10), ITALY,
         {"productType": "S2MSI2A", "cloudCover": 55.0, "tileId": "T32TQM", "spatialResolution": 10},
         production_type=ProductionType.ON_DEMAND_NON_DEFAULT),
    Spec("P8", "S3A_OL_1_EFR____20240611T100000_20240611T100300_20240611T120000_0179_021_048_1800_PS1_O_NR_003.SEN3",
         S3, "A", ProductFamily.S3_L1_NRT, "OL_1_EFR___", ProcessingLevel.L1, _t(11), DATELINE,
         {"productType": "OL_1_EFR___", "cloudCover": 40.0}),
    Spec("P9", "S1A_AUX_CAL_V20140406T000000_G20240612T000000.SAFE", S1, "A", ProductFamily.AUXILIARY_FILE,
         "AUX_CAL", ProcessingLevel.AUX, None, None, {"productType": "AUX_CAL"},
         production_type=ProductionType.ON_DEMAND_DEFAULT),
    Spec("P12", "S1A_IW_GRDH_1SDV_O'BRIEN_TEST.SAFE", S1, "A", ProductFamily.S1_L1_SLICE, "IW_GRDH_1S",
         ProcessingLevel.L1, _t(13), AUSTRALIA, {"productType": "IW_GRDH_1S"}),
)
VISIBLE = tuple(s.label for s in SPECS)


def register(spec: Spec, *, index: int, publish: bool = True, scope: str = "operational",
             product_id: uuid.UUID | None = None) -> Product:
    end = spec.start + timedelta(seconds=31) if spec.start else None
    metadata = services.ProductMetadata(
        mission=spec.mission, platform=spec.platform, family=spec.family, product_type=spec.product_type,
        level=spec.level, content_start=spec.start, content_end=end, footprint=spec.footprint,
        attributes=spec.attributes,
    )
    checksums = services.Checksums(md5=MD5, blake3=BLAKE3, computed_at=CHECKSUM_DATE) if index == 1 else None
    key = product_key(mission=spec.mission, family=spec.family, name=spec.name, suffix=".zip")
    product = services.product_register(
        name=spec.name, metadata=metadata, content_length=1000 * index, storage_key=key, checksums=checksums,
        origin_date=spec.origin, production_type=spec.production_type, scope=scope, product_id=product_id,
    )
    if publish:
        services.product_publish(product_id=product.id, at=PUBLISHED + timedelta(hours=index))
        # kept for ever (whatever retention policy the lifecycle app registers): the suite checks the sentinel date
        product = services.product_update(product_id=product.id, changes={"eviction_date": None})
    return product


def build() -> dict[str, Product]:
    products: dict[str, Product] = {}
    for index, spec in enumerate(SPECS, start=1):
        products[spec.label] = register(spec, index=index)
    services.asset_add(product_id=products["P6"].id, name="quick-look.jpg",
                       storage_key=asset_key(product_id=products["P6"].id, name="quick-look.jpg"),
                       content_type="image/jpeg", content_length=100)
    hidden = Spec("P10", "S1A_IW_GRDH_1SDV_UNPUBLISHED.SAFE", S1, "A", ProductFamily.S1_L1_SLICE, "IW_GRDH_1S",
                  ProcessingLevel.L1, _t(4, 11, 1, 0, 494767), AUSTRALIA, {"productType": "IW_GRDH_1S"})
    products["P10"] = register(hidden, index=20, publish=False)
    campaign = Spec("P11", SPECS[0].name, S1, "A", ProductFamily.S1_L1_SLICE, "IW_GRDH_1S", ProcessingLevel.L1,
                    _t(4, 11, 1, 0, 494767), AUSTRALIA, {"productType": "IW_GRDH_1S"})
    products["P11"] = register(campaign, index=21, publish=False, scope="campaign-42")
    return products


def bulk(count: int, *, prefix: str = "S1A_IW_GRDH_1SDV_BULK", start: datetime | None = None) -> list[Product]:
    """`count` published S1 products with pairwise distinct names and content starts (a minute apart from
    `start`), published at the same instant in pairs (so that ordering ties are broken by Id)."""
    base = start or datetime(2024, 1, 1, tzinfo=UTC)
    rows = []
    for i in range(count):
        spec = Spec(f"B{i}", f"{prefix}_{i:04d}.SAFE", S1, "A", ProductFamily.S1_L1_SLICE, "IW_GRDH_1S",
                    ProcessingLevel.L1, base + timedelta(minutes=i), AUSTRALIA, {"productType": "IW_GRDH_1S"})
        product = services.product_register(
            name=spec.name, metadata=services.ProductMetadata(
                mission=S1, platform="A", family=spec.family, product_type=spec.product_type, level=spec.level,
                content_start=spec.start, content_end=spec.start, footprint=None, attributes=spec.attributes),
            content_length=i, storage_key="",
        )
        services.product_publish(product_id=product.id, at=base + timedelta(hours=i // 2))
        rows.append(product)
    return rows


def labels_of(payload: dict[str, Any], products: dict[str, Product]) -> set[str]:
    """The catalog labels (P1, P2 …) of the items of a collection response; unknown names stay as they are."""
    by_name = {p.name: label for label, p in products.items() if label not in ("P10", "P11")}
    return {by_name.get(item["Name"], item["Name"]) for item in payload["value"]}
