"""identify(): a delivered name or relative path → Identification, or UnrecognisedName with the reason."""

from __future__ import annotations

import re
from collections.abc import Callable

from rs.ingestion.identification.delivery_path import Delivery, delivery_parse, reject_non_products
from rs.ingestion.identification.earth_explorer import identify_earth_explorer
from rs.ingestion.identification.name_times import name_time
from rs.ingestion.identification.patterns import ARCHIVE_SUFFIX, ORDER, TIME
from rs.ingestion.identification.results import Identification, UnrecognisedName
from rs.ingestion.identification.sentinel1 import identify_s1_aux_safe, identify_s1_product
from rs.ingestion.identification.sentinel2 import identify_s2_hktm, identify_s2_pdi, identify_s2_user
from rs.ingestion.identification.sentinel3 import identify_s3_product
from rs.ingestion.identification.sessions import identify_session

Builder = Callable[[re.Match[str], Delivery], Identification]

BUILDERS: dict[str, Builder] = {
    "S1_PRODUCT": identify_s1_product,
    "S1_AUX_SAFE": identify_s1_aux_safe,
    "S3_PRODUCT": identify_s3_product,
    "S2_HKTM": identify_s2_hktm,
    "S2_USER": identify_s2_user,
    "S2_PDI": identify_s2_pdi,
    "EO_VALIDITY": lambda m, d: identify_earth_explorer(m, d, "EO_VALIDITY"),
    "EO_PERIOD": lambda m, d: identify_earth_explorer(m, d, "EO_PERIOD"),
    "EO_START": lambda m, d: identify_earth_explorer(m, d, "EO_START"),
    "EO_MASK": lambda m, d: identify_earth_explorer(m, d, "EO_MASK"),
}

_HINTS = {
    "S1": "any Sentinel-1 pattern (SAR product S1x_BB_TTTR_LFPP_<start>_<stop>_<orbit>_<datatake>_<crc>[.SAFE], "
          "SAFE aux S1x_AUX_TTT_V<start>[_<stop>]_G<generation>[.SAFE], Earth Explorer file)",
    "S2": "any Sentinel-2 pattern (PDI S2x_CCCC_TTTTTTTTTT_ssss_<creation>[_suffix…][.ext], user product "
          "S2x_MSIL1C_<start>_Nbbbb_Rooo_Ttttt_<discriminator>[.SAFE], HKTM, Earth Explorer file)",
    "S3": "the Sentinel-3 pattern (S3x_SS_L_TTTTTT_<start>_<stop>_<creation>_<instance 17>_<centre>_<P>_<TT>_<bbb>"
          "[.SEN3|.ISIP])",
}


def _match(stem: str) -> tuple[str, re.Match[str]] | None:
    for pattern_name, pattern in ORDER:
        match = pattern.match(stem)
        if match:
            return pattern_name, match
    return None


def _reject_inside_product(delivery: Delivery) -> None:
    for parent in delivery.parents:
        suffix = ARCHIVE_SUFFIX.search(parent)
        if _match(parent[: suffix.start()] if suffix else parent):
            raise UnrecognisedName(f"{delivery.path}: a file inside the product {parent}, not a product")


def _why_unrecognised(delivery: Delivery) -> str:
    stem = delivery.stem
    for token in TIME.findall(stem):
        name_time(token, name=stem, what="date")  # raises with the precise reason
    if stem != stem.upper() and _match(stem.upper()):
        return (f"{stem}: lower-case variant of a Sentinel name (names are case-sensitive; only the archive "
                "extension is not)")
    truncated = " — it looks truncated" if stem.endswith(("_", ".", "-")) else ""
    hint = _HINTS.get(stem[:2])
    if hint:
        return f"{stem}: does not match {hint}{truncated}"
    return f"{stem}: matches no Sentinel product, auxiliary, Earth Explorer or session file pattern{truncated}"


def identify(path_or_name: str) -> Identification:
    """Identify a bare name or a relative delivery path; never guesses (naming-and-metadata.md §1-§3)."""
    delivery = delivery_parse(path_or_name)
    reject_non_products(delivery)
    if delivery.filename.startswith("DCS_"):
        return identify_session(delivery)
    _reject_inside_product(delivery)
    found = _match(delivery.stem)
    if found is None:
        raise UnrecognisedName(_why_unrecognised(delivery))
    pattern_name, match = found
    return BUILDERS[pattern_name](match, delivery)
