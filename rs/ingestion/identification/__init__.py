"""Identification of every Sentinel product family by name (naming-and-metadata.md §1-§3)."""

from rs.ingestion.identification.identify import identify
from rs.ingestion.identification.results import Identification, SessionFile, UnrecognisedName

__all__ = ["Identification", "SessionFile", "UnrecognisedName", "identify"]
