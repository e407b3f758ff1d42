"""Sentinel-1 SAR products and SAFE auxiliary files (naming-and-metadata.md §3.1, §3.2; reference-system.md §4).

L0 slice or segment from the NAME alone (class S):
* one polarisation channel (HH, HV, VV, VH) → L0_SEGMENT: AIOP writes one segment per polarisation;
* dual polarisation (DH, DV) → L0_SLICE: only L0ASP assembles both channels;
* single polarisation (SH, SV) is written by both → L0_SLICE from the name; extraction refines it with the
  manifest's productConsolidation (SLICE → slice; FULL, START, END, PARTIAL → segment);
* GP/HK (class and polarisation `_`) and RF → L0_SEGMENT (AIOP outputs); AN, N1-N6 and Z* modes → L0_BLANK.
"""

from __future__ import annotations

import re

from rs.catalog.choices import ProcessingLevel, ProductFamily
from rs.catalog.families import S1_HIGHER_LEVEL_FAMILIES
from rs.ingestion.identification.delivery_path import Delivery
from rs.ingestion.identification.name_times import check_order, name_time
from rs.ingestion.identification.results import Identification, UnrecognisedName

BLANK_MODES = frozenset({"AN", "N1", "N2", "N3", "N4", "N5", "N6", "Z1", "Z2", "Z3", "Z4", "Z5", "Z6",
                         "ZE", "ZI", "ZW", "ZS"})
SEGMENT_POLARISATIONS = frozenset({"HH", "HV", "VV", "VH"})
SLICE_POLARISATIONS = frozenset({"DH", "DV"})
AMBIGUOUS_POLARISATIONS = frozenset({"SH", "SV"})  # the manifest decides (module docstring)
HOUSEKEEPING_MODES = frozenset({"GP", "HK"})

# (type, level) → (resolutions allowed, processing level)
_TYPE_LEVELS = {
    ("RAW", "0"): ("_", ProcessingLevel.L0),
    ("SLC", "1"): ("_", ProcessingLevel.L1),
    ("GRD", "1"): ("FHM", ProcessingLevel.L1),
    ("ETA", "A"): ("_", ProcessingLevel.L1),
    ("OCN", "2"): ("_", ProcessingLevel.L2),
}
def s1_l0_family(*, mode: str, klass: str, polarisation: str) -> str:
    """The family of an L0 product from its name (module docstring); ValueError with the reason otherwise."""
    if (mode in HOUSEKEEPING_MODES) != (klass == "_" and polarisation == "__"):
        raise ValueError(f"mode {mode} with class {klass!r} and polarisation {polarisation!r}: GP/HK products "
                         "and only they have class and polarisation '_'")
    if mode in BLANK_MODES:
        return ProductFamily.S1_L0_BLANK
    if mode in HOUSEKEEPING_MODES:
        return ProductFamily.S1_L0_SEGMENT
    if klass in "ACN":
        return ProductFamily.S1_L0_ACN
    if klass != "S":
        raise ValueError(f"class {klass!r} does not exist at level 0")
    if polarisation in SEGMENT_POLARISATIONS or mode == "RF":
        return ProductFamily.S1_L0_SEGMENT
    return ProductFamily.S1_L0_SLICE  # DH/DV, and SH/SV until the manifest says otherwise


def s1_family(fields: dict[str, str]) -> tuple[str, str]:
    """(family, processing level) of a matched S1 product name; ValueError with the reason otherwise."""
    kind, level, resolution = fields["type"], fields["level"], fields["resolution"]
    allowed = _TYPE_LEVELS.get((kind, level))
    if allowed is None:
        raise ValueError(f"product type {kind} does not exist at level {level}")
    resolutions, processing_level = allowed
    if resolution not in resolutions:
        raise ValueError(f"resolution {resolution!r} is not valid for {kind} products")
    if kind == "RAW":
        return s1_l0_family(mode=fields["mode"], klass=fields["klass"], polarisation=fields["polarisation"]), \
            processing_level
    if fields["polarisation"] == "__" or fields["mode"] in HOUSEKEEPING_MODES | BLANK_MODES | {"RF", "EN"}:
        raise ValueError(f"mode {fields['mode']} / polarisation {fields['polarisation']} has no level-{level} products")
    family = S1_HIGHER_LEVEL_FAMILIES.get((kind, fields["klass"]))
    if family is None:
        raise ValueError(f"class {fields['klass']!r} does not exist for {kind} products")
    return family, processing_level


def identify_s1_product(match: re.Match[str], delivery: Delivery) -> Identification:
    stem = delivery.stem
    fields = {k: v for k, v in match.groupdict().items() if v is not None}
    try:
        family, level = s1_family(fields)
    except ValueError as exc:
        raise UnrecognisedName(f"{stem}: {exc}") from None
    start = name_time(fields["start"], name=stem, what="sensing start")
    stop = name_time(fields["stop"], name=stem, what="sensing stop")
    check_order(start, stop, name=stem, what="sensing period")
    # .ISIP is the L0 container written by AIOP/L0ASP; the product is catalogued and published as .SAFE.
    name = stem[: -len(".ISIP")] + ".SAFE" if fields.get("ext") == ".ISIP" else stem
    return Identification(
        name=name, archive_suffix=delivery.archive_suffix, family=family, mission="S1",
        platform=fields["satellite"], product_type=stem[4:14], level=level, start=start, stop=stop,
        validity_start=None, validity_stop=None, generation=None, timeliness="", fields=fields, session=None,
        metadata_files=("manifest.safe",), is_container=True, pattern="S1_PRODUCT",
    )


def identify_s1_aux_safe(match: re.Match[str], delivery: Delivery) -> Identification:
    stem = delivery.stem
    fields = {k: v for k, v in match.groupdict().items() if v is not None}
    validity_start = name_time(fields["validity_start"], name=stem, what="validity start")
    validity_stop = (name_time(fields["validity_stop"], name=stem, what="validity stop")
                     if "validity_stop" in fields else None)
    check_order(validity_start, validity_stop, name=stem, what="validity")
    return Identification(
        name=stem, archive_suffix=delivery.archive_suffix, family=ProductFamily.AUXILIARY_FILE, mission="S1",
        platform=fields["satellite"], product_type=f"AUX_{fields['aux']}", level=ProcessingLevel.AUX,
        start=None, stop=None, validity_start=validity_start, validity_stop=validity_stop,
        generation=name_time(fields["generation"], name=stem, what="generation time"), timeliness="",
        fields=fields, session=None, metadata_files=("manifest.safe",), is_container=True, pattern="S1_AUX_SAFE",
    )
