"""Refusals of the campaigns app (translated by the API edge, the admin and the CLI)."""

from __future__ import annotations

from rs.errors import DomainError


class InvalidDocument(DomainError):
    """A metadata document that cannot be compared (not XML, declares entities, too big)."""

    code = "invalid_document"


class InvalidDataset(DomainError):
    code = "invalid_dataset"
