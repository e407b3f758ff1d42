"""Earth Explorer files (EOF orbit/attitude, XML aux, masks, plans, reports): the Fixed_Header
(naming-and-metadata.md §5.4; XSLT_AUX_XML, XSLT_MPL_EOF)."""

from __future__ import annotations

import re

from rs.ingestion.extraction.errors import ExtractionError
from rs.ingestion.extraction.extracted import Extracted, reconcile_text, reconcile_time
from rs.ingestion.extraction.reader import ProductReader
from rs.ingestion.extraction.values import OPEN_STOP, parse_time
from rs.ingestion.extraction.xml_documents import XmlDocument
from rs.ingestion.identification import Identification

_MISSION = re.compile(r"^SENTINEL[- _]?(?P<mission>\d)(?P<unit>[A-D_])?$", re.IGNORECASE)


def extract_earth_explorer(identification: Identification, reader: ProductReader) -> Extracted:
    doc = XmlDocument.read(reader, "")
    src, name = doc.source, identification.name
    header = doc.first("//Fixed_Header")
    if header is None:
        raise ExtractionError(f"{src}: no Earth Explorer Fixed_Header")
    fixed = XmlDocument(header, source=src)
    reconcile_text(identification.product_type, fixed.text("//File_Type"), what="File_Type", product=name)
    mission = fixed.text("//Mission")
    if mission is not None:
        match = _MISSION.match(mission)
        reconcile_text(identification.mission + identification.platform,
                       f"S{match['mission']}{match['unit'] or '_'}" if match else mission, what="Mission", product=name)
    out = Extracted()
    out.validity_start = reconcile_time(
        identification.validity_start,
        parse_time(fixed.text("//Validity_Period/Validity_Start"), what="Validity_Start", source=src),
        what="validity start", product=name)
    out.validity_stop = reconcile_time(
        identification.validity_stop,
        parse_time(fixed.text("//Validity_Period/Validity_Stop"), what="Validity_Stop", source=src),
        what="validity stop", product=name) or OPEN_STOP
    creation = parse_time(fixed.text("//Source/Creation_Date"), what="Creation_Date", source=src)
    out.generation = reconcile_time(identification.generation, creation, what="creation", product=name)
    out.content_start, out.content_end = out.validity_start, out.validity_stop
    out.set(
        processingDate=out.generation,
        processingCenter=fixed.text("//Source/System"),
        processorName=fixed.text("//Source/Creator"),
        processorVersion=fixed.text("//Source/Creator_Version"),
    )
    return out


def extract_from_name(identification: Identification) -> Extracted:
    """Products whose only metadata is their name (S2 GIP/DEM/AUX folders, S2 TCI images, names without extension)."""
    out = Extracted()
    out.validity_start, out.validity_stop = identification.validity_start, identification.validity_stop
    if out.validity_start is not None and out.validity_stop is None:
        out.validity_stop = OPEN_STOP
    out.content_start = identification.start or out.validity_start
    out.content_end = identification.stop or out.validity_stop
    out.generation = identification.generation
    out.set(processingDate=identification.generation, processingCenter=identification.fields.get("site"))
    return out
