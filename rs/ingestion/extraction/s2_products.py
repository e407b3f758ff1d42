"""Sentinel-2 PDI granules, datastrips, tiles and user products: MTD, Inventory_Metadata.xml and manifest.safe merged
(naming-and-metadata.md §5.5; XSLT_S2_XMLS). COPRS reads every XML of an S2 product; so do we, in this order of
precedence: MTD, Inventory_Metadata.xml, manifest.safe, then the name."""

from __future__ import annotations

import re

from rs.catalog.choices import ProductFamily
from rs.ingestion.extraction.common_fields import check_platform
from rs.ingestion.extraction.errors import ExtractionError
from rs.ingestion.extraction.extracted import Extracted, first, reconcile_text, reconcile_time
from rs.ingestion.extraction.footprint_sources import points_from_ext_pos_list, points_from_sequence, ring_footprint
from rs.ingestion.extraction.reader import ProductReader
from rs.ingestion.extraction.values import clean, parse_float, parse_int, parse_time
from rs.ingestion.extraction.xml_documents import XmlDocument
from rs.ingestion.identification import Identification

_DATATAKE_ID = re.compile(r"^GS2[A-D_]_\d{8}T\d{6}_(?P<orbit>\d{6})_N\d{2}\.\d{2}$")
_LEVEL_NAMES = {"L0_": "LEVEL0", "L0U": "LEVEL0", "L1A": "LEVEL1A", "L1B": "LEVEL1B", "L1C": "LEVEL1C",
                "L2A": "LEVEL2A"}


def _optional(reader: ProductReader, relative: str) -> XmlDocument | None:
    return XmlDocument.read(reader, relative) if relative and reader.exists(relative) else None


def _orbit_of_datatake(datatake: str | None) -> int | None:
    match = _DATATAKE_ID.match(datatake or "")
    return int(match["orbit"]) if match else None


def _quality(inventory: XmlDocument | None, mtd: XmlDocument | None) -> tuple[str | None, str | None]:
    """(qualityInfo, qualityStatus): Inventory Quality_Info (100.0 nominal), L0 GR degraded-data percentage or L0 DS
    lost packets (0 nominal)."""
    if inventory is not None and (info := inventory.text("//Quality_Info")) is not None:
        value = parse_float(info, what="Quality_Info", source=inventory.source)
        return info, "NOMINAL" if value == 100.0 else "DEGRADED"
    if mtd is None:
        return None, None
    info = first(mtd.text("//Common_IMG_QI/DEGRADED_MSI_DATA_PERCENTAGE"),
                 mtd.text("//Degradation_Summary/NUMBER_OF_LOST_PACKETS"))
    if info is None:
        return None, None
    value = parse_float(info, what="quality indicator", source=mtd.source)
    return info, "NOMINAL" if value == 0 else "DEGRADED"


def _footprint(inventory: XmlDocument | None, mtd: XmlDocument | None, out: Extracted, *, user: bool) -> None:
    if inventory is not None and inventory.all("//Geo_Pnt"):
        pairs = [(p.findtext("{*}LATITUDE"), p.findtext("{*}LONGITUDE")) for p in inventory.all("//Geo_Pnt")]
        geo_points = " ".join(f"{clean(lat)} {clean(lon)}" for lat, lon in pairs)
        out.set(coordinates=geo_points)
        out.footprint = ring_footprint(points_from_sequence(geo_points, dimension=2, source=inventory.source),
                                       source=inventory.source)
        return
    if mtd is None or (positions := first(mtd.text("//Global_Footprint/EXT_POS_LIST"),
                                          mtd.text("//Footprint/EXT_POS_LIST"))) is None:
        return
    out.set(coordinates=positions)
    points = points_from_ext_pos_list(positions, source=mtd.source, prefer_heights=not user)
    out.footprint = ring_footprint(points, source=mtd.source)


def _times(identification: Identification, docs: list[XmlDocument | None], out: Extracted) -> None:
    starts, stops = [], []
    for doc in docs:
        if doc is None:
            continue
        src = doc.source
        starts.append(parse_time(first(doc.text("//PRODUCT_START_TIME"), doc.text("//DATASTRIP_SENSING_START"),
                                       doc.text("//General_Info/SENSING_TIME"), doc.text("//Validity_Start"),
                                       doc.text("//acquisitionPeriod/startTime"),
                                       doc.attr("//acquisitionPeriod", "startTime")), what="sensing start", source=src))
        stops.append(parse_time(first(doc.text("//PRODUCT_STOP_TIME"), doc.text("//DATASTRIP_SENSING_STOP"),
                                      doc.text("//General_Info/SENSING_TIME"), doc.text("//Validity_Stop"),
                                      doc.text("//acquisitionPeriod/stopTime")), what="sensing stop", source=src))
    name = identification.name
    out.content_start = reconcile_time(identification.start, first(*starts), what="sensing start", product=name)
    out.content_end = reconcile_time(identification.stop, first(*stops), what="sensing stop", product=name)


