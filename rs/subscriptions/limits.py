"""The limits that apply to a user: their UserLimits row over the default row, read through the Django cache (every
request of a download or a subscription needs them; the rows change only when an admin edits them).

    limits = limits_for(user_id=principal.user_id)      # None: users of an external issuer (the default row)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.core.cache import cache

from rs.subscriptions import constants as c

_FIELDS = ("concurrent_downloads", "download_bytes", "download_period_days", "requests_per_minute",
           "running_subscriptions", "total_subscriptions", "subscription_queue_length", "subscription_read_max")


@dataclass(frozen=True)
class Limits:
    """None = unlimited."""

    concurrent_downloads: int | None
    download_bytes: int | None
    download_period_days: int | None
    requests_per_minute: int | None
    running_subscriptions: int | None
    total_subscriptions: int | None
    subscription_queue_length: int | None
    subscription_read_max: int | None

    @property
    def download_period_s(self) -> int:
        return 86400 * (self.download_period_days or c.DEFAULT_DOWNLOAD_PERIOD_DAYS)


CDSE_LIMITS = Limits(
    concurrent_downloads=c.DEFAULT_CONCURRENT_DOWNLOADS, download_bytes=c.DEFAULT_DOWNLOAD_BYTES,
    download_period_days=c.DEFAULT_DOWNLOAD_PERIOD_DAYS, requests_per_minute=c.DEFAULT_REQUESTS_PER_MINUTE,
    running_subscriptions=c.DEFAULT_RUNNING_SUBSCRIPTIONS, total_subscriptions=c.DEFAULT_TOTAL_SUBSCRIPTIONS,
    subscription_queue_length=c.DEFAULT_QUEUE_LENGTH, subscription_read_max=c.DEFAULT_READ_MAX,
)


def _installed() -> bool:
    # Downloads need limits before rs.subscriptions is in INSTALLED_APPS (then: CDSE's values, no table to read).
    return apps.is_installed("rs.subscriptions")


def _resolve(default: dict[str, Any] | None, own: dict[str, Any] | None) -> Limits:
    """A user's row over the default row (empty = the default's value); without a default row, CDSE's values."""
    base = default if default is not None else dataclasses.asdict(CDSE_LIMITS)
    return Limits(**{name: own[name] if own is not None and own[name] is not None else base[name]
                     for name in _FIELDS})


def limits_for_users(*, user_ids: Iterable[int]) -> dict[int, Limits]:
    """The limits of several users in one query (the event consumer's path; not cached)."""
    wanted = set(user_ids)
    if not _installed():
        return dict.fromkeys(wanted, CDSE_LIMITS)
    from rs.subscriptions.models import UserLimits

    rows = {row["user_id"]: row for row in UserLimits.objects.filter(user_id__in=wanted).values("user_id", *_FIELDS)}
    default = UserLimits.objects.filter(user__isnull=True).values(*_FIELDS).first()
    return {user_id: _resolve(default, rows.get(user_id)) for user_id in wanted}


def limits_key(user_id: int | None) -> str:
    """The cache key of one user's memo (read together with LIMITS_VERSION_KEY)."""
    return f"{c.CACHE_PREFIX}limits:{user_id if user_id is not None else 'default'}"


def limits_for(*, user_id: int | None) -> Limits:
    """One user's limits: one cache round trip while nothing changed."""
    if not _installed():
        return CDSE_LIMITS
    key = limits_key(user_id)
    found = cache.get_many([c.LIMITS_VERSION_KEY, key])
    return limits_from_memo(user_id=user_id, version=found.get(c.LIMITS_VERSION_KEY), memo=found.get(key))


def limits_from_memo(*, user_id: int | None, version: object, memo: object) -> Limits:
    """The limits from the cached version and memo (read by the caller, possibly with other keys in the same round
    trip); the rows are read and the memo stored again when it is missing or stale."""
    if not _installed():
        return CDSE_LIMITS
    version = version or 0
    if isinstance(memo, tuple) and len(memo) == 2 and memo[0] == version:
        return Limits(*memo[1])
    from django.db.models import Q

    from rs.subscriptions.models import UserLimits

    # the default row and the user's own, in one query
    rows = {row["user_id"]: row for row in UserLimits.objects.filter(
        Q(user__isnull=True) | Q(user_id=user_id) if user_id is not None else Q(user__isnull=True),
    ).values("user_id", *_FIELDS)}
    own = rows.get(user_id) if user_id is not None else None
    limits = _resolve(rows.get(None), own)
    cache.set(limits_key(user_id), (version, dataclasses.astuple(limits)), timeout=c.LIMITS_CACHE_S)
    return limits


def limits_changed() -> None:
    """Every cached limit is stale (an admin changed a row): bump the version the memos are checked against."""
    if not cache.add(c.LIMITS_VERSION_KEY, 1, timeout=None):
        try:
            cache.incr(c.LIMITS_VERSION_KEY)
        except ValueError:  # evicted between add and incr
            cache.set(c.LIMITS_VERSION_KEY, 1, timeout=None)
