"""Enumerations of the catalog. Values are stored in the database: never rename one without a migration."""

from django.db import models


class Mission(models.TextChoices):
    S1 = "S1", "Sentinel-1"
    S2 = "S2", "Sentinel-2"
    S3 = "S3", "Sentinel-3"


# PRIP/CDSE collection name of each mission (`Collection/Name` in OData filters).
COLLECTION_OF_MISSION = {Mission.S1: "SENTINEL-1", Mission.S2: "SENTINEL-2", Mission.S3: "SENTINEL-3"}


class ProductFamily(models.TextChoices):
    """The family decides extraction, retention and the chains triggered (reference-system.md §4)."""

    SESSION = "EDRS_SESSION", "Downlink session file"
    AUXILIARY_FILE = "AUXILIARY_FILE", "S1 auxiliary file"
    PLAN_AND_REPORT = "PLAN_AND_REPORT", "Plan or report"
    S1_L0_SEGMENT = "L0_SEGMENT", "S1 L0 segment"
    S1_L0_SLICE = "L0_SLICE", "S1 L0 slice"
    S1_L0_ACN = "L0_ACN", "S1 L0 annotation/calibration/noise"
    S1_L0_BLANK = "L0_BLANK", "S1 L0 blank"
    S1_L1_SLICE = "L1_SLICE", "S1 L1 slice"
    S1_L1_ACN = "L1_ACN", "S1 L1 annotation"
    S1_L1_ETAD = "L1_ETAD", "S1 L1 ETAD"
    S1_L2_SLICE = "L2_SLICE", "S1 L2 slice"
    S1_L2_ACN = "L2_ACN", "S1 L2 annotation"
    S1_SPP_OBS = "SPP_OBS", "S1 specific processing, orbit-based"
    S1_SPP_MBU = "SPP_MBU", "S1 specific processing, wave-mode BUFR"
    S2_AUX = "S2_AUX", "S2 auxiliary file"
    S2_HKTM = "S2_HKTM", "S2 housekeeping telemetry"
    S2_SAD = "S2_SAD", "S2 satellite ancillary data"
    S2_L0_GR = "S2_L0_GR", "S2 L0 granule"
    S2_L0_DS = "S2_L0_DS", "S2 L0 datastrip"
    S2_L1A_GR = "S2_L1A_GR", "S2 L1A granule"
    S2_L1A_DS = "S2_L1A_DS", "S2 L1A datastrip"
    S2_L1B_GR = "S2_L1B_GR", "S2 L1B granule"
    S2_L1B_DS = "S2_L1B_DS", "S2 L1B datastrip"
    S2_L1C_TL = "S2_L1C_TL", "S2 L1C tile"
    S2_L1C_DS = "S2_L1C_DS", "S2 L1C datastrip"
    S2_L1C_TC = "S2_L1C_TC", "S2 L1C true-colour image"
    S2_L2A_TL = "S2_L2A_TL", "S2 L2A tile"
    S2_L2A_DS = "S2_L2A_DS", "S2 L2A datastrip"
    S2_L2A_TC = "S2_L2A_TC", "S2 L2A true-colour image"
    S2_USER_PRODUCT = "S2_USER_PRODUCT", "S2 user product (MSIL1C/MSIL2A)"
    S3_GRANULES = "S3_GRANULES", "S3 L0 granule"
    S3_AUX = "S3_AUX", "S3 auxiliary file"
    S3_L0 = "S3_L0", "S3 L0 product"
    S3_CAL = "S3_CAL", "S3 calibration product"
    S3_PUG = "S3_PUG", "S3 PDU-assembled product"
    S3_L1_NRT = "S3_L1_NRT", "S3 L1 near real time"
    S3_L1_STC = "S3_L1_STC", "S3 L1 short time critical"
    S3_L1_NTC = "S3_L1_NTC", "S3 L1 non time critical"
    S3_L2_NRT = "S3_L2_NRT", "S3 L2 near real time"
    S3_L2_STC = "S3_L2_STC", "S3 L2 short time critical"
    S3_L2_NTC = "S3_L2_NTC", "S3 L2 non time critical"


# The families of auxiliary files (their level is AUX): no footprint (naming-and-metadata.md §9.1).
AUXILIARY_FAMILIES = frozenset({ProductFamily.AUXILIARY_FILE, ProductFamily.S2_AUX, ProductFamily.S2_SAD,
                                ProductFamily.S3_AUX})


class ProcessingLevel(models.TextChoices):
    L0 = "L0", "Level 0"
    L1 = "L1", "Level 1"
    L2 = "L2", "Level 2"
    AUX = "AUX", "Auxiliary"
    RAW = "RAW", "Raw downlink"
    OTHER = "OTHER", "Other"


class ProductionType(models.TextChoices):
    """PRIP ProductionType (prip-odata.md §2.5); values are the $metadata member names."""

    SYSTEMATIC = "systematic_production", "Systematic production"
    ON_DEMAND_DEFAULT = "on_demand_default", "On-demand, default parameters"
    ON_DEMAND_NON_DEFAULT = "on_demand_non_default", "On-demand, non-default parameters"


class AttributeType(models.TextChoices):
    """OData.CSC attribute subtypes (`ValueType` in the JSON)."""

    STRING = "String"
    INTEGER = "Integer"
    DOUBLE = "Double"
    BOOLEAN = "Boolean"
    DATETIME = "DateTimeOffset"


class AssetType(models.TextChoices):
    QUICKLOOK = "QUICKLOOK", "Quicklook image"
    OTHER = "OTHER", "Other file"


class DeletionCause(models.TextChoices):
    """Why a product went: the four causes the PRIP ICD allows for a DeletedProduct (prip-odata.md §2.6), and the
    removal of a validation campaign's scope, which only ever concerns products the PRIP does not list."""

    DUPLICATED = "Duplicated product"
    MISSING_CHECKSUM = "Missing checksum"
    CORRUPTED = "Corrupted product"
    OBSOLETE = "Obsolete product or Other"
    SCOPE_REMOVED = "Campaign scope removed"


# The causes a product is evicted or deleted for (those of the ICD); SCOPE_REMOVED is written by the removal of a
# scope alone, so no DeletedProduct the PRIP lists ever carries it.
PRIP_DELETION_CAUSES = frozenset({DeletionCause.DUPLICATED, DeletionCause.MISSING_CHECKSUM, DeletionCause.CORRUPTED,
                                  DeletionCause.OBSOLETE})


class EventKind(models.TextChoices):
    CREATED = "created"
    PUBLISHED = "published"
    MODIFIED = "modified"
    EVICTED = "evicted"
    DELETED = "deleted"


OPERATIONAL_SCOPE = "operational"