def extract_s2_product(identification: Identification, reader: ProductReader) -> Extracted:
    """PDI products (MSI_L0__GR …) and user products (S2MSI1C/S2MSI2A)."""
    user = identification.family == ProductFamily.S2_USER_PRODUCT
    mtd_name = next((f for f in identification.metadata_files if "MTD" in f), "")
    mtd = _optional(reader, mtd_name)
    inventory = _optional(reader, "Inventory_Metadata.xml")
    manifest = _optional(reader, "manifest.safe")
    if mtd is None and inventory is None and manifest is None:
        raise ExtractionError(f"{identification.name}: none of {', '.join(identification.metadata_files)} is present")
    name, fields, suffix = identification.name, identification.fields, identification.fields.get
    if manifest is not None:
        check_platform(manifest, identification)
    if inventory is not None:
        reconcile_text(identification.mission + identification.platform, inventory.text("//Satellite_Code"),
                       what="Satellite_Code", product=name)
        reconcile_text(identification.product_type, inventory.text("//File_Type"), what="File_Type", product=name)
    docs = [mtd, inventory, manifest]
    out = Extracted()
    _times(identification, docs, out)
    generation = parse_time(first(*(d.text("//GENERATION_TIME") or d.text("//Generation_Time")
                                    for d in docs if d is not None)), what="generation time", source=name)
    out.generation = reconcile_time(identification.generation, generation, what="generation", product=name)
    datatake = first(mtd.attr("//Datatake", "datatakeIdentifier") if mtd else None,
                     mtd.attr("//Datatake_Info", "datatakeIdentifier") if mtd else None,
                     inventory.text("//Group_ID") if inventory else None,
                     manifest.text("//orbitNumber[@type='start']") if manifest else None)
    group = datatake if datatake is None or _DATATAKE_ID.match(datatake) else None
    mode = first(mtd.text("//DATATAKE_TYPE") if mtd else None,
                 manifest.attr("//instrument/mode", "identifier") if manifest else None)
    out.mode = mode or ""
    baseline = first(mtd.text("//PROCESSING_BASELINE") if mtd else None, suffix("suffix_N"),
                     f"{fields['baseline'][:2]}.{fields['baseline'][2:]}" if "baseline" in fields else None)
    quality_info, quality_status = _quality(inventory, mtd)
    src = name
    out.set(
        processingDate=out.generation,
        processingCenter=first(inventory.text("//Processing_Station") if inventory else None, suffix("site")),
        processorName=inventory.text("//Source") if inventory else None,
        # CDSE publishes the baseline as processorVersion of user products; PDI inventories give the software version.
        processorVersion=baseline if user else (inventory.text("//Source_Sw_Version") if inventory else None),
        processingBaseline=baseline,
        processingLevel=identification.product_type if user else _LEVEL_NAMES.get(identification.product_type[4:7]),
        instrumentShortName=first(inventory.text("//Sensor_Code") if inventory else None, "MSI"),
        operationalMode=mode,
        orbitNumber=first(parse_int(inventory.text("//Start_Orbit_Number"), what="Start_Orbit_Number", source=src)
                          if inventory else None, _orbit_of_datatake(datatake),
                          int(suffix("suffix_A") or 0) or None),
        relativeOrbitNumber=first(
            parse_int(mtd.text("//SENSING_ORBIT_NUMBER"), what="SENSING_ORBIT_NUMBER", source=src) if mtd else None,
            parse_int(manifest.text("//relativeOrbitNumber[@type='start']"), what="relativeOrbitNumber", source=src)
            if manifest else None,
            int(suffix("suffix_R") or suffix("relative_orbit") or 0) or None),
        productGroupId=group,
        datastripId=first(inventory.text("//Parent_ID") if inventory else None,
                          mtd.text("//DATASTRIP_ID") if mtd else None,
                          mtd.attr("//Granule", "datastripIdentifier") if mtd else None),
        granuleIdentifier=first(mtd.text("//GRANULE_ID") if mtd else None, mtd.text("//TILE_ID") if mtd else None,
                                None if user else name),
        tileId=first(suffix("suffix_T"), suffix("tile")),
        cloudCover=parse_float(first(mtd.text("//CLOUDY_PIXEL_PERCENTAGE") if mtd else None,
                                     mtd.text("//Cloud_Coverage_Assessment") if mtd else None,
                                     inventory.text("//CloudPercentage") if inventory else None),
                               what="cloud cover", source=src),
        illuminationZenithAngle=parse_float(
            first(mtd.text("//Tile_Angles/Mean_Sun_Angle/ZENITH_ANGLE") if mtd else None,
                  mtd.text("//Solar_Angles/ZENITH_ANGLE") if mtd else None), what="sun zenith angle", source=src),
        qualityInfo=quality_info,
        qualityStatus=quality_status,
    )
    _footprint(inventory, mtd, out, user=user)
    return out
