"""PI types of the timeliness and completeness KPIs (reference-system.md §8.1): one classification function for
produced and missing products, and the threshold of each type."""

from __future__ import annotations

from dataclasses import dataclass

# Threshold (seconds) between OriginDate (t0) and PublicationDate, per PI type (§8.1).
THRESHOLDS_S: dict[str, int] = {
    "S1-L0-HKGP": 1800,
    "S1-L0-NRT": 5400,
    "S1-L0-WV": 3600,
    "S1-L12-NRT": 10800,
    "S1-L12-NTC": 21600,
    "S1-L12-WV": 10800,  # COPRS' missing-products side calls it S1-L12-WAVE: one name here
    "S1-L2-WV": 10800,  # defined by COPRS, never assigned by its classification (nor by ours)
    "S2-L0-HKAN": 1800,
    "S2-L1C": 4500,
    "S2-L2A": 7200,
    "S3-HKAN": 1800,
    "S3-NRT": 3600,
    "S3-STC1": 72000,
    "S3-STC2": 158400,
    "S3-NTC1": 252000,
    "S3-NTC2": 2505600,
}
EXCLUDED = frozenset({"N/A:S1-L0-SEG", "N/A:S1-L0-F24", "N/A:S2-L0", "N/A:S3-ISIP", "UNDEFINED"})

_S1_L0ASP = frozenset({"L0_SLICE", "L0_ACN", "L0_BLANK"})
_S1_L12 = frozenset({"L1_SLICE", "L1_ACN", "L1_ETAD", "L2_SLICE", "L2_ACN", "SPP_OBS", "SPP_MBU"})
_S3_NRT_FAMILIES = frozenset({"S3_L1_NRT", "S3_L2_NRT"})
_S3_STC_FAMILIES = frozenset({"S3_L1_STC", "S3_L2_STC"})
_S3_NTC_FAMILIES = frozenset({"S3_L1_NTC", "S3_L2_NTC"})
# S1 input timeliness FAST24 as the catalogue spells it (packet-store values map to FAST24, §8.1).
_FAST24 = frozenset({"FAST24", "FAST-24H", "FAST_24H"})


@dataclass(frozen=True)
class ProductClass:
    """What the classification reads of a product (catalogued, or expected and missing)."""

    mission: str
    family: str
    product_type: str
    mode: str = ""
    timeliness: str = ""


def _is_wave(product: ProductClass) -> bool:
    # WV L0 types are WV_RAW__0S/0A/0C/0N: the mode and the type prefix both say WV (COPRS' WV_SLC__0* never match).
    return product.mode.upper() == "WV" or product.product_type.upper().startswith("WV_")


def pi_type_of(product: ProductClass) -> str:
    """The PI type of a product; one of EXCLUDED when the KPIs do not count it."""
    family, product_type = product.family, product.product_type.upper()
    fast24 = product.timeliness.upper() in _FAST24
    if product.mission == "S1":
        if product_type in {"GP_RAW__0_", "HK_RAW__0_"}:
            return "S1-L0-HKGP"
        if family == "L0_SEGMENT":
            return "N/A:S1-L0-SEG"
        if family in _S1_L0ASP:
            if _is_wave(product):
                return "S1-L0-WV"
            return "N/A:S1-L0-F24" if fast24 else "S1-L0-NRT"
        if family in _S1_L12:
            if _is_wave(product):
                return "S1-L12-WV"
            return "S1-L12-NTC" if fast24 else "S1-L12-NRT"
        return "UNDEFINED"
    if product.mission == "S2":
        if product_type in {"AUX_SADATA", "PRD_HKTM"} or family in {"S2_HKTM", "S2_SAD"}:
            return "S2-L0-HKAN"
        if product_type in {"MSI_L1C_DS", "MSI_L1C_TL", "MSI_L1C_TC"} or family.startswith("S2_L1C_"):
            return "S2-L1C"
        if product_type in {"MSI_L2A_DS", "MSI_L2A_TL", "MSI_L2A_TC"} or family.startswith("S2_L2A_"):
            return "S2-L2A"
        if family in {"S2_L0_GR", "S2_L0_DS"}:
            return "N/A:S2-L0"
        return "UNDEFINED"
    if product.mission == "S3":
        if family == "S3_GRANULES":
            return "N/A:S3-ISIP"
        if family == "S3_L0":
            return "S3-HKAN" if product_type.startswith("TM_") else "S3-NRT"
        if family in _S3_NRT_FAMILIES:
            return "S3-NRT"
        if family in _S3_STC_FAMILIES:
            return "S3-STC1" if product_type.startswith("SY_2_") else "S3-STC2"
        if family in _S3_NTC_FAMILIES:
            return "S3-NTC2" if product_type.startswith(("SR_1_", "MW_1_")) else "S3-NTC1"
    return "UNDEFINED"
