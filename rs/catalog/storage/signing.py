"""Signed download tokens for the filesystem store: the `/storage/<token>` counterpart of a presigned S3 URL.

The token carries the key, the download file name and an absolute expiry, signed with SECRET_KEY. The expiry is in
the payload (not a max_age chosen by the reader) because every URL may have its own lifetime.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.core import signing

from rs.catalog.storage.errors import ExpiredSignature, InvalidSignature
from rs.catalog.storage.keys import key_check

# A distinct salt keeps tokens signed for other purposes with the same SECRET_KEY from being accepted here.
_SALT = "rs.catalog.storage.download"


@dataclass(frozen=True, slots=True)
class DownloadGrant:
    """What a valid token allows: download `key` as `filename` until `expires_at`."""

    key: str
    filename: str
    expires_at: datetime


def download_token_make(*, key: str, filename: str, expires_at: datetime) -> str:
    if expires_at.tzinfo is None:
        raise ValueError("expires_at must be an aware datetime")
    payload = {"k": key_check(key), "f": filename, "x": int(expires_at.timestamp())}
    return signing.dumps(payload, salt=_SALT, compress=True)


def download_token_read(token: str, *, now: datetime | None = None) -> DownloadGrant:
    """The grant of a token this deployment signed; InvalidSignature or ExpiredSignature (403) otherwise."""
    try:
        payload: Any = signing.loads(token, salt=_SALT)
    except signing.BadSignature:
        raise InvalidSignature("The download link is not valid.") from None
    if not (
        isinstance(payload, dict)
        and isinstance(payload.get("k"), str)
        and isinstance(payload.get("f"), str)
        and type(payload.get("x")) is int
    ):
        # Only reachable with our own key, e.g. a token from an older format: refuse it like a forgery.
        raise InvalidSignature("The download link is not valid.")
    expires_at = datetime.fromtimestamp(payload["x"], tz=UTC)
    if (now or datetime.now(UTC)) >= expires_at:
        raise ExpiredSignature(f"The download link expired at {expires_at.isoformat()}.")
    return DownloadGrant(key=key_check(payload["k"]), filename=payload["f"], expires_at=expires_at)
