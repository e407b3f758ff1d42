"""Sentinel-2 HKTM (manifest.safe, XSLT_S2_MANIFEST) and SAD (Inventory_Metadata.xml, XSLT_S2_SAD_INVENTORY)."""

from __future__ import annotations

from rs.ingestion.extraction.common_fields import check_platform, processing_provenance
from rs.ingestion.extraction.extracted import Extracted, first, reconcile_text, reconcile_time
from rs.ingestion.extraction.reader import ProductReader
from rs.ingestion.extraction.values import OPEN_STOP, parse_float, parse_int, parse_time
from rs.ingestion.extraction.xml_documents import XmlDocument
from rs.ingestion.identification import Identification


def extract_s2_hktm(identification: Identification, reader: ProductReader) -> Extracted:
    doc = XmlDocument.read(reader, "manifest.safe")
    src, name = doc.source, identification.name
    check_platform(doc, identification)
    out = Extracted()
    out.content_start = reconcile_time(
        identification.start, parse_time(doc.text("//acquisitionPeriod/startTime"), what="startTime", source=src),
        what="start", product=name)
    out.content_end = reconcile_time(
        identification.stop, parse_time(doc.text("//acquisitionPeriod/stopTime"), what="stopTime", source=src),
        what="stop", product=name)
    provenance = processing_provenance(doc)
    out.generation = provenance.date
    out.set(
        instrumentShortName="HKTM",  # COPRS value: housekeeping telemetry of the whole satellite, not MSI data
        orbitNumber=parse_int(doc.text("//orbitNumber[@type='start']"), what="orbitNumber", source=src),
        lastOrbitNumber=parse_int(doc.text("//orbitNumber[@type='stop']"), what="orbitNumber", source=src),
        relativeOrbitNumber=parse_int(doc.text("//relativeOrbitNumber[@type='start']"), what="relativeOrbitNumber",
                                      source=src),
        **provenance.attributes(),
    )
    return out


def extract_s2_sad(identification: Identification, reader: ProductReader) -> Extracted:
    doc = XmlDocument.read(reader, "Inventory_Metadata.xml")
    src, name = doc.source, identification.name
    reconcile_text(identification.product_type, doc.text("//File_Type"), what="File_Type", product=name)
    reconcile_text(identification.mission + identification.platform, doc.text("//Satellite_Code"),
                   what="Satellite_Code", product=name)
    out = Extracted()
    out.validity_start = reconcile_time(
        identification.validity_start, parse_time(doc.text("//Validity_Start"), what="Validity_Start", source=src),
        what="validity start", product=name)
    out.validity_stop = reconcile_time(
        identification.validity_stop, parse_time(doc.text("//Validity_Stop"), what="Validity_Stop", source=src),
        what="validity stop", product=name) or OPEN_STOP
    out.content_start, out.content_end = out.validity_start, out.validity_stop
    out.generation = reconcile_time(
        identification.generation, parse_time(doc.text("//Generation_Time"), what="Generation_Time", source=src),
        what="generation", product=name)
    quality = doc.text("//Quality_Info")
    orbit = identification.fields.get("suffix_A")
    out.set(
        instrumentShortName="SAD",  # COPRS value
        processingDate=out.generation,
        processingCenter=first(doc.text("//Processing_Station"), identification.fields.get("site")),
        orbitNumber=first(parse_int(doc.text("//Start_Orbit_Number"), what="Start_Orbit_Number", source=src),
                          int(orbit) if orbit else None),
        lastOrbitNumber=parse_int(doc.text("//Stop_Orbit_Number"), what="Stop_Orbit_Number", source=src),
        qualityInfo=quality,
        qualityStatus=None if quality is None else (
            "NOMINAL" if parse_float(quality, what="Quality_Info", source=src) == 100.0 else "DEGRADED"),
    )
    return out
