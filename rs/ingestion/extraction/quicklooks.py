"""The quicklook a product carries (naming-and-metadata.md §6): S1 preview/quick-look.png, S2 PVI, S3 browse."""

from __future__ import annotations

from rs.ingestion.extraction.limits import QUICKLOOK_MAX_BYTES
from rs.ingestion.extraction.reader import ProductReader
from rs.ingestion.identification import Identification

# Candidate member patterns per mission, in order of preference.
QUICKLOOK_PATTERNS: dict[str, tuple[str, ...]] = {
    "S1": ("preview/quick-look.png",),
    "S2": ("GRANULE/*/QI_DATA/*PVI*.jp2", "QI_DATA/*PVI*.jp2", "*PVI*.jp2"),
    "S3": ("*browse*.jpg", "*browse*.png", "*quicklook*.jpg", "*quicklook*.png"),
}
CONTENT_TYPES = {".png": "image/png", ".jp2": "image/jp2", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}


def quicklook_of(identification: Identification, reader: ProductReader) -> tuple[str, bytes, str] | None:
    """(file name, bytes, content type) of the product's quicklook, or None when it has none."""
    if reader.is_single_file:
        return None
    for pattern in QUICKLOOK_PATTERNS.get(identification.mission, ()):
        for member in reader.find(pattern):
            suffix = member[member.rfind("."):].lower()
            if suffix in CONTENT_TYPES:
                return member.rsplit("/", 1)[-1], reader.read(member, max_bytes=QUICKLOOK_MAX_BYTES), \
                    CONTENT_TYPES[suffix]
    return None
