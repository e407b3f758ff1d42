"""Sentinel-1 L0, L1 and L2 products: manifest.safe (naming-and-metadata.md §5.1, §5.2; XSLT_L0_MANIFEST,
XSLT_L0_SEGMENT, XSLT_L1_MANIFEST, XSLT_L2_MANIFEST). Prefixes (`s1sarl1:`, `safe:` …) are ignored: local names."""

from __future__ import annotations

from rs.catalog.choices import ProcessingLevel, ProductFamily
from rs.catalog.footprints import footprint_is_nadir_line
from rs.ingestion.extraction.common_fields import check_platform, processing_provenance
from rs.ingestion.extraction.extracted import Extracted, first, logger, reconcile_time
from rs.ingestion.extraction.footprint_sources import (
    bounding_footprint,
    nadir_footprint,
    points_from_comma_pairs,
    ring_footprint,
)
from rs.ingestion.extraction.reader import ProductReader
from rs.ingestion.extraction.s1_slicing import s1_l0_timeliness, s1_total_slices
from rs.ingestion.extraction.values import (
    channels_of_code,
    parse_bool,
    parse_float,
    parse_int,
    parse_time,
    polarisation_channels,
)
from rs.ingestion.extraction.xml_documents import XmlDocument
from rs.ingestion.identification import Identification

SEGMENT_CONSOLIDATIONS = frozenset({"FULL", "START", "END", "PARTIAL"})
_REFINABLE = frozenset({ProductFamily.S1_L0_SLICE, ProductFamily.S1_L0_SEGMENT})
_LEVEL_NAMES: dict[str, str] = {ProcessingLevel.L0: "LEVEL0", ProcessingLevel.L1: "LEVEL1",
                                 ProcessingLevel.L2: "LEVEL2"}
_QUALITY = (("qualityNumOfElement", "numOfElements"), ("qualityNumOfMissingElements", "numOfMissingElements"),
            ("qualityNumOfCorruptedElements", "numOfCorruptedElements"),
            ("qualityNumOfRSIncorrigibleElements", "numOfRSIncorrigibleElements"),
            ("qualityNumOfRSCorrectedElements", "numOfRSCorrectedElements"),
            ("qualityNumOfRSCorrectedSymbols", "numOfRSCorrectedSymbols"))


def relative_orbit_of(platform: str, orbit: int) -> int | None:
    """S1A: (orbit - 73) mod 175 + 1; S1B: (orbit - 27) mod 175 + 1; other units: only from the manifest."""
    offset = {"A": 73, "B": 27}.get(platform)
    return None if offset is None else (orbit - offset) % 175 + 1


def _refined_family(identification: Identification, consolidation: str | None) -> str | None:
    """Slice or segment by productConsolidation (sentinel1 identification module docstring)."""
    if identification.family not in _REFINABLE or consolidation is None:
        return None
    if consolidation == "SLICE":
        family = ProductFamily.S1_L0_SLICE
    elif consolidation in SEGMENT_CONSOLIDATIONS:
        family = ProductFamily.S1_L0_SEGMENT
    else:
        return None
    if family != identification.family and identification.fields["polarisation"] not in ("SH", "SV"):
        logger.warning("%s: productConsolidation %s contradicts the name's %s", identification.name, consolidation,
                       identification.family)
    return family


def _footprint(doc: XmlDocument, identification: Identification, out: Extracted) -> None:
    texts = doc.texts("//footPrint/coordinates")
    if not texts:
        return
    source = doc.source
    out.set(coordinates=" ".join(texts))
    rings = [points_from_comma_pairs(text, source=source) for text in texts]
    if footprint_is_nadir_line(mission=identification.mission, product_type=identification.product_type):
        out.footprint = nadir_footprint(rings[0], source=source)
    elif len(rings) > 1:  # WV L1/L2: one footprint per vignette
        out.footprint = bounding_footprint(rings, source=source)
    else:
        out.footprint = ring_footprint(rings[0], source=source)


def _slicing(doc: XmlDocument, identification: Identification, out: Extracted, family: str) -> None:
    src = doc.source
    out.set(
        sliceProductFlag=parse_bool(doc.text("//sliceProductFlag"), what="sliceProductFlag", source=src),
        segmentStartTime=parse_time(doc.text("//segmentStartTime"), what="segmentStartTime", source=src),
        totalSlices=parse_int(first(doc.text("//totalSlices"), doc.text("//totalNumberOfSlices")),
                              what="totalSlices", source=src),
    )
    slice_number = parse_int(doc.text("//sliceNumber"), what="sliceNumber", source=src)
    if slice_number is None and family == ProductFamily.S1_L0_SLICE:
        slice_number = 1  # naming-and-metadata.md §4.2: missing → 1
    out.set(sliceNumber=slice_number)
    if family == ProductFamily.S1_L0_ACN and "totalSlices" not in out.attributes and out.content_start \
            and out.content_end:  # the ACN spans the datatake: its duration gives the slice count
        duration = (out.content_end - out.content_start).total_seconds()
        out.set(totalSlices=s1_total_slices(duration_s=duration, mode=identification.fields["mode"]))


