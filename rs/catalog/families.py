"""Family and processing level of a product from its mission, type and name, as the catalogue classifies them.

The bulk load classifies by product type alone; ingestion identifies by name and takes from here what both need
(the S1 L1/L2 families, the auxiliary-file families), so the two cannot disagree on them.
"""

from __future__ import annotations

import re
from typing import Any

from rs.catalog.choices import Mission, ProcessingLevel, ProductFamily

_S1_PRODUCT_TYPE = re.compile(
    r"^(?P<mode>[A-Z0-9]{2})_(?P<kind>RAW|SLC|GRD|OCN|ETA)[FHM_]_(?P<level>[012A])(?P<klass>[SACNX_])$")
_S1_KIND_LEVEL = {"RAW": "0", "SLC": "1", "GRD": "1", "OCN": "2", "ETA": "A"}
_S1_BLANK_MODE = re.compile(r"^(AN|N[1-6]|Z[1-6EISW])$")
_S1_L0_CONSOLIDATION = {"SLICE": ProductFamily.S1_L0_SLICE, "FULL": ProductFamily.S1_L0_SEGMENT,
                        "START": ProductFamily.S1_L0_SEGMENT, "END": ProductFamily.S1_L0_SEGMENT,
                        "PARTIAL": ProductFamily.S1_L0_SEGMENT}
_S1_AUX_TYPE = re.compile(r"^(AUX_|MPL_|MSK_|AMH_|AMV_|AM__)")
# File type → family of the S2 PDI products. Unconsolidated L0 (L0U) belongs to the L0 families; its product type
# keeps it apart. The level is the type's digit (MSI_L1C_TL → L1).
S2_PDI_FAMILIES: dict[str, str] = {
    "MSI_L0__GR": ProductFamily.S2_L0_GR, "MSI_L0U_GR": ProductFamily.S2_L0_GR,
    "MSI_L0__DS": ProductFamily.S2_L0_DS, "MSI_L0U_DS": ProductFamily.S2_L0_DS,
    "MSI_L1A_GR": ProductFamily.S2_L1A_GR, "MSI_L1A_DS": ProductFamily.S2_L1A_DS,
    "MSI_L1B_GR": ProductFamily.S2_L1B_GR, "MSI_L1B_DS": ProductFamily.S2_L1B_DS,
    "MSI_L1C_TL": ProductFamily.S2_L1C_TL, "MSI_L1C_DS": ProductFamily.S2_L1C_DS,
    "MSI_L1C_TC": ProductFamily.S2_L1C_TC,
    "MSI_L2A_TL": ProductFamily.S2_L2A_TL, "MSI_L2A_DS": ProductFamily.S2_L2A_DS,
    "MSI_L2A_TC": ProductFamily.S2_L2A_TC,
}
_S2_TYPES: dict[str, tuple[str, str]] = {
    "S2MSI1C": (ProductFamily.S2_USER_PRODUCT, ProcessingLevel.L1),
    "S2MSI2A": (ProductFamily.S2_USER_PRODUCT, ProcessingLevel.L2),
    "PRD_HKTM__": (ProductFamily.S2_HKTM, ProcessingLevel.L0),
    "AUX_SADATA": (ProductFamily.S2_SAD, ProcessingLevel.AUX),
    **{file_type: (family, f"L{file_type[5]}") for file_type, family in S2_PDI_FAMILIES.items()},
}
_S2_AUX_TYPE = re.compile(r"^(AUX_|GIP_|DEM_|GRI_)")
_S3_PRODUCT_TYPE = re.compile(r"^(?P<source>OL|SL|SR|DO|MW|GN|SY|TM|AX)_(?P<level>[0-2_])_(?P<datatype>[A-Z0-9_]{6})$")
_S3_CLASS_ID = re.compile(r"_[OFDR_]_(?P<timeliness>NR|ST|NT|AL|SN|NS|NN|__)_[A-Z0-9_]{3}(?:\.SEN3|\.ISIP)?$")
_S3_TIMELINESS = {"NR": "NRT", "ST": "STC", "NT": "NTC"}


