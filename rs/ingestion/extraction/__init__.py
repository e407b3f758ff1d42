"""Metadata extraction from a product's own files (naming-and-metadata.md §4-§9)."""

from rs.ingestion.extraction.errors import ExtractionError
from rs.ingestion.extraction.quicklooks import quicklook_of
from rs.ingestion.extraction.reader import ProductReader
from rs.ingestion.extraction.registry import extract_metadata
from rs.ingestion.extraction.s1_slicing import s1_l0_timeliness, s1_total_slices
from rs.ingestion.extraction.sessions import SessionDescriptor, session_descriptor_read

__all__ = ["ExtractionError", "ProductReader", "SessionDescriptor", "extract_metadata", "quicklook_of",
           "s1_l0_timeliness", "s1_total_slices", "session_descriptor_read"]
