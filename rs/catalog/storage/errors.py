"""Errors of the object store.

Refusals the caller can act on are `DomainError`s (the API edge turns them into 4xx). `StorageError` is not: it means
the store could not be reached or refused our credentials, and the operation may succeed when retried later.
"""

from __future__ import annotations

from rs.errors import DomainError, NotFound


class StorageError(Exception):
    """The object store failed (unreachable endpoint, bad credentials, full disk); retrying later may succeed."""


class ObjectNotFound(NotFound):
    code = "object_not_found"


class ChecksumMismatch(DomainError):
    """The bytes received are not the bytes announced (size or MD5); nothing was stored."""

    code = "checksum_mismatch"


class InvalidKey(DomainError):
    """An object key that could escape its prefix or the storage root (path traversal) or is not a clean path."""

    code = "invalid_key"


class InvalidSignature(DomainError):
    status = 403
    code = "invalid_signature"


class ExpiredSignature(DomainError):
    status = 403
    code = "expired"
