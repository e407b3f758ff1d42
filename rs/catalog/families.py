"""Family and processing level of a product from its mission, type and name, as the catalogue classifies them.

Shared by everything that catalogues products without a full identification from the name (the bulk load) and by
identification itself: one table, so the two can never disagree.
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
_S2_TYPES: dict[str, tuple[str, str]] = {
    "S2MSI1C": (ProductFamily.S2_USER_PRODUCT, ProcessingLevel.L1),
    "S2MSI2A": (ProductFamily.S2_USER_PRODUCT, ProcessingLevel.L2),
    "PRD_HKTM__": (ProductFamily.S2_HKTM, ProcessingLevel.L0),
    "AUX_SADATA": (ProductFamily.S2_SAD, ProcessingLevel.AUX),
    **{f"MSI_{level}_{unit}": (f"S2_{level.rstrip('_')}_{unit}", f"L{level[1]}")
       for level, units in (("L0_", ("GR", "DS")), ("L1A", ("GR", "DS")), ("L1B", ("GR", "DS")),
                            ("L1C", ("TL", "DS", "TC")), ("L2A", ("TL", "DS", "TC")))
       for unit in units},
}
_S2_AUX_TYPE = re.compile(r"^(AUX_|GIP_|DEM_|GRI_)")
_S3_PRODUCT_TYPE = re.compile(r"^(?P<source>OL|SL|SR|DO|MW|GN|SY|TM|AX)_(?P<level>[0-2_])_(?P<datatype>[A-Z0-9_]{6})$")
_S3_CLASS_ID = re.compile(r"_[OFDR_]_(?P<timeliness>NR|ST|NT|AL|SN|NS|NN|__)_[A-Z0-9_]{3}(?:\.SEN3|\.ISIP)?$")
_S3_TIMELINESS = {"NR": "NRT", "ST": "STC", "NT": "NTC"}


def s1_mode_of(product_type: str) -> str:
    """The acquisition mode of an S1 product type (`IW_GRDH_1S` → `IW`), '' for aux files and reports."""
    return product_type[:2] if _S1_PRODUCT_TYPE.match(product_type) else ""


def classification_of(*, mission: str, product_type: str, name: str, attributes: dict[str, Any]) -> tuple[str, str]:
    """(family, level) of a product; raises ValueError with the reason when the table has no answer."""
    if mission == Mission.S1:
        if _S1_AUX_TYPE.match(product_type):
            return ProductFamily.AUXILIARY_FILE, ProcessingLevel.AUX
        if product_type.startswith("REP_"):
            return ProductFamily.PLAN_AND_REPORT, ProcessingLevel.OTHER
        m = _S1_PRODUCT_TYPE.match(product_type)
        if m is None or _S1_KIND_LEVEL[m["kind"]] != m["level"]:
            raise ValueError(f"{product_type!r} is not a Sentinel-1 product type the loader can classify")
        kind, klass = m["kind"], m["klass"]
        if kind == "ETA":
            return ProductFamily.S1_L1_ETAD, ProcessingLevel.L1
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
        if klass not in "SA":
            raise ValueError(f"{product_type!r} has product class {klass!r}: S or A expected")
        if kind == "OCN":
            return (ProductFamily.S1_L2_SLICE if klass == "S" else ProductFamily.S1_L2_ACN), ProcessingLevel.L2
        return (ProductFamily.S1_L1_SLICE if klass == "S" else ProductFamily.S1_L1_ACN), ProcessingLevel.L1
    if mission == Mission.S2:
        if product_type in _S2_TYPES:
            return _S2_TYPES[product_type]
        if _S2_AUX_TYPE.match(product_type):
            return ProductFamily.S2_AUX, ProcessingLevel.AUX
        raise ValueError(f"{product_type!r} is not a Sentinel-2 product type the loader can classify")
    m = _S3_PRODUCT_TYPE.match(product_type)
    if m is None:
        raise ValueError(f"{product_type!r} is not a Sentinel-3 product type the loader can classify")
    if m["datatype"].endswith("AX"):
        return ProductFamily.S3_AUX, ProcessingLevel.AUX
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

