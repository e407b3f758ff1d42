"""The attribute registry: every published attribute name with its OData type, per product class and collection.

Used by extraction (which attributes a product class carries), by `Attributes(<collection>)` and by the typed
attribute lambdas of the query layer. Names and types follow naming-and-metadata.md §8 (CDSE names where CDSE and
the COPRS PRIP differ). Adding an attribute is adding a line here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from rs.catalog.choices import AttributeType

S, I, D, B, T = (  # noqa: E741 - one letter per OData type keeps the table readable
    AttributeType.STRING,
    AttributeType.INTEGER,
    AttributeType.DOUBLE,
    AttributeType.BOOLEAN,
    AttributeType.DATETIME,
)

ATTRIBUTE_TYPES: dict[str, AttributeType] = {
    # identification
    "productType": S, "platformShortName": S, "platformSerialIdentifier": S, "instrumentShortName": S,
    "processingLevel": S, "origin": S, "authority": S, "productClass": S, "productConsolidation": S,
    "productComposition": S, "timeliness": S, "baselineCollection": S,
    # acquisition
    "operationalMode": S, "swathIdentifier": S, "polarisationChannels": S, "instrumentConfigurationID": I,
    "datatakeID": I, "missionDatatakeID": I, "sliceProductFlag": B, "sliceNumber": I, "totalSlices": I,
    "segmentStartTime": T,
    # orbit
    "orbitNumber": I, "lastOrbitNumber": I, "relativeOrbitNumber": I, "lastRelativeOrbitNumber": I,
    "cycleNumber": I, "orbitDirection": S, "lastOrbitDirection": S,
    "startTimeFromAscendingNode": D, "completionTimeFromAscendingNode": D,
    # times
    "beginningDateTime": T, "endingDateTime": T, "processingDate": T, "productGeneration": T,
    # processing
    "processingCenter": S, "processorName": S, "processorVersion": S, "processingBaseline": S,
    # geometry
    "coordinates": S,
    # Sentinel-2
    "cloudCover": D, "tileId": S, "datastripId": S, "productGroupId": S, "granuleIdentifier": S,
    "illuminationZenithAngle": D, "qualityStatus": S, "qualityInfo": S, "spatialResolution": I,
    # Sentinel-3 product unit (instance id of the name, productUnit of the manifest) and position in the dump
    "productUnitType": S, "productUnitDuration": I, "alongTrackCoordinate": I, "granuleNumber": I,
    "granulePosition": S, "dumpStart": T,
    # Sentinel-3 surface covers (percent)
    "brightCover": D, "salineWaterCover": D, "coastalCover": D, "freshInlandWaterCover": D, "tidalRegionCover": D,
    "landCover": D, "snowOrIceCover": D, "closedSeaCover": D, "continentalIceCover": D, "openOceanCover": D,
    # L0 quality counters
    "qualityDataObjectID": S, "qualityNumOfElement": I, "qualityNumOfMissingElements": I,
    "qualityNumOfCorruptedElements": I, "qualityNumOfRSIncorrigibleElements": I,
    "qualityNumOfRSCorrectedElements": I, "qualityNumOfRSCorrectedSymbols": I,
}  # fmt: skip

_COMMON = ["productType", "platformShortName", "platformSerialIdentifier", "processingDate", "processingCenter",
           "processorName", "processorVersion", "beginningDateTime", "endingDateTime", "origin", "authority"]
_ORBIT = ["orbitNumber", "relativeOrbitNumber", "cycleNumber", "orbitDirection"]
_ANX = ["startTimeFromAscendingNode", "completionTimeFromAscendingNode"]
_S1_L0 = [*_COMMON, *_ORBIT, *_ANX, "instrumentShortName", "operationalMode", "swathIdentifier", "productClass",
          "productConsolidation", "instrumentConfigurationID", "datatakeID", "missionDatatakeID",
          "sliceProductFlag", "sliceNumber", "totalSlices", "polarisationChannels", "coordinates",
          "processingLevel", "timeliness"]
_S1_L0_QUALITY = ["qualityDataObjectID", "qualityNumOfElement", "qualityNumOfMissingElements",
                  "qualityNumOfCorruptedElements", "qualityNumOfRSIncorrigibleElements",
                  "qualityNumOfRSCorrectedElements", "qualityNumOfRSCorrectedSymbols"]
_S1_L1 = [*_S1_L0, "productComposition", "segmentStartTime", "processingBaseline", "productGeneration"]
_S2 = [*_COMMON, "instrumentShortName", "operationalMode", "orbitNumber", "relativeOrbitNumber",
       "productGroupId", "qualityStatus", "qualityInfo", "coordinates", "processingLevel", "processingBaseline"]
_S3_DUMP = ["granuleNumber", "granulePosition"]
_S3 = [*_COMMON, *_ORBIT, "instrumentShortName", "operationalMode", "timeliness", "baselineCollection",
       "lastOrbitNumber", "lastOrbitDirection", "lastRelativeOrbitNumber", "processingLevel", "coordinates",
       "productUnitType", "productUnitDuration", "alongTrackCoordinate", *_S3_DUMP, "dumpStart"]
_S3_SURFACE = ["salineWaterCover", "coastalCover", "freshInlandWaterCover", "tidalRegionCover", "landCover"]


@dataclass(frozen=True)
class ProductClass:
    name: str
    collection: str
    product_type: re.Pattern[str]
    attributes: tuple[str, ...]


def _cls(name: str, collection: str, pattern: str, attributes: list[str]) -> ProductClass:
    unique = tuple(dict.fromkeys(attributes))
    unknown = [a for a in unique if a not in ATTRIBUTE_TYPES]
    if unknown:
        raise ValueError(f"product class {name}: attributes without a type: {unknown}")
    return ProductClass(name, collection, re.compile(pattern), unique)


# First match wins (naming-and-metadata.md §8.1, with CDSE user products and session files added).
PRODUCT_CLASSES: tuple[ProductClass, ...] = (
    _cls("l0Std", "SENTINEL-1", r"^(S[1-6]|IW|EW|EN|RF|WV|N[1-6]|Z[1-6]|ZE|ZI|ZW)_RAW__0S", _S1_L0),
    _cls("l0Ann", "SENTINEL-1", r"^(S[1-6]|IW|EW|WV|EN)_RAW__0A", _S1_L0),
    _cls("l0CalNoise", "SENTINEL-1", r"^(S[1-6]|IW|EW|WV|EN)_RAW__0[CN]", [*_S1_L0, *_S1_L0_QUALITY]),
    _cls("l0Gps", "SENTINEL-1", r"^GP_RAW__0_", [*_COMMON, *_ORBIT, *_ANX, "instrumentShortName"]),
    _cls("l0Hktm", "SENTINEL-1", r"^HK_RAW__0_", [*_COMMON, *_ORBIT]),
    _cls("l1", "SENTINEL-1", r"^(S[1-6]|IW|EW|WV)_(SLC_|GRDF|GRDH|GRDM|RTC_|ETA_)_1[ASX]", _S1_L1),
    _cls("l2", "SENTINEL-1", r"^(S[1-6]|IW|EW|WV)_OCN__2[AS]", _S1_L1),
    _cls("auxSafe", "SENTINEL-1", r"^AUX_(PP1|CAL|INS|PP2|SCS|WND|WAV|ICE|ECE|TEC|TRO|ML2)",
         [*_COMMON, "instrumentShortName", "productGeneration", "instrumentConfigurationID"]),
    _cls("auxEof", "SENTINEL-1", r"^(AUX_(RESATT|PREORB|POEORB|RESORB)|MPL_ORB)", _COMMON),
    _cls("s2ds", "SENTINEL-2", r"^MSI_L[0-2][A-C_]_DS", _S2),
    _cls("s2gr", "SENTINEL-2", r"^MSI_L[0-2][A-B_]_GR", [*_S2, "cloudCover", "datastripId", "granuleIdentifier"]),
    _cls("s2tl", "SENTINEL-2", r"^MSI_L[1-2][AC]_TL",
         [*_S2, "cloudCover", "datastripId", "tileId", "illuminationZenithAngle", "granuleIdentifier"]),
    _cls("s2tc", "SENTINEL-2", r"^MSI_L[1-2][AC]_TC", [*_S2, "cloudCover", "tileId"]),
    _cls("s2user", "SENTINEL-2", r"^S2MSI(1C|2A)$", [*_S2, "cloudCover", "tileId", "datastripId", "spatialResolution"]),
    _cls("s2hktm", "SENTINEL-2", r"^PRD_HKTM", [*_COMMON, "instrumentShortName", "operationalMode", "orbitNumber",
                                               "lastOrbitNumber", "relativeOrbitNumber"]),
    _cls("s2sad", "SENTINEL-2", r"^AUX_SADATA", [*_COMMON, "instrumentShortName", "operationalMode", "orbitNumber",
                                                "lastOrbitNumber", "qualityStatus", "qualityInfo"]),
    _cls("s2aux", "SENTINEL-2", r"^(AUX_|GIP_|DEM_)", _COMMON),
    # ISIP granules (type ending G): their position in the dump decides S3 granule-window completeness
    _cls("s3granule", "SENTINEL-3", r"^\w{10}G$", [*_COMMON, "instrumentShortName", *_S3_DUMP]),
    _cls("s3aux", "SENTINEL-3", r"^\w{9}AX$|^AX_", [*_COMMON, "timeliness", "baselineCollection"]),
    _cls("s3l0", "SENTINEL-3", r"^\w{3}0_\w{5}$", _S3),
    _cls("s3olci", "SENTINEL-3", r"^OL_[12]_", [*_S3, *_S3_SURFACE, "brightCover", "cloudCover"]),
    _cls("s3slstr", "SENTINEL-3", r"^SL_[12]_", [*_S3, *_S3_SURFACE, "cloudCover"]),
    _cls("s3sral", "SENTINEL-3", r"^SR_[12]_",
         [*_S3, "landCover", "closedSeaCover", "continentalIceCover", "openOceanCover"]),
    _cls("s3mwr", "SENTINEL-3", r"^MW_[12]_", _S3),
    _cls("s3syn", "SENTINEL-3", r"^SY_[12]_", [*_S3, *_S3_SURFACE, "snowOrIceCover"]),
)  # fmt: skip


class UnknownAttribute(ValueError):
    pass


def attribute_type(name: str) -> AttributeType:
    try:
        return ATTRIBUTE_TYPES[name]
    except KeyError:
        raise UnknownAttribute(f"attribute {name!r} is not in the registry") from None


def attribute_type_of_value(name: str, value: object) -> AttributeType:
    """The registry's type for a known name; for names outside it, the type of the Python value."""
    if name in ATTRIBUTE_TYPES:
        return ATTRIBUTE_TYPES[name]
    if isinstance(value, bool):
        return AttributeType.BOOLEAN
    if isinstance(value, int):
        return AttributeType.INTEGER
    if isinstance(value, float):
        return AttributeType.DOUBLE
    if isinstance(value, datetime):
        return AttributeType.DATETIME
    return AttributeType.STRING


def product_class_of(product_type: str) -> ProductClass | None:
    return next((c for c in PRODUCT_CLASSES if c.product_type.search(product_type)), None)


def attributes_of_collection(collection: str) -> dict[str, AttributeType]:
    """Every attribute any product class of the collection may carry, with its type (for Attributes(<c>))."""
    names: dict[str, AttributeType] = {}
    for product_class in PRODUCT_CLASSES:
        if product_class.collection == collection:
            for name in product_class.attributes:
                names[name] = ATTRIBUTE_TYPES[name]
    return names


COLLECTIONS = ("SENTINEL-1", "SENTINEL-2", "SENTINEL-3")
