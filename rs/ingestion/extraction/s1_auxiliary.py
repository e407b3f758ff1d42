"""Sentinel-1 SAFE auxiliary files: manifest.safe (naming-and-metadata.md §5.3; XSLT_AUX_MANIFEST)."""

from __future__ import annotations

from rs.ingestion.extraction.common_fields import check_platform, processing_provenance
from rs.ingestion.extraction.extracted import Extracted, reconcile_text, reconcile_time
from rs.ingestion.extraction.reader import ProductReader
from rs.ingestion.extraction.values import OPEN_STOP, parse_int, parse_time
from rs.ingestion.extraction.xml_documents import XmlDocument
from rs.ingestion.identification import Identification


def extract_s1_aux_safe(identification: Identification, reader: ProductReader) -> Extracted:
    doc = XmlDocument.read(reader, "manifest.safe")
    src, name = doc.source, identification.name
    check_platform(doc, identification)
    reconcile_text(identification.product_type, doc.text("//standAloneProductInformation/auxProductType"),
                   what="auxProductType", product=name)
    out = Extracted()
    out.validity_start = reconcile_time(
        identification.validity_start,
        parse_time(doc.text("//standAloneProductInformation/validity"), what="validity", source=src),
        what="validity start", product=name)
    # The manifest carries no stop: AUX_TEC/AUX_TRO have it in the name, the others are open.
    out.validity_stop = identification.validity_stop or OPEN_STOP
    out.generation = reconcile_time(
        identification.generation,
        parse_time(doc.text("//standAloneProductInformation/generation"), what="generation", source=src),
        what="generation", product=name)
    # ContentDate as CDSE publishes SAFE aux: Start = End = validity start unless the name gives a stop.
    out.content_start = out.validity_start
    out.content_end = identification.validity_stop or out.validity_start
    out.instrument_configuration_id = parse_int(
        doc.text("//standAloneProductInformation/instrumentConfigurationId"), what="instrumentConfigurationId",
        source=src)
    out.set(
        instrumentShortName=doc.attr("//platform/instrument/familyName", "abbreviation"),
        productGeneration=out.generation,
        instrumentConfigurationID=out.instrument_configuration_id,
        **processing_provenance(doc).attributes(),
    )
    return out
