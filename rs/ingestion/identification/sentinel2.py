"""Sentinel-2 names: PDGS (PDI) products and aux, user products, HKTM (naming-and-metadata.md §3.3)."""

from __future__ import annotations

import re
from datetime import datetime

from rs.catalog.choices import ProcessingLevel, ProductFamily
from rs.catalog.families import S2_PDI_FAMILIES
from rs.ingestion.identification.delivery_path import Delivery
from rs.ingestion.identification.name_times import check_order, name_time
from rs.ingestion.identification.patterns import S2_SUFFIX
from rs.ingestion.identification.results import Identification, UnrecognisedName

PDI_PRODUCT_FAMILIES = S2_PDI_FAMILIES
AUX_PREFIXES = ("AUX_", "GIP_", "DEM_", "GRI_")
SAD_TYPE = "AUX_SADATA"
_LEVELS = {"0": ProcessingLevel.L0, "1": ProcessingLevel.L1, "2": ProcessingLevel.L2}
_SINGLE_FILE_EXTENSIONS = frozenset({"xml", "jp2", "bin", "HDR", "DBL", "EOF", "json"})
_IMAGE_EXTENSIONS = frozenset({"bin", "jp2"})


def user_product_type(level: str) -> str:
    """`L1C` → `S2MSI1C`, `L2A` → `S2MSI2A` (CDSE product types of user products)."""
    return f"S2MSI{level[1:]}"


def identify_s2_hktm(match: re.Match[str], delivery: Delivery) -> Identification:
    stem = delivery.stem
    fields = {k: v for k, v in match.groupdict().items() if v is not None}
    start = name_time(fields["start"], name=stem, what="sensing start")
    stop = name_time(fields["stop"], name=stem, what="sensing stop")
    check_order(start, stop, name=stem, what="sensing period")
    return Identification(
        name=stem, archive_suffix=delivery.archive_suffix, family=ProductFamily.S2_HKTM, mission="S2",
        platform=fields["satellite"], product_type="PRD_HKTM__", level=ProcessingLevel.L0, start=start, stop=stop,
        validity_start=None, validity_stop=None, generation=None, timeliness="", fields=fields, session=None,
        metadata_files=("manifest.safe",), is_container=True, pattern="S2_HKTM",
    )


def identify_s2_user(match: re.Match[str], delivery: Delivery) -> Identification:
    stem = delivery.stem
    fields = {k: v for k, v in match.groupdict().items() if v is not None}
    level = fields["level"]
    name_time(fields["discriminator"], name=stem, what="product discriminator")
    return Identification(
        name=stem, archive_suffix=delivery.archive_suffix, family=ProductFamily.S2_USER_PRODUCT, mission="S2",
        platform=fields["satellite"], product_type=user_product_type(level), level=_LEVELS[level[1]],
        start=name_time(fields["start"], name=stem, what="datatake sensing start"), stop=None,
        validity_start=None, validity_stop=None,
        # The discriminator only tells user products of one datatake apart (ESA: "earlier or slightly later than
        # the datatake sensing time"): it is not a generation time, which extraction reads from the MTD.
        generation=None, timeliness="", fields=fields, session=None,
        metadata_files=(f"MTD_MSI{level}.xml", "manifest.safe"), is_container=True, pattern="S2_USER",
    )


