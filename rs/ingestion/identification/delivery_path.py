"""Checks on the delivered name or relative path before any pattern: traversal, companions, files inside products."""

from __future__ import annotations

import re
from dataclasses import dataclass

from rs.ingestion.identification.patterns import ARCHIVE_SUFFIX, CDSE_BURST
from rs.ingestion.identification.results import UnrecognisedName

MAX_NAME_LENGTH = 255  # catalogue and file-system limit of one name
_CONTROL_OR_SPACE = re.compile(r"[\x00-\x20\x7f]")
_CHECKSUM_COMPANION = re.compile(r"\.(?:md5sum|md5|sha1|sha256|sha512)$", re.IGNORECASE)
_MISSION_PREFIX = re.compile(r"^S[1-3][A-D_]?$")
# Files that only exist inside a product (SAFE / SEN3 / S2 PDI and user products).
_INNER_METADATA = {"manifest.safe", "xfdumanifest.xml", "Inventory_Metadata.xml"}


@dataclass(frozen=True)
class Delivery:
    """A delivered name split into its parts: `S1A/SESSION1/ch01/DCS_….xml` or `S1A_….SAFE.zip`."""

    path: str  # as given, trailing "/" removed
    parents: tuple[str, ...]  # directories of a relative delivery path
    filename: str  # the last component
    stem: str  # filename without its archive suffix
    archive_suffix: str  # as delivered: ".zip", ".ZIP", ".tar", ".TGZ", ".tar.gz" or ""


def delivery_parse(path_or_name: str) -> Delivery:
    """Refuse unsafe paths with the reason; split directories, file name and archive suffix."""
    if not isinstance(path_or_name, str):
        raise UnrecognisedName(f"{path_or_name!r}: a name is a string")
    if not path_or_name.strip():
        raise UnrecognisedName("empty name")
    if "\x00" in path_or_name:
        raise UnrecognisedName(f"{path_or_name!r}: contains a NUL character")
    if "\\" in path_or_name:
        raise UnrecognisedName(f"{path_or_name}: contains a backslash (delivery paths use '/')")
    if path_or_name.startswith("/"):
        raise UnrecognisedName(f"{path_or_name}: absolute path (delivery paths are relative to the inbox)")
    path = path_or_name.rstrip("/")
    parts = path.split("/")
    if ".." in parts:
        raise UnrecognisedName(f"{path_or_name}: path traversal ('..')")
    if any(part in ("", ".") for part in parts):
        raise UnrecognisedName(f"{path_or_name}: empty or '.' path component")
    if _CONTROL_OR_SPACE.search(path):
        raise UnrecognisedName(f"{path_or_name!r}: contains whitespace or control characters")
    filename = parts[-1]
    if len(filename) > MAX_NAME_LENGTH:
        raise UnrecognisedName(f"{filename[:40]}…: longer than {MAX_NAME_LENGTH} characters")
    suffix = ARCHIVE_SUFFIX.search(filename)
    stem = filename[: suffix.start()] if suffix else filename
    if not stem:
        raise UnrecognisedName(f"{filename}: only an archive extension")
    return Delivery(path=path, parents=tuple(parts[:-1]), filename=filename, stem=stem,
                    archive_suffix=suffix.group(0) if suffix else "")


def reject_non_products(delivery: Delivery) -> None:
    """Names that are well known not to be products: each refused with what it is."""
    name = delivery.filename
    if _CHECKSUM_COMPANION.search(name):
        raise UnrecognisedName(f"{name}: a checksum companion file of {name.rsplit('.', 1)[0]}, not a product")
    if _MISSION_PREFIX.match(name):
        raise UnrecognisedName(f"{name}: a bare mission prefix, not a product name")
    if name.endswith("_iif.xml"):
        raise UnrecognisedName(
            f"{name}: the information file inside the ISIP granule {name[: -len('_iif.xml')]}.ISIP; "
            "identify the container, not its metadata file"
        )
    if name.endswith("_report.xml"):
        raise UnrecognisedName(f"{name}: a quality report inside a product (QI_DATA), not a product")
    if name in _INNER_METADATA or name.startswith("MTD_"):
        raise UnrecognisedName(f"{name}: a metadata file inside a product, not a product")
    if CDSE_BURST.match(name):
        raise UnrecognisedName(f"{name}: a CDSE Sentinel-1 burst id (a view of an SLC product), not a product name")
