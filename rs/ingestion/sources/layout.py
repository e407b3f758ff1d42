"""How items are laid out in a pickup point: which paths are never taken, which folders are products, companions.

Shared by the directory and S3 sources so both see the same items in the same tree.
"""

from __future__ import annotations

import re

# Products delivered as folders end with one of these; S2 PDI folders have no suffix and are found by their name.
CONTAINER_SUFFIXES = (".SAFE", ".SEN3", ".ISIP")
# `<item>.md5` / `<item>.md5sum` beside an item announce its MD5; they are read, never ingested themselves.
COMPANION_SUFFIXES = (".md5", ".md5sum")
# Hidden entries, files still being written by common tools, file-system bookkeeping: never taken.
_NEVER_TAKEN = re.compile(r"^\.|\.(tmp|part|partial|filepart|crdownload)$|^lost\+found$", re.IGNORECASE)
_UNSAFE_CHARACTERS = re.compile(r"[^A-Za-z0-9._-]+")
_MD5_IN_COMPANION = re.compile(rb"\b([0-9a-fA-F]{32})\b")


def segment_ignored(segment: str) -> bool:
    return bool(_NEVER_TAKEN.search(segment))


def path_ignored(relative: str) -> bool:
    return any(segment_ignored(segment) for segment in relative.split("/"))


def is_companion(name: str) -> bool:
    return name.endswith(COMPANION_SUFFIXES)


def is_product_folder(name: str) -> bool:
    """A folder that is one product (SAFE, SEN3, ISIP, S2 PDI folder) rather than a folder of products."""
    if name.endswith(CONTAINER_SUFFIXES):
        return True
    from rs.ingestion.names import UnrecognisedName, identify

    try:
        identification = identify(name)
    except UnrecognisedName:
        return False
    return identification.session is None


def companion_md5(data: bytes) -> str:
    """The MD5 announced by a companion file ("<hex>  <name>" or just "<hex>"), '' when it holds none."""
    match = _MD5_IN_COMPANION.search(data[:4096])
    return match.group(1).decode().lower() if match else ""


def safe_file_name(name: str, *, default: str = "item") -> str:
    """A single, harmless path segment made from the last segment of `name` (for staging and quarantine keys)."""
    last = name.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]
    cleaned = _UNSAFE_CHARACTERS.sub("_", last).lstrip(".")[:200]
    return cleaned or default
