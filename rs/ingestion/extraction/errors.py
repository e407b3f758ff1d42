"""The one error of extraction: a precise reason the inbox turns into a quarantine entry."""

from rs.errors import DomainError


class ExtractionError(DomainError):
    code = "extraction_failed"