def extract_s1_product(identification: Identification, reader: ProductReader) -> Extracted:
    doc = XmlDocument.read(reader, "manifest.safe")
    src, fields, name = doc.source, identification.fields, identification.name
    check_platform(doc, identification)
    out = Extracted()
    out.content_start = reconcile_time(
        identification.start, parse_time(doc.text("//acquisitionPeriod/startTime"), what="startTime", source=src),
        what="sensing start", product=name)
    out.content_end = reconcile_time(
        identification.stop, parse_time(doc.text("//acquisitionPeriod/stopTime"), what="stopTime", source=src),
        what="sensing stop", product=name)
    name_mode = fields["mode"]
    mode = doc.text("//instrumentMode/mode") or ("SM" if name_mode[0] == "S" and name_mode[1:].isdigit() else name_mode)
    out.mode = mode
    out.instrument_configuration_id = parse_int(doc.text("//instrumentConfigurationID"), what="ICID", source=src)
    datatake = parse_int(doc.text("//missionDataTakeID"), what="missionDataTakeID", source=src)
    if datatake is not None and datatake != int(fields["datatake"], 16):
        logger.warning("%s: missionDataTakeID %s differs from the name's %s (hex)", name, datatake, fields["datatake"])
    datatake = first(datatake, int(fields["datatake"], 16))
    orbit = parse_int(doc.text("//orbitNumber[@type='start']"), what="orbitNumber", source=src) or int(fields["orbit"])
    channels = doc.texts("//standAloneProductInformation/transmitterReceiverPolarisation")
    consolidation = doc.text("//productConsolidation")
    family = _refined_family(identification, consolidation) or identification.family
    out.family = family
    out.set(
        startTimeFromAscendingNode=parse_float(doc.text("//startTimeANX"), what="startTimeANX", source=src),
        completionTimeFromAscendingNode=parse_float(doc.text("//stopTimeANX"), what="stopTimeANX", source=src),
        instrumentShortName=doc.attr("//platform/instrument/familyName", "abbreviation") or "SAR",
        operationalMode=mode,
        swathIdentifier=doc.text("//instrumentMode/swath") or doc.text("//instrumentMode/swathNumber") or name_mode,
        productClass=doc.text("//standAloneProductInformation/productClass") or fields["klass"],
        productConsolidation=consolidation,
        productComposition=doc.text("//standAloneProductInformation/productComposition"),
        instrumentConfigurationID=out.instrument_configuration_id,
        datatakeID=datatake,
        missionDatatakeID=datatake,
        polarisationChannels=polarisation_channels(channels or channels_of_code(fields["polarisation"])),
        orbitNumber=orbit,
        relativeOrbitNumber=first(
            parse_int(doc.text("//relativeOrbitNumber[@type='start']"), what="relativeOrbitNumber", source=src),
            relative_orbit_of(identification.platform, orbit)),
        cycleNumber=parse_int(doc.text("//orbitReference/cycleNumber"), what="cycleNumber", source=src),
        orbitDirection=doc.text("//orbitReference//pass"),
        processingLevel=_LEVEL_NAMES[identification.level],
    )
    provenance = processing_provenance(doc)
    out.set(**provenance.attributes())
    out.generation = provenance.date
    if identification.level == ProcessingLevel.L0:
        stores = [parse_int(s, what="packetStoreID", source=src) or 0 for s in doc.texts("//packetStoreID")]
        out.timeliness = s1_l0_timeliness(stores)
        quality = doc.first("//qualityInformation//qualityProperties")
        if quality is not None:
            quality_doc = XmlDocument(quality, source=src)
            out.set(qualityDataObjectID=quality_doc.text("//dataObjectID"))
            for attribute, element in _QUALITY:
                out.set(**{attribute: parse_int(quality_doc.text(f"//{element}"), what=element, source=src)})
    else:
        out.timeliness = doc.text("//standAloneProductInformation/productTimelinessCategory") or ""
    out.set(timeliness=out.timeliness or None)
    _slicing(doc, identification, out, family)
    _footprint(doc, identification, out)
    return out
