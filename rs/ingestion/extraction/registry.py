"""extract_metadata(): one extractor per family (table-driven: adding a family is adding an entry)."""

from __future__ import annotations

from collections.abc import Callable

from rs.catalog.choices import ProductFamily as F
from rs.catalog.services import ProductMetadata
from rs.ingestion.extraction.earth_explorer import extract_earth_explorer, extract_from_name
from rs.ingestion.extraction.errors import ExtractionError
from rs.ingestion.extraction.extracted import Extracted, metadata_of
from rs.ingestion.extraction.reader import ProductReader
from rs.ingestion.extraction.s1_auxiliary import extract_s1_aux_safe
from rs.ingestion.extraction.s1_products import extract_s1_product
from rs.ingestion.extraction.s2_housekeeping import extract_s2_hktm, extract_s2_sad
from rs.ingestion.extraction.s2_products import extract_s2_product
from rs.ingestion.extraction.s3_products import extract_s3
from rs.ingestion.extraction.sessions import extract_session_file
from rs.ingestion.identification import Identification

Extractor = Callable[[Identification, ProductReader], Extracted]
NameOnlyExtractor = Callable[[Identification, "ProductReader | None"], Extracted]

# By pattern first: Earth Explorer files are read the same way whatever the mission and family.
BY_PATTERN: dict[str, Extractor] = {
    "EO_VALIDITY": extract_earth_explorer,
    "EO_PERIOD": extract_earth_explorer,
    "EO_START": extract_earth_explorer,
    "EO_MASK": extract_earth_explorer,
    "S1_AUX_SAFE": extract_s1_aux_safe,
}

BY_FAMILY: dict[str, Extractor] = {
    **dict.fromkeys((F.S1_L0_SEGMENT, F.S1_L0_SLICE, F.S1_L0_ACN, F.S1_L0_BLANK, F.S1_L1_SLICE, F.S1_L1_ACN,
                     F.S1_L1_ETAD, F.S1_L2_SLICE, F.S1_L2_ACN), extract_s1_product),
    **dict.fromkeys((F.S2_L0_GR, F.S2_L0_DS, F.S2_L1A_GR, F.S2_L1A_DS, F.S2_L1B_GR, F.S2_L1B_DS, F.S2_L1C_TL,
                     F.S2_L1C_DS, F.S2_L1C_TC, F.S2_L2A_TL, F.S2_L2A_DS, F.S2_L2A_TC, F.S2_USER_PRODUCT),
                    extract_s2_product),
    F.S2_AUX: extract_earth_explorer,  # listed metadata only for EOF files (orbit files)
    F.S2_HKTM: extract_s2_hktm,
    F.S2_SAD: extract_s2_sad,
    **dict.fromkeys((F.S3_GRANULES, F.S3_AUX, F.S3_L0, F.S3_CAL, F.S3_PUG, F.S3_L1_NRT, F.S3_L1_STC, F.S3_L1_NTC,
                     F.S3_L2_NRT, F.S3_L2_STC, F.S3_L2_NTC), extract_s3),
}

# Families whose extractor also works without a reader (chunks are described by their name and path).
WITHOUT_READER: dict[str, NameOnlyExtractor] = {
    F.SESSION: extract_session_file,
}
MISSIONS = frozenset({"S1", "S2", "S3"})


def extract_metadata(identification: Identification, reader: ProductReader | None) -> ProductMetadata:
    """Everything the name and the product's own files say, as catalog metadata; ExtractionError otherwise.

    `reader` may be None only for products whose identification lists no metadata file (DSDB chunks, S2 aux
    folders, S2 TCI images, names without extension): they are described by their name. Single-file products are
    read with ProductReader.open(file) and read("").
    """
    name = identification.name
    if not identification.mission or not identification.platform:
        raise ExtractionError(f"{name}: the name and path carry no mission/satellite: the inbox must supply them "
                              "(dataclasses.replace(identification, mission=…, platform=…))")
    if identification.mission not in MISSIONS:
        raise ExtractionError(f"{name}: mission {identification.mission!r} is not one of {', '.join(sorted(MISSIONS))}")
    without_reader = WITHOUT_READER.get(identification.family)
    if without_reader is not None:
        return metadata_of(identification, without_reader(identification, reader))
    if not identification.metadata_files:
        return metadata_of(identification, extract_from_name(identification))
    extractor = BY_PATTERN.get(identification.pattern) or BY_FAMILY.get(identification.family)
    if extractor is None:
        raise ExtractionError(f"{name}: no extraction for family {identification.family}")
    if reader is None:
        raise ExtractionError(f"{name}: extraction reads {', '.join(identification.metadata_files)}: a reader over "
                              "the product is needed")
    return metadata_of(identification, extractor(identification, reader))
