"""Sentinel-3 products and aux (xfdumanifest.xml) and ISIP granules (<name>_iif.xml) (naming-and-metadata.md §5.6;
XSLT_S3_XFDU_XML, XSLT_S3_AUX_XFDU_XML, XSLT_S3_IIF_XML). Placeholders of test manifests ('dummy-text') are null."""

from __future__ import annotations

from rs.catalog.choices import ProductFamily
from rs.ingestion.extraction.common_fields import Provenance, processing_provenance
from rs.ingestion.extraction.errors import ExtractionError
from rs.ingestion.extraction.extracted import Extracted, first, reconcile_text, reconcile_time
from rs.ingestion.extraction.footprint_sources import points_from_sequence, ring_footprint
from rs.ingestion.extraction.reader import ProductReader
from rs.ingestion.extraction.values import OPEN_STOP, parse_float, parse_int, parse_time
from rs.ingestion.extraction.xml_documents import XmlDocument
from rs.ingestion.identification import Identification
from rs.ingestion.identification.sentinel3 import s3_instance

INSTRUMENTS = {"OL": "OLCI", "SL": "SLSTR", "SR": "SRAL", "MW": "MWR", "DO": "DORIS", "GN": "GNSS", "SY": "SYNERGY"}
# attribute → classification element (1 km grid first for SLSTR, as the XSLT)
_COVERS = (("brightCover", "brightPixels"), ("snowOrIceCover", "snowOrIcePixels"),
           ("salineWaterCover", "salineWaterPixels"), ("coastalCover", "coastalPixels"),
           ("freshInlandWaterCover", "freshInlandWaterPixels"), ("tidalRegionCover", "tidalRegionPixels"),
           ("landCover", "landPixels"), ("cloudCover", "cloudyPixels"))
_SRAL_COVERS = (("landCover", "landPercentage"), ("closedSeaCover", "closedSeaPercentage"),
                ("continentalIceCover", "continentalIcePercentage"), ("openOceanCover", "openOceanPercentage"))


def _covers(doc: XmlDocument, out: Extracted) -> None:
    for attribute, element in _COVERS:
        value = first(doc.attr(f"//classificationSummary[@grid='1 km']//{element}", "percentage"),
                      doc.attr(f"//classificationSummary//{element}", "percentage"))
        out.set(**{attribute: parse_float(value, what=element, source=doc.source)})
    for attribute, element in _SRAL_COVERS:
        out.set(**{attribute: parse_float(doc.text(f"//sralProductInformation//{element}"), what=element,
                                          source=doc.source)})


def _orbits(doc: XmlDocument, identification: Identification, out: Extracted) -> None:
    src = doc.source
    instance = s3_instance(identification.fields["instance"])
    out.set(
        orbitNumber=parse_int(doc.text("//orbitNumber[@type='start']"), what="orbitNumber", source=src),
        orbitDirection=doc.attr("//orbitNumber[@type='start']", "groundTrackDirection"),
        lastOrbitNumber=parse_int(doc.text("//orbitNumber[@type='stop']"), what="orbitNumber", source=src),
        lastOrbitDirection=doc.attr("//orbitNumber[@type='stop']", "groundTrackDirection"),
        relativeOrbitNumber=first(
            parse_int(doc.text("//relativeOrbitNumber[@type='start']"), what="relativeOrbitNumber", source=src),
            int(instance["relorbit"]) if "relorbit" in instance else None),
        lastRelativeOrbitNumber=parse_int(doc.text("//relativeOrbitNumber[@type='stop']"),
                                          what="relativeOrbitNumber", source=src),
        cycleNumber=first(parse_int(doc.text("//orbitReference/cycleNumber"), what="cycleNumber", source=src),
                          int(instance["cycle"]) if "cycle" in instance else None),
    )


def _product_unit(doc: XmlDocument, identification: Identification, out: Extracted) -> None:
    """What the instance id of the name tells (stripe or frame duration, frame along-track coordinate), the name
    first (the manifest of test data carries placeholders), and the granule's position in its dump."""
    src = doc.source
    instance = s3_instance(identification.fields["instance"])
    out.set(
        productUnitType=doc.text("//productUnit/type"),
        productUnitDuration=first(_name_number(instance, "duration"),
                                  parse_int(doc.text("//productUnit/duration"), what="duration", source=src)),
        alongTrackCoordinate=first(_name_number(instance, "frame"),
                                   parse_int(doc.text("//productUnit/alongtrackCoordinate"),
                                             what="alongtrackCoordinate", source=src)),
        dumpStart=parse_time(doc.text("//dumpInformation/dumpStart"), what="dumpStart", source=src),
    )
    _granule(out, number=doc.text("//dumpInformation/granuleNumber"),
             position=doc.text("//dumpInformation/granulePosition"), source=src)


