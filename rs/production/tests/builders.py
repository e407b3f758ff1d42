"""Builders for production tests: catalog products through the catalog services, processors through the import
service, rules through the ORM (rules are operator configuration, edited in the admin)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from rs.catalog.models import Product
from rs.catalog.tests import factories
from rs.production import services
from rs.production.models import ProcessorVersion, ProductionRule

SAMPLES = Path(__file__).resolve().parents[3].parent / "shared" / "samples"
TASKTABLES = SAMPLES / "tasktables"
JOBORDERS = SAMPLES / "joborders"
OUR_TASKTABLES = Path(__file__).resolve().parents[3] / "processors" / "tasktables"
needs_samples = pytest.mark.skipif(not SAMPLES.is_dir(), reason="samples folder ../shared/samples is absent")

T0 = datetime(2024, 6, 4, 12, 0, 0, tzinfo=UTC)
_names = itertools.count(1)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def aux(product_type: str, *, start: datetime, stop: datetime | None = None, generated: datetime | None = None,
        platform: str = "A", mission: str = "S1", name: str | None = None, icid: int | None = None,
        **kwargs: Any) -> Product:
    """An aux file valid over [start, stop] (stop None: open), stored (online) unless storage_key="" is given."""
    n = next(_names)
    return factories.product(
        name=name or f"{mission}{platform}_{product_type}_{n:06d}", publish=False, mission=mission,
        platform=platform, family="AUXILIARY_FILE", product_type=product_type, level="AUX", mode="",
        timeliness="", content_start=start, content_end=stop or start, validity_start=start, validity_stop=stop,
        generation_date=generated, footprint=None, attributes={}, instrument_configuration_id=icid,
        **{"storage_key": "stored", **kwargs})


def level(product_type: str, *, start: datetime, stop: datetime, generated: datetime | None = None,
          platform: str = "A", mission: str = "S1", name: str | None = None, mode: str = "IW",
          family: str = "L0_SLICE", timeliness: str = "", attributes: dict[str, Any] | None = None,
          icid: int | None = None, **kwargs: Any) -> Product:
    """A level product sensed over [start, stop]."""
    n = next(_names)
    return factories.product(
        name=name or f"{mission}{platform}_{product_type}_{n:06d}", publish=False, mission=mission,
        platform=platform, family=family, product_type=product_type, level="L0", mode=mode, timeliness=timeliness,
        content_start=start, content_end=stop, generation_date=generated, attributes=attributes or {},
        instrument_configuration_id=icid, **{"storage_key": "stored", **kwargs})


def processor(path: Path | str, *, dialect: str = "") -> ProcessorVersion:
    return services.processor_import(data=Path(path).read_bytes(), dialect=dialect)


def rule(version: ProcessorVersion, *, name: str | None = None, **fields: Any) -> ProductionRule:
    fields.setdefault("product_types", "IW_RAW__0S")
    return ProductionRule.objects.create(name=name or f"rule-{next(_names)}", processor_version=version, **fields)
