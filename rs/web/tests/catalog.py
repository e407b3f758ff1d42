"""A small catalogue for the web client's tests, built through the catalog services (rs.catalog.tests.factories)."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.contrib.gis.geos import Polygon

from rs.catalog import services
from rs.catalog.bulk import products_load
from rs.catalog.models import Product
from rs.catalog.storage import object_store
from rs.catalog.tests import factories

T0 = datetime(2024, 6, 4, 11, 1, 0, tzinfo=UTC)
PRODUCT_BYTES = b"PK\x05\x06" + b"\x00" * 18  # the smallest valid zip: an empty archive


def box(west: float, south: float, east: float, north: float) -> Polygon:
    return Polygon(((west, south), (east, south), (east, north), (west, north), (west, south)), srid=4326)


def ring(*points: tuple[float, float]) -> Polygon:
    return Polygon((*points, points[0]), srid=4326)


@dataclass
class Catalog:
    s1_europe: list[Product]  # 12 S1 GRD over Europe, sensing one hour apart, alternate directions
    s2: list[Product]  # 3 S2 L1C tiles, cloud cover 5, 25, 80
    across: Product  # an S3 footprint across the antimeridian (stored split)
    polar: Product  # an S1 EW slice over Antarctica
    l0: Product  # input of s2[0]
    stored: Product  # s2[0]: has bytes in object storage and lineage

    @property
    def all(self) -> list[Product]:
        return [*self.s1_europe, *self.s2, self.across, self.polar, self.l0]


def s2_name(index: int, start: datetime) -> str:
    return f"S2B_MSIL1C_{start:%Y%m%dT%H%M%S}_N0510_R108_T32TL{chr(65 + index)}_{start:%Y%m%dT%H%M%S}.SAFE"


def build_catalog() -> Catalog:
    s1 = [
        factories.product(
            name=factories.s1_grd_name(start=T0 + timedelta(hours=i), index=100 + i),
            content_start=T0 + timedelta(hours=i),
            footprint=box(-5 + 2 * i, 40 + i % 4, -1 + 2 * i, 43 + i % 4),
            attributes={"productType": "IW_GRDH_1S", "orbitNumber": 54000 + i,
                        "orbitDirection": "ASCENDING" if i % 2 else "DESCENDING"},
        )
        for i in range(12)
    ]
    l0 = factories.product(
        name="S2B_MSIL0__20240603T103309_N0510_R108_L0.SAFE", mission="S2", platform="B", family="S2_L0_GR",
        product_type="MSI_L0__GR", level="L0", mode="", timeliness="", content_start=T0 - timedelta(days=1),
        footprint=box(6, 44, 9, 47), attributes={"productType": "MSI_L0__GR"},
    )
    s2 = []
    for index, cloud in enumerate((5.0, 25.0, 80.0)):
        start = T0 + timedelta(days=1, minutes=index)
        name = s2_name(index, start)
        stored: dict[str, Any] = {}
        if index == 0:  # bytes in object storage (for the download) and an input (for the lineage)
            put = object_store().put_stream(key=f"products/S2/{name}.zip", stream=PRODUCT_BYTES)
            stored = {"storage_key": put.key, "content_length": put.size, "inputs": [l0.id],
                      "checksums": services.Checksums(md5=put.md5, blake3=put.blake3, computed_at=put.stored_at)}
        s2.append(factories.product(
            name=name, mission="S2", platform="B", family="S2_USER_PRODUCT", product_type="S2MSI1C",
            level="L1", mode="", timeliness="", content_start=start, footprint=box(6 + index, 44, 7 + index, 45),
            attributes={"productType": "S2MSI1C", "cloudCover": cloud, "tileId": f"32TL{chr(65 + index)}"}, **stored,
        ))
    across = factories.product(
        name="S3A_OL_1_EFR____20240605T220000_20240605T220300_20240606T010203_0179_113_001_3600_PS1_O_NR_004.SEN3",
        mission="S3", platform="A", family="S3_L1_NRT", product_type="OL_1_EFR___", level="L1", mode="",
        timeliness="NR", content_start=T0 + timedelta(days=1, hours=11),
        footprint=ring((170, -25), (-170, -25), (-170, -10), (170, -10)),
        attributes={"productType": "OL_1_EFR___", "orbitNumber": 42000, "orbitDirection": "DESCENDING"},
    )
    polar = factories.product(
        name=factories.s1_grd_name(start=T0 + timedelta(days=1, hours=12), index=999).replace("IW_", "EW_"),
        product_type="EW_GRDM_1S", mode="EW", content_start=T0 + timedelta(days=1, hours=12),
        footprint=ring((20, -72), (60, -72), (80, -84), (0, -86)),
        attributes={"productType": "EW_GRDM_1S", "orbitNumber": 54500, "orbitDirection": "ASCENDING"},
    )
    return Catalog(s1_europe=s1, s2=s2, across=across, polar=polar, l0=l0, stored=s2[0])


def many_products(count: int) -> int:
    """`count` published S1 footprints spread over the globe, bulk-loaded (no events), for the rendering test."""
    lines = []
    for i in range(count):
        lon, lat = -175 + (i * 37) % 350, -70 + (i * 13) % 140
        start = T0 + timedelta(minutes=i)
        lines.append(json.dumps({
            "id": str(uuid.uuid4()), "name": factories.s1_grd_name(start=start, index=5000 + i), "mission": "S1",
            "platform": "A", "productType": "IW_GRDH_1S", "start": start.isoformat(),
            "end": (start + timedelta(seconds=31)).isoformat(), "publicationDate": start.isoformat(),
            "contentLength": 1_000_000 + i,
            "footprint": {"type": "Polygon", "coordinates": [[[lon, lat], [lon + 2.5, lat], [lon + 2.5, lat + 2],
                                                              [lon, lat + 2], [lon, lat]]]},
            "attributes": {"orbitNumber": 60000 + i, "orbitDirection": "ASCENDING"},
        }))
    return products_load(lines=lines).products
