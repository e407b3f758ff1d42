"""Sentinel-3 names (naming-and-metadata.md §3.4; reference-system.md §4).

Family from the name: type ending `G` → S3_GRANULES; a calibration type → S3_CAL; type ending `AX` → S3_AUX;
level 0 → S3_L0; level 1/2 → S3_L1_/S3_L2_ NRT|STC|NTC by the timeliness of the class id. S3_PUG (PDU-assembled
products) carry ordinary product names: the production chain that writes them sets that family, the name cannot.
"""

from __future__ import annotations

import re

from rs.catalog.choices import ProcessingLevel, ProductFamily
from rs.ingestion.identification.delivery_path import Delivery
from rs.ingestion.identification.name_times import check_order, name_time
from rs.ingestion.identification.patterns import S3_INSTANCE
from rs.ingestion.identification.results import Identification, UnrecognisedName

# Calibration products (OLCI radiometric/spectral, SRAL calibration, MWR calibration).
CALIBRATION_TYPES = frozenset({"OL_1_RAC___", "OL_1_SPC___", "SR_1_CA1LAX", "SR_1_CA1SAX", "SR_1_CA2KAX",
                               "SR_1_CA2CAX", "MW_1_CAL___"})
_BY_TIMELINESS = {
    ("1", "NR"): ProductFamily.S3_L1_NRT, ("1", "ST"): ProductFamily.S3_L1_STC, ("1", "NT"): ProductFamily.S3_L1_NTC,
    ("2", "NR"): ProductFamily.S3_L2_NRT, ("2", "ST"): ProductFamily.S3_L2_STC, ("2", "NT"): ProductFamily.S3_L2_NTC,
}
_LEVELS = {"0": ProcessingLevel.L0, "1": ProcessingLevel.L1, "2": ProcessingLevel.L2}


def s3_family(product_type: str, level: str, timeliness: str) -> tuple[str, str]:
    """(family, processing level); ValueError with the reason when no family fits."""
    if product_type.endswith("G"):
        return ProductFamily.S3_GRANULES, ProcessingLevel.L0
    if product_type in CALIBRATION_TYPES:
        return ProductFamily.S3_CAL, _LEVELS[level]
    if product_type.endswith("AX"):
        return ProductFamily.S3_AUX, ProcessingLevel.AUX
    if level == "0":
        return ProductFamily.S3_L0, ProcessingLevel.L0
    if level == "_":
        raise ValueError(f"type {product_type} has no level and is not an auxiliary (…AX) type")
    family = _BY_TIMELINESS.get((level, timeliness))
    if family is None:
        raise ValueError(f"a level-{level} product needs the timeliness NR, ST or NT, not {timeliness!r}")
    return family, _LEVELS[level]


def s3_instance(instance: str) -> dict[str, str]:
    """Instance fields: duration/cycle/relorbit/frame of stripes and frames, tile of tiles; {} for the others."""
    match = S3_INSTANCE.match(instance)
    return {k: v for k, v in match.groupdict().items() if v is not None} if match else {}


def identify_s3_product(match: re.Match[str], delivery: Delivery) -> Identification:
    stem = delivery.stem
    fields = {k: v for k, v in match.groupdict().items() if v is not None}
    product_type = stem[4:15]
    timeliness = fields["timeliness"]
    try:
        family, level = s3_family(product_type, fields["level"], timeliness)
    except ValueError as exc:
        raise UnrecognisedName(f"{stem}: {exc}") from None
    first = name_time(fields["start"], name=stem, what="start")
    last = name_time(fields["stop"], name=stem, what="stop")
    check_order(first, last, name=stem, what="time period")
    creation = name_time(fields["creation"], name=stem, what="creation time")
    is_aux = family == ProductFamily.S3_AUX
    isip = fields.get("ext") == ".ISIP"
    metadata = (stem[: -len(".ISIP")] + "_iif.xml",) if isip else ("xfdumanifest.xml",)
    return Identification(
        name=stem, archive_suffix=delivery.archive_suffix, family=family, mission="S3",
        platform=fields["satellite"], product_type=product_type, level=level,
        start=None if is_aux else first, stop=None if is_aux else last,
        validity_start=first if is_aux else None, validity_stop=last if is_aux else None,
        generation=creation, timeliness="" if timeliness == "__" else timeliness, fields=fields, session=None,
        metadata_files=metadata, is_container=True, pattern="S3_PRODUCT",
    )
