"""The rights version: bumped by every change of what someone may see (rs.access.services.rights_changed). Memos of
rights (the Basic memo, visibility scopes, subscription matching) are valid only under the version they were made
with.

When the version is absent from the cache (never bumped yet, evicted, or the cache was emptied) a new one is drawn at
random instead of starting again from 0 or 1: a memo made before the loss can then never match again by accident."""

from __future__ import annotations

import secrets

from django.core.cache import cache

from rs.access.constants import RIGHTS_VERSION_KEY


def _fresh() -> int:
    return secrets.randbits(52) + 1


def rights_version_of(raw: object) -> int:
    """The version from a cache read of RIGHTS_VERSION_KEY (None: absent, then one is stored)."""
    if raw is not None:
        return int(raw)  # type: ignore[call-overload]
    fresh = _fresh()
    if cache.add(RIGHTS_VERSION_KEY, fresh, timeout=None):
        return fresh
    return int(cache.get(RIGHTS_VERSION_KEY) or 0)  # another process stored one first


def rights_version() -> int:
    return rights_version_of(cache.get(RIGHTS_VERSION_KEY))


def rights_version_bump() -> None:
    if not cache.add(RIGHTS_VERSION_KEY, _fresh(), timeout=None):
        try:
            cache.incr(RIGHTS_VERSION_KEY)
        except ValueError:  # evicted between add and incr
            cache.set(RIGHTS_VERSION_KEY, _fresh(), timeout=None)
