"""Object keys: the one place that decides where each kind of object lives in the store.

Every key is checked before it reaches a backend: on the filesystem a key is a path under the storage root, so a
".." segment, a leading "/" or a backslash could reach files outside it.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from rs.catalog.choices import OPERATIONAL_SCOPE
from rs.catalog.storage.errors import InvalidKey

# S3 refuses longer keys; refusing them here gives the same answer on the filesystem.
KEY_MAX_BYTES = 1024


def key_check(key: str) -> str:
    """Return `key` if it is a clean relative path of non-empty segments, else raise InvalidKey."""
    if not key:
        raise InvalidKey("An object key cannot be empty.")
    _path_check(key, what="object key")
    return key


def prefix_check(prefix: str) -> str:
    """Like key_check for a listing prefix, which may be empty or end with "/"."""
    if prefix:
        _path_check(prefix.removesuffix("/"), what="key prefix", original=prefix)
    return prefix


def product_key(*, mission: str, family: str, name: str, suffix: str = "", scope: str = OPERATIONAL_SCOPE) -> str:
    """products/<mission>/<family>/<name><suffix>, e.g. products/S1/L1_SLICE/S1A_…SAFE.zip; a product of another
    scope (a validation campaign run, which may reuse an operational name) under scoped/<scope>/<mission>/…."""
    tail = f"{_segment(mission)}/{_segment(family)}/{_segment(name + suffix)}"
    if scope != OPERATIONAL_SCOPE:
        return key_check(f"scoped/{_segment(scope)}/{tail}")
    return key_check(f"products/{tail}")


def asset_key(*, product_id: uuid.UUID, name: str) -> str:
    """assets/<product uuid>/<name>: quick-looks and other files attached to one product."""
    return key_check(f"assets/{product_id}/{_segment(name)}")


def quarantine_key(*, name: str, received_at: datetime) -> str:
    """quarantine/<YYYYMMDD of reception, UTC>/<name>: one folder per day keeps listings short for operators."""
    if received_at.tzinfo is None:
        raise ValueError("received_at must be an aware datetime")
    day = received_at.astimezone(UTC).strftime("%Y%m%d")
    return key_check(f"quarantine/{day}/{_segment(name)}")


def workdir_key(*, job_id: int, name: str) -> str:
    """workdirs/<job id>/<name>, e.g. workdirs/42/run-1-workdir.tar.gz, the archived working directory of a failed
    run; `name` may be a relative path because a job's working files form a tree."""
    return key_check(f"workdirs/{job_id}/{name}")


def _segment(value: str) -> str:
    if "/" in value:
        raise InvalidKey(f"{value!r} must be a single key segment (no '/').", details={"segment": value})
    return value


def _path_check(path: str, *, what: str, original: str | None = None) -> None:
    shown = original if original is not None else path
    if path.startswith("/"):
        raise InvalidKey(f"The {what} {shown!r} must not start with '/'.", details={"key": shown})
    for forbidden, label in (("\\", "a backslash"), ("\x00", "a NUL character")):
        if forbidden in path:
            raise InvalidKey(f"The {what} {shown!r} must not contain {label}.", details={"key": shown})
    for segment in path.split("/"):
        if segment in ("", ".", ".."):
            raise InvalidKey(f"The {what} {shown!r} has an empty, '.' or '..' segment.", details={"key": shown})
    try:
        encoded = path.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates: neither S3 nor the filesystem can store the name
        raise InvalidKey(f"The {what} {shown!r} is not valid Unicode.", details={"key": shown}) from None
    if len(encoded) > KEY_MAX_BYTES:
        raise InvalidKey(f"The {what} is longer than {KEY_MAX_BYTES} bytes.", details={"key": shown[:100]})