def _suffixes(stem: str, text: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for suffix in S2_SUFFIX.finditer(text):
        ((letter, value),) = [(k, v) for k, v in suffix.groupdict().items() if v is not None]
        if letter in found:
            raise UnrecognisedName(f"{stem}: suffix _{letter} appears twice")
        found[letter] = value
    return found


def _family_of_pdi(stem: str, file_type: str, suffixes: dict[str, str], ext: str | None) -> tuple[str, str, str]:
    """(family, product type, processing level) of a PDI name; UnrecognisedName for files inside products."""
    if file_type.startswith("MTD_"):
        raise UnrecognisedName(f"{stem}: an S2 metadata file ({file_type}) inside a product, not a product")
    if file_type.startswith("QLK_"):
        raise UnrecognisedName(f"{stem}: an S2 quicklook image ({file_type}) inside a product, not a product")
    if file_type in PDI_PRODUCT_FAMILIES:
        if "B" in suffixes and ext in _IMAGE_EXTENSIONS:
            raise UnrecognisedName(
                f"{stem}: the band {suffixes['B']} image inside an S2 {file_type[4:]} product (IMG_DATA), "
                "not a product"
            )
        return PDI_PRODUCT_FAMILIES[file_type], file_type, _LEVELS[file_type[5]]
    if file_type.startswith("PRD_MSI") and file_type[7:] in ("L1C", "L2A", "L1B", "L1A"):
        return ProductFamily.S2_USER_PRODUCT, user_product_type(file_type[7:]), _LEVELS[file_type[8]]
    if file_type == SAD_TYPE:
        return ProductFamily.S2_SAD, file_type, ProcessingLevel.AUX
    if file_type.startswith(AUX_PREFIXES):
        return ProductFamily.S2_AUX, file_type, ProcessingLevel.AUX
    raise UnrecognisedName(f"{stem}: no Sentinel-2 family for file type {file_type}")


def _metadata_files(stem: str, fields: dict[str, str], family: str, ext: str | None) -> tuple[str, ...]:
    if ext in _SINGLE_FILE_EXTENSIONS:
        return ("",) if ext == "EOF" else ()
    if family in (ProductFamily.S2_AUX,):
        return ()
    if family == ProductFamily.S2_SAD:
        return ("Inventory_Metadata.xml",)
    base = stem[: -len(".SAFE")] if stem.endswith(".SAFE") else stem
    if family == ProductFamily.S2_USER_PRODUCT:  # the 2015-2016 format: S2A_OPER_PRD_MSIL1C_… with its own MTD
        return (base.replace("_PRD_MSI", "_MTD_SAF", 1) + ".xml", "manifest.safe")
    # The PDI metadata file: MSI → MTD in the file type, without the baseline suffix.
    suffixes = re.sub(r"_N\d{2}\.\d{2}", "", fields.get("suffixes", ""))
    mtd = f"{base[:9]}MTD_{fields['file_type'][4:]}_{fields['site']}_{fields['creation']}{suffixes}.xml"
    return ("manifest.safe", "Inventory_Metadata.xml", mtd)


def identify_s2_pdi(match: re.Match[str], delivery: Delivery) -> Identification:
    stem = delivery.stem
    fields = {k: v for k, v in match.groupdict().items() if v is not None}
    ext = fields.get("ext")
    suffixes = _suffixes(stem, fields.get("suffixes", ""))
    family, product_type, level = _family_of_pdi(stem, fields["file_type"], suffixes, ext)
    if family not in (ProductFamily.S2_AUX, ProductFamily.S2_SAD) and fields["satellite"] == "_":
        raise UnrecognisedName(f"{stem}: an S2 {product_type} product needs a satellite unit (S2A…), "
                               "not S2_")
    times: dict[str, datetime | None] = {"S": None, "V0": None, "V1": None}
    if "S" in suffixes:
        times["S"] = name_time(suffixes["S"], name=stem, what="sensing/applicability start")
    if "V" in suffixes:
        first, _, second = suffixes["V"].partition("_")
        times["V0"] = name_time(first, name=stem, what="validity start")
        times["V1"] = name_time(second, name=stem, what="validity stop") if second else None
        check_order(times["V0"], times["V1"], name=stem, what="validity period")
    start = stop = validity_start = validity_stop = None
    if level == ProcessingLevel.AUX:  # _S: applicability start (open stop); _V: validity period
        validity_start, validity_stop = times["V0"] or times["S"], times["V1"]
    elif times["S"] is not None:  # a datastrip/granule: _S is the sensing start; _V, if any, belongs to the source
        start = times["S"]
    else:
        start, stop = times["V0"], times["V1"]
    is_container = ext not in _SINGLE_FILE_EXTENSIONS
    return Identification(
        name=stem, archive_suffix=delivery.archive_suffix, family=family, mission="S2",
        platform=fields["satellite"], product_type=product_type, level=level, start=start, stop=stop,
        validity_start=validity_start, validity_stop=validity_stop,
        generation=name_time(fields["creation"], name=stem, what="creation time"), timeliness="",
        fields={**fields, **{f"suffix_{letter}": value for letter, value in suffixes.items()}}, session=None,
        metadata_files=_metadata_files(stem, fields, family, ext), is_container=is_container, pattern="S2_PDI",
    )
