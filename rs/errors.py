"""Typed domain errors shared by every app; the API edge, the CLI and the inboxes translate them."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A refusal the caller can understand and act on (never a bug)."""

    status = 400
    code = "invalid"

    def __init__(self, message: str, *, details: Any = None) -> None:
        super().__init__(message)
        self.details = details


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Conflict(DomainError):
    status = 409
    code = "conflict"
