"""Typed errors of ingestion, classified by what the entry does next.

BadInput → quarantine and failed (the item itself is wrong: retrying cannot help).
SourceUnavailable / storage errors → retried with backoff up to MAX_ATTEMPTS.
ItemGone → failed without quarantine (nothing left to keep).
"""

from __future__ import annotations

from rs.errors import DomainError


class BadInput(DomainError):
    """The item is unusable as delivered: unparseable name, corrupt archive, checksum mismatch, empty file …"""

    code = "bad_input"


class ItemGone(DomainError):
    """The item disappeared from the source between listing and transfer."""

    code = "item_gone"


class SourceUnavailable(Exception):
    """The source could not be reached or answered with a server error; retrying later may succeed."""


class InboxConfigError(DomainError):
    """The inbox configuration cannot work (bad URL, missing credentials, refused credentials)."""

    code = "invalid_inbox"
