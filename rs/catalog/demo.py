"""Demo catalogue for `make run`: a few published products of each mission, registered through the services with
their bytes in object storage. Real naming, orbit-like footprints (one crossing the antimeridian), typed attributes.
The ingestion app's demo generator replaces this with products that go through the inboxes."""

from __future__ import annotations

import io
import math
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.contrib.gis.geos import Polygon

from rs.catalog import services
from rs.catalog.choices import ProcessingLevel, ProductFamily
from rs.catalog.storage import object_store
from rs.catalog.storage.keys import product_key

T0 = datetime(2026, 11, 20, 10, 0, 0, tzinfo=UTC)
FMT = "%Y%m%dT%H%M%S"


@dataclass(frozen=True)
class DemoProduct:
    name: str
    suffix: str
    metadata: services.ProductMetadata


def _swath(lon: float, lat: float, *, along: float, across: float, heading: float) -> Polygon:
    """A parallelogram centred on (lon, lat) whose long side follows `heading` (degrees from north)."""
    h = math.radians(heading)
    ax, ay = math.sin(h) * along / 2, math.cos(h) * along / 2
    cx, cy = math.cos(h) * across / 2, -math.sin(h) * across / 2
    corners = [(lon - ax - cx, lat - ay - cy), (lon - ax + cx, lat - ay + cy),
               (lon + ax + cx, lat + ay + cy), (lon + ax - cx, lat + ay - cy)]
    return Polygon([*corners, corners[0]], srid=4326)


def _s1(index: int) -> DemoProduct:
    start = T0 + timedelta(minutes=index * 25)
    stop = start + timedelta(seconds=25)
    orbit, datatake = 61234 + index, 0x07A1B0 + index
    name = f"S1A_IW_GRDH_1SDV_{start:{FMT}}_{stop:{FMT}}_{orbit:06d}_{datatake:06X}_{0xC0B5 + index:04X}.SAFE"
    meta = services.ProductMetadata(
        mission="S1", platform="A", family=ProductFamily.S1_L1_SLICE, product_type="IW_GRDH_1S",
        level=ProcessingLevel.L1, mode="IW", timeliness="NRT-3h", content_start=start, content_end=stop,
        footprint=_swath(8.0 + index * 3, 46.0 - index * 1.5, along=2.0, across=2.6, heading=-12),
        attributes={
            "productType": "IW_GRDH_1S", "platformShortName": "SENTINEL-1", "platformSerialIdentifier": "A",
            "instrumentShortName": "SAR", "operationalMode": "IW", "swathIdentifier": "IW",
            "polarisationChannels": "VV&VH", "orbitNumber": orbit, "relativeOrbitNumber": (orbit - 73) % 175 + 1,
            "orbitDirection": "DESCENDING", "datatakeID": datatake, "timeliness": "NRT-3h",
            "processingLevel": "LEVEL1", "beginningDateTime": start, "endingDateTime": stop,
        },
    )
    return DemoProduct(name, ".zip", meta)


def _s2(index: int, tile: str, lon: float, lat: float) -> DemoProduct:
    start = T0 + timedelta(hours=2, minutes=index * 3)
    name = f"S2B_MSIL1C_{start:{FMT}}_N0511_R{108 + index:03d}_T{tile}_{start + timedelta(hours=1):{FMT}}.SAFE"
    box = Polygon.from_bbox((lon, lat, lon + 1.4, lat + 0.9))
    box.srid = 4326
    meta = services.ProductMetadata(
        mission="S2", platform="B", family=ProductFamily.S2_USER_PRODUCT, product_type="S2MSI1C",
        level=ProcessingLevel.L1, content_start=start, content_end=start + timedelta(seconds=5), footprint=box,
        attributes={
            "productType": "S2MSI1C", "platformShortName": "SENTINEL-2", "platformSerialIdentifier": "B",
            "instrumentShortName": "MSI", "tileId": tile, "cloudCover": 12.5 + index * 17.25,
            "orbitNumber": 40210 + index, "relativeOrbitNumber": 108 + index, "processingLevel": "S2MSI1C",
            "processingBaseline": "05.11", "beginningDateTime": start,
        },
    )
    return DemoProduct(name, ".zip", meta)


def _s3(index: int, lon: float, lat: float) -> DemoProduct:
    start = T0 + timedelta(hours=4, minutes=index * 3)
    stop = start + timedelta(minutes=3)
    created = stop + timedelta(minutes=40)
    name = (f"S3A_OL_1_EFR____{start:{FMT}}_{stop:{FMT}}_{created:{FMT}}_0179_{120 + index:03d}_"
            f"{200 + index:03d}_{2340 + index * 180:04d}_PS1_O_NR_004.SEN3")
    meta = services.ProductMetadata(
        mission="S3", platform="A", family=ProductFamily.S3_L1_NRT, product_type="OL_1_EFR___",
        level=ProcessingLevel.L1, timeliness="NR", content_start=start, content_end=stop,
        footprint=_swath(lon, lat, along=10, across=12, heading=-10),
        attributes={
            "productType": "OL_1_EFR___", "platformShortName": "SENTINEL-3", "platformSerialIdentifier": "A",
            "instrumentShortName": "OLCI", "timeliness": "NR", "orbitNumber": 45001 + index,
            "cloudCover": 41.0 + index, "processingLevel": "1", "beginningDateTime": start,
        },
    )
    return DemoProduct(name, ".zip", meta)


def demo_products() -> list[DemoProduct]:
    return [
        *(_s1(i) for i in range(3)),
        _s2(0, "32TNS", 9.0, 45.0), _s2(1, "33UVP", 14.0, 48.0),
        _s3(0, 179.0, -17.0),  # Fiji: crosses the antimeridian
        _s3(1, 20.0, 60.0),
    ]


def _payload(product: DemoProduct) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{product.name}/README.txt", f"Demo product {product.name}\n")
    return buffer.getvalue()


def demo_catalog_load() -> int:
    """Register the demo products that are not yet in the catalog; returns how many were added."""
    store = object_store()
    added = 0
    for product in demo_products():
        key = product_key(mission=product.metadata.mission, family=product.metadata.family,
                          name=product.name, suffix=product.suffix)
        data = _payload(product)
        stored = store.put_stream(key=key, stream=io.BytesIO(data), content_type="application/zip")
        try:
            services.product_register(
                name=product.name, metadata=product.metadata, content_length=stored.size, storage_key=key,
                checksums=services.Checksums(md5=stored.md5, blake3=stored.blake3, computed_at=stored.stored_at),
                origin_date=product.metadata.content_end, publish=True,
            )
        except services.ProductAlreadyExists:
            continue
        added += 1
    return added