# S1 L1/L2 products: (type, product class) → family (class S: slice; A: assembled; ETAD: X).
S1_HIGHER_LEVEL_FAMILIES = {
    ("SLC", "S"): ProductFamily.S1_L1_SLICE, ("SLC", "A"): ProductFamily.S1_L1_ACN,
    ("GRD", "S"): ProductFamily.S1_L1_SLICE, ("GRD", "A"): ProductFamily.S1_L1_ACN,
    ("ETA", "X"): ProductFamily.S1_L1_ETAD,
    ("OCN", "S"): ProductFamily.S1_L2_SLICE, ("OCN", "A"): ProductFamily.S1_L2_ACN,
}
# Sentinel-1 plans and reports (COPRS PLAN_AND_REPORT retention policy); MPL_ORB* orbit files are processing aux.
_S1_PLAN_OR_REPORT = re.compile(r"^(REP_|MPL_(?!ORB)|AM[VH_]_FAILUR)")


def earth_explorer_family(mission: str, file_type: str) -> tuple[str, str]:
    """(family, level) of an auxiliary file, plan or report (Earth Explorer and SAFE aux) by its file type."""
    if mission == Mission.S1:
        if _S1_PLAN_OR_REPORT.match(file_type):
            return ProductFamily.PLAN_AND_REPORT, ProcessingLevel.OTHER
        return ProductFamily.AUXILIARY_FILE, ProcessingLevel.AUX
    if mission == Mission.S2:
        return (ProductFamily.S2_SAD if file_type == "AUX_SADATA" else ProductFamily.S2_AUX), ProcessingLevel.AUX
    return ProductFamily.S3_AUX, ProcessingLevel.AUX


def s1_mode_of(product_type: str) -> str:
    """The acquisition mode of an S1 product type (`IW_GRDH_1S` → `IW`), '' for aux files and reports."""
    return product_type[:2] if _S1_PRODUCT_TYPE.match(product_type) else ""


def classification_of(*, mission: str, product_type: str, name: str, attributes: dict[str, Any]) -> tuple[str, str]:
    """(family, level) of a product; raises ValueError with the reason when the table has no answer."""
    if mission == Mission.S1:
        if _S1_AUX_TYPE.match(product_type) or product_type.startswith("REP_"):
            return earth_explorer_family(mission, product_type)
        m = _S1_PRODUCT_TYPE.match(product_type)
        if m is None or _S1_KIND_LEVEL[m["kind"]] != m["level"]:
            raise ValueError(f"{product_type!r} is not a Sentinel-1 product type the loader can classify")
        kind, klass = m["kind"], m["klass"]
        if kind == "RAW":
            if _S1_BLANK_MODE.match(m["mode"]):
                return ProductFamily.S1_L0_BLANK, ProcessingLevel.L0
            if klass in "ACN":
                return ProductFamily.S1_L0_ACN, ProcessingLevel.L0
            if klass == "_":  # GP, HK: AIOP segments
                return ProductFamily.S1_L0_SEGMENT, ProcessingLevel.L0
            consolidation = attributes.get("productConsolidation")
            if consolidation not in _S1_L0_CONSOLIDATION:
                raise ValueError(f"an L0 {product_type} needs the attribute productConsolidation (SLICE for a slice, "
                                 "FULL, START, END or PARTIAL for a segment)")
            return _S1_L0_CONSOLIDATION[consolidation], ProcessingLevel.L0
        family = S1_HIGHER_LEVEL_FAMILIES.get((kind, klass))
        if family is None:
            raise ValueError(f"{product_type!r} has product class {klass!r}: "
                             f"{'X' if kind == 'ETA' else 'S or A'} expected")
        return family, ProcessingLevel.L2 if kind == "OCN" else ProcessingLevel.L1
    if mission == Mission.S2:
        if product_type in _S2_TYPES:
            return _S2_TYPES[product_type]
        if _S2_AUX_TYPE.match(product_type):
            return earth_explorer_family(mission, product_type)
        raise ValueError(f"{product_type!r} is not a Sentinel-2 product type the loader can classify")
    m = _S3_PRODUCT_TYPE.match(product_type)
    if m is None:
        raise ValueError(f"{product_type!r} is not a Sentinel-3 product type the loader can classify")
    if m["datatype"].endswith("AX"):
        return earth_explorer_family(mission, product_type)
    if m["level"] == "0":
        return (ProductFamily.S3_GRANULES if m["datatype"].endswith("G") else ProductFamily.S3_L0), ProcessingLevel.L0
    if m["level"] not in "12":
        raise ValueError(f"{product_type!r} has no processing level")
    class_id = _S3_CLASS_ID.search(name)
    timeliness = _S3_TIMELINESS.get(class_id["timeliness"]) if class_id else None
    if timeliness is None:
        raise ValueError(f"the name of an L{m['level']} {product_type} must end with a class id of timeliness "
                         "NR, ST or NT")
    return f"S3_L{m['level']}_{timeliness}", f"L{m['level']}"

