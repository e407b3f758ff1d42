"""Refusals of the campaigns app (translated by the API edge, the admin and the CLI)."""

from __future__ import annotations

from rs.errors import DomainError


class InvalidDocument(DomainError):
    """A metadata document that cannot be compared (not XML, declares entities, too big)."""

    code = "invalid_document"


class InvalidDataset(DomainError):
    code = "invalid_dataset"


class InvalidCampaign(DomainError):
    """A campaign request refused before anything is written; `details` maps each wrong field to its reasons."""

    code = "invalid_campaign"

    def __init__(self, errors: dict[str, str]) -> None:
        first = next(iter(errors.items()))
        super().__init__(f"{first[0]}: {first[1]}", details={k: [v] for k, v in errors.items()})
        self.errors = dict(errors)
