"""Identification by name: the public entry points (implemented in rs.ingestion.identification)."""

from rs.ingestion.identification import Identification, SessionFile, UnrecognisedName, identify

__all__ = ["Identification", "SessionFile", "UnrecognisedName", "identify"]