def _name_number(instance: dict[str, str], field: str) -> int | None:
    value = instance.get(field, "")
    return int(value) if value.isdigit() else None  # a stripe's frame is '____'


def _granule(out: Extracted, *, number: str | None, position: str | None, source: str) -> None:
    """granuleNumber and granulePosition (FIRST, MIDDLE, LAST; production reads FIRST and LAST as the dump's ends)."""
    out.set(granuleNumber=parse_int(number, what="granuleNumber", source=source),
            granulePosition=position.upper() if position else None)


def _common(doc: XmlDocument | None, identification: Identification, out: Extracted) -> None:
    fields = identification.fields
    provenance = processing_provenance(doc) if doc is not None else Provenance()
    baseline = first(doc.text("//generalProductInformation/baselineCollection") if doc else None, fields["baseline"])
    out.set(**provenance.attributes())
    out.set(
        processingDate=out.generation,  # the creation time, as the COPRS mapping
        processingCenter=first(provenance.centre, fields["centre"]),
        instrumentShortName=first(doc.attr("//platform/instrument/familyName", "abbreviation") if doc else None,
                                  INSTRUMENTS.get(fields["source"])),
        timeliness=identification.timeliness or None,
        baselineCollection=baseline if baseline and baseline.strip("_") else None,  # '___': none
        processingLevel=fields["level"] if fields["level"] != "_" else None,
    )


def extract_s3_product(identification: Identification, reader: ProductReader) -> Extracted:
    doc = XmlDocument.read(reader, "xfdumanifest.xml")
    src, name = doc.source, identification.name
    reconcile_text(identification.product_type, doc.text("//generalProductInformation/productType"),
                   what="productType", product=name)
    reconcile_text(identification.timeliness, doc.text("//generalProductInformation/timeliness"),
                   what="timeliness", product=name)
    out = Extracted()
    out.generation = reconcile_time(
        identification.generation,
        parse_time(doc.text("//generalProductInformation/creationTime"), what="creationTime", source=src),
        what="creation", product=name)
    if identification.family == ProductFamily.S3_AUX:
        out.validity_start = reconcile_time(
            identification.validity_start,
            parse_time(doc.text("//generalProductInformation/validityStartTime"), what="validityStartTime",
                       source=src), what="validity start", product=name)
        out.validity_stop = reconcile_time(
            identification.validity_stop,
            parse_time(doc.text("//generalProductInformation/validityStopTime"), what="validityStopTime",
                       source=src), what="validity stop", product=name) or OPEN_STOP
        out.content_start, out.content_end = out.validity_start, out.validity_stop
    else:
        out.content_start = reconcile_time(
            identification.start, parse_time(doc.text("//acquisitionPeriod/startTime"), what="startTime", source=src),
            what="sensing start", product=name)
        out.content_end = reconcile_time(
            identification.stop, parse_time(doc.text("//acquisitionPeriod/stopTime"), what="stopTime", source=src),
            what="sensing stop", product=name)
    out.mode = doc.text("//platform/instrument/mode") or ""
    _common(doc, identification, out)
    out.set(operationalMode=out.mode or None)
    _orbits(doc, identification, out)
    _product_unit(doc, identification, out)
    _covers(doc, out)
    positions = doc.text("//frameSet/footPrint/posList")
    # an auxiliary file has no footprint in the catalogue, even where its manifest repeats a frame
    if positions is not None and identification.family != ProductFamily.S3_AUX:
        text = " ".join(positions.split())
        out.set(coordinates=text)
        out.footprint = ring_footprint(points_from_sequence(text, dimension=2, source=src), source=src)
    return out


def extract_s3_granule(identification: Identification, reader: ProductReader) -> Extracted:
    """An ISIP granule: times from <name>_iif.xml, creation from the name."""
    relative = identification.metadata_files[0]
    doc = XmlDocument.read(reader, relative)
    src, name = doc.source, identification.name
    if doc.first("//temporalCoverage") is None:
        raise ExtractionError(f"{src}: no temporalCoverage")
    out = Extracted()
    out.content_start = reconcile_time(
        identification.start, parse_time(doc.text("//temporalCoverage/startTime"), what="startTime", source=src),
        what="sensing start", product=name)
    out.content_end = reconcile_time(
        identification.stop, parse_time(doc.text("//temporalCoverage/stopTime"), what="stopTime", source=src),
        what="sensing stop", product=name)
    out.generation = identification.generation
    _common(None, identification, out)
    _granule(out, number=doc.text("//specificParameters/feature[@key='granuleNumber']"),
             position=doc.text("//specificParameters/feature[@key='granulePosition']"), source=src)
    return out


def extract_s3(identification: Identification, reader: ProductReader) -> Extracted:
    if identification.fields.get("ext") == ".ISIP":
        return extract_s3_granule(identification, reader)
    return extract_s3_product(identification, reader)
