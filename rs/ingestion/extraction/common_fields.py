"""Fields shared by the SAFE-like manifests (S1, S2 HKTM/DS, S3): platform check and processing provenance."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from rs.ingestion.extraction.extracted import reconcile_text
from rs.ingestion.extraction.values import clean, parse_time
from rs.ingestion.extraction.xml_documents import XmlDocument, child
from rs.ingestion.identification import Identification

_PLATFORM_FAMILY = re.compile(r"^SENTINEL[- _]?(?P<mission>\d)(?P<unit>[A-D])?$", re.IGNORECASE)


def check_platform(doc: XmlDocument, identification: Identification) -> None:
    """Log a manifest platform that contradicts the name (the name wins)."""
    family = doc.text("//platform/familyName")
    number = doc.text("//platform/number")
    product = identification.name
    if family is not None:
        match = _PLATFORM_FAMILY.match(family)
        reconcile_text(identification.mission, f"S{match['mission']}" if match else family,
                       what="platform family", product=product)
    if number is not None:
        reconcile_text(identification.platform, number[-1:] if number[:1].isdigit() else number,
                       what="platform number", product=product)


@dataclass(frozen=True)
class Provenance:
    """The outermost <processing> of a manifest: the step that made the delivered product."""

    date: datetime | None = None
    centre: str | None = None
    processor: str | None = None
    version: str | None = None

    def attributes(self) -> dict[str, object]:
        return {"processingDate": self.date, "processingCenter": self.centre, "processorName": self.processor,
                "processorVersion": self.version}


def processing_provenance(doc: XmlDocument) -> Provenance:
    processing = doc.first("//processing")
    if processing is None:
        return Provenance()
    facility = child(processing, "facility")
    software = child(processing, "software")
    if software is None:
        software = child(facility, "software")
    return Provenance(
        date=parse_time(processing.get("start"), what="processing start", source=doc.source),
        centre=clean(facility.get("site")) if facility is not None else None,
        processor=clean(software.get("name")) if software is not None else None,
        version=clean(software.get("version")) if software is not None else None,
    )
