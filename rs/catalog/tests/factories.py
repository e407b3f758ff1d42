"""Builders of catalog rows for tests, through the services (never raw model saves)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from django.contrib.gis.geos import Polygon

from rs.catalog import services
from rs.catalog.choices import ProcessingLevel, ProductFamily

T0 = datetime(2024, 6, 4, 11, 1, 0, tzinfo=UTC)
_counter = iter(range(1, 10**9))


def s1_grd_name(*, start: datetime = T0, index: int | None = None) -> str:
    n = next(_counter) if index is None else index
    stop = start + timedelta(seconds=31)
    return (f"S1A_IW_GRDH_1SDV_{start:%Y%m%dT%H%M%S}_{stop:%Y%m%dT%H%M%S}_{54000 + n % 999:06d}_"
            f"{0x069690 + n:06X}_{n % 0xFFFF:04X}.SAFE")


def metadata(**overrides: Any) -> services.ProductMetadata:
    start = overrides.pop("content_start", T0)
    values: dict[str, Any] = dict(
        mission="S1", platform="A", family=ProductFamily.S1_L1_SLICE, product_type="IW_GRDH_1S",
        level=ProcessingLevel.L1, mode="IW", timeliness="Fast-24h", content_start=start,
        content_end=start + timedelta(seconds=31),
        footprint=Polygon(((113.6, -29.7), (116.1, -29.1), (115.6, -27.3), (113.1, -27.9), (113.6, -29.7)),
                          srid=4326),
        attributes={"productType": "IW_GRDH_1S", "orbitNumber": 54172, "orbitDirection": "DESCENDING"},
    )
    values.update(overrides)
    if "attributes" not in overrides:  # the productType attribute always equals the column (product_register)
        values["attributes"] = {**values["attributes"], "productType": values["product_type"]}
    return services.ProductMetadata(**values)


def product(*, name: str | None = None, publish: bool = True, **kwargs: Any) -> Any:
    meta_overrides = {k: kwargs.pop(k) for k in list(kwargs) if k in services.ProductMetadata.__dataclass_fields__}
    return services.product_register(
        name=s1_grd_name() if name is None else name, metadata=metadata(**meta_overrides),
        content_length=kwargs.pop("content_length", 1024), publish=publish, **kwargs,
    )
