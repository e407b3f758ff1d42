"""What one extractor found, and its merge with the identification into ProductMetadata (typed attributes).

Rules (naming-and-metadata.md §1): the name wins for mission, satellite, type and name times; the files for
everything else; conflicts are logged. A file time agreeing with the name time within the name's one-second
resolution replaces it (files carry microseconds).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TypeVar

from django.contrib.gis.geos import GEOSGeometry

from rs.catalog.attribute_registry import ATTRIBUTE_TYPES, product_class_of
from rs.catalog.choices import COLLECTION_OF_MISSION, AttributeType, Mission
from rs.catalog.services import ProductMetadata
from rs.ingestion.extraction.errors import ExtractionError
from rs.ingestion.identification import Identification

logger = logging.getLogger("rs.ingestion.extraction")
T = TypeVar("T")

NAME_RESOLUTION = timedelta(seconds=1)
# Attributes of products whose type has no class in the registry (plans, masks, session files …).
COMMON_ATTRIBUTES = ("productType", "platformShortName", "platformSerialIdentifier", "instrumentShortName",
                     "beginningDateTime", "endingDateTime", "processingDate", "processingCenter", "processorName",
                     "processorVersion", "origin", "authority")
ORIGIN = "ESA"


@dataclass
class Extracted:
    """Mutable result of one extractor; None/"" leaves the value to the identification or to nobody."""

    family: str | None = None  # set when the files refine the family of the name (S1 slice/segment)
    mode: str = ""
    instrument_configuration_id: int | None = None
    timeliness: str | None = None
    content_start: datetime | None = None
    content_end: datetime | None = None
    validity_start: datetime | None = None
    validity_stop: datetime | None = None
    generation: datetime | None = None
    footprint: GEOSGeometry | None = None
    attributes: dict[str, object] = field(default_factory=dict)

    def set(self, **values: object) -> None:
        """Set attributes, ignoring None (an absent value never overwrites a found one)."""
        for name, value in values.items():
            if value is not None:
                self.attributes[name] = value


def first(*values: T | None) -> T | None:
    """The first value that is not None (sources in order of precedence)."""
    return next((v for v in values if v is not None), None)


def reconcile_time(name_value: datetime | None, file_value: datetime | None, *, what: str, product: str
                   ) -> datetime | None:
    if name_value is None or file_value is None:
        return file_value if file_value is not None else name_value
    if abs(file_value - name_value) < NAME_RESOLUTION:
        return file_value
    logger.warning("%s: %s %s in the files, %s in the name: the name wins", product, what,
                   file_value.isoformat(), name_value.isoformat())
    return name_value


def reconcile_text(name_value: str, file_value: str | None, *, what: str, product: str) -> None:
    """The name wins; a different value in the files is logged."""
    if file_value is not None and file_value != name_value:
        logger.warning("%s: %s %r in the files, %r in the name: the name wins", product, what, file_value, name_value)


def _typed(name: str, value: object, *, product: str) -> object:
    expected = ATTRIBUTE_TYPES.get(name)
    if expected is None:
        return value  # family-specific extras (session files) keep the type of their value
    valid = {
        AttributeType.STRING: isinstance(value, str),
        AttributeType.INTEGER: isinstance(value, int) and not isinstance(value, bool),
        AttributeType.DOUBLE: isinstance(value, int | float) and not isinstance(value, bool),
        AttributeType.BOOLEAN: isinstance(value, bool),
        AttributeType.DATETIME: isinstance(value, datetime) and value.tzinfo is not None,
    }[expected]
    if not valid:
        raise ExtractionError(f"{product}: attribute {name} = {value!r} is not a valid {expected.value}")
    return float(value) if expected == AttributeType.DOUBLE else value  # type: ignore[arg-type]


def _allowed(product_type: str) -> Iterable[str]:
    product_class = product_class_of(product_type)
    return product_class.attributes if product_class else COMMON_ATTRIBUTES


def metadata_of(identification: Identification, extracted: Extracted) -> ProductMetadata:
    """Merge: the registry class of the product type selects the published attributes (naming-and-metadata.md §8)."""
    product = identification.name
    content_start = extracted.content_start
    content_end = extracted.content_end
    validity_start = extracted.validity_start
    validity_stop = extracted.validity_stop
    candidates: dict[str, object] = {
        "productType": identification.product_type,
        "platformShortName": COLLECTION_OF_MISSION[Mission(identification.mission)],
        "platformSerialIdentifier": identification.platform if identification.platform != "_" else None,
        "origin": ORIGIN,
        "authority": ORIGIN,
        "beginningDateTime": content_start if content_start is not None else validity_start,
        "endingDateTime": content_end if content_end is not None else validity_stop,
        **{k: v for k, v in extracted.attributes.items() if v is not None},
    }
    allowed = set(_allowed(identification.product_type))
    attributes = {
        name: _typed(name, value, product=product)
        for name, value in candidates.items()
        if value is not None and (name in allowed or name not in ATTRIBUTE_TYPES)
    }
    if content_start and content_end and content_end < content_start:
        raise ExtractionError(f"{product}: sensing stop {content_end.isoformat()} is before the start "
                              f"{content_start.isoformat()}")
    return ProductMetadata(
        mission=identification.mission,
        platform=identification.platform,
        family=extracted.family or identification.family,
        product_type=identification.product_type,
        level=identification.level,
        mode=extracted.mode,
        instrument_configuration_id=extracted.instrument_configuration_id,
        timeliness=extracted.timeliness if extracted.timeliness is not None else identification.timeliness,
        content_start=content_start,
        content_end=content_end,
        validity_start=validity_start,
        validity_stop=validity_stop,
        generation_date=extracted.generation if extracted.generation is not None else identification.generation,
        footprint=extracted.footprint,
        attributes=attributes,
    )
