"""Per-user quotas of the PRIP (prip-odata.md §18): requests per minute, bytes downloaded per period and concurrent
downloads. Counters live in the Django cache (Redis in the full deployment, files in the embedded default) so that
every web process sees the same numbers; each check is an atomic add/incr with an expiry, never a read-modify-write.

* Requests: a counter per user and clock minute.
* Bytes: a counter per user and period (fixed windows of `download_period_days` from the epoch, an approximation of
  CDSE's rolling 30 days). A redirect is charged the product's ContentLength (or the Range asked for) when it is
  answered, since the bytes then flow from S3 without us. A streamed download is charged the same at its start and
  refunded what it did not send if the client goes away.
* Concurrent downloads: N slot keys per user, taken with `add` (atomic "set if absent") and an expiry. A stream holds
  its slot while bytes flow (renewed every STREAM_SLOT_RENEW_S) and frees it when it ends or is abandoned; a redirect
  holds one for the time the transfer would take at CDSE's per-connection rate, then it expires by itself.

    request_admit(principal=p)                              # QuotaExceeded → 429 + Retry-After
    ticket = download_admit(principal=p, size=n, hold_s=30)
    ticket.release()                                        # stream ended
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import secrets
import time
from dataclasses import dataclass

from django.core.cache import cache

from rs.access.principals import Principal
from rs.subscriptions.constants import CACHE_PREFIX, MAX_CONCURRENT_DOWNLOADS, STREAM_SLOT_LEASE_S
from rs.subscriptions.errors import QuotaExceeded
from rs.subscriptions.limits import limits_for


def _owner(principal: Principal) -> str:
    # owner_key can be a long external issuer URL: hashed, the keys stay short and name nobody
    return hashlib.sha256(principal.owner_key.encode()).hexdigest()[:24]


def _incr(key: str, delta: int, *, timeout: int) -> int:
    cache.add(key, 0, timeout=timeout)
    try:
        return int(cache.incr(key, delta))
    except ValueError:  # expired between add and incr
        cache.set(key, delta, timeout=timeout)
        return delta


def _decr(key: str, delta: int) -> None:
    if delta > 0:
        with contextlib.suppress(ValueError):  # the window is over: nothing to give back
            cache.decr(key, delta)


def request_admit(*, principal: Principal, now: float | None = None) -> None:
    """Count one request; QuotaExceeded beyond the user's requests per minute."""
    limit = limits_for(user_id=principal.user_id).requests_per_minute
    if limit is None:
        return
    now = time.time() if now is None else now
    minute = int(now // 60)
    count = _incr(f"{CACHE_PREFIX}rpm:{_owner(principal)}:{minute}", 1, timeout=120)
    if count > limit:
        raise QuotaExceeded(f"More than {limit} requests in one minute.",
                            retry_after_s=math.ceil((minute + 1) * 60 - now))


@dataclass
class DownloadTicket:
    """What one admitted download holds: bytes charged to a window, and a slot."""

    bytes_key: str | None
    charged: int
    slot_key: str | None
    slot_value: str

    def renew(self, *, lease_s: int = STREAM_SLOT_LEASE_S) -> None:
        """Keep the slot of a download that is still sending."""
        if self.slot_key is not None and cache.get(self.slot_key) == self.slot_value:
            self.slot_value = _slot_value(self.slot_value.partition("|")[0], lease_s)
            cache.set(self.slot_key, self.slot_value, timeout=lease_s)

    def release(self) -> None:
        if self.slot_key is not None and cache.get(self.slot_key) == self.slot_value:
            cache.delete(self.slot_key)  # (a slot that expired and was taken again in between is left alone)
        self.slot_key = None

    def refund(self, unsent: int) -> None:
        """Give back the bytes a download was charged but did not send."""
        if self.bytes_key is not None:
            _decr(self.bytes_key, min(unsent, self.charged))
            self.charged -= min(unsent, self.charged)


def _slot_value(token: str, hold_s: int) -> str:
    return f"{token}|{time.time() + hold_s:.3f}"


def download_admit(*, principal: Principal, size: int, hold_s: int, now: float | None = None) -> DownloadTicket:
    """Charge `size` bytes and take a download slot for `hold_s` seconds, or raise QuotaExceeded (nothing held)."""
    limits = limits_for(user_id=principal.user_id)
    now = time.time() if now is None else now
    owner = _owner(principal)
    ticket = DownloadTicket(bytes_key=None, charged=0, slot_key=None, slot_value="")
    if limits.download_bytes is not None:
        period = limits.download_period_s
        window = int(now // period)
        ticket.bytes_key = f"{CACHE_PREFIX}bytes:{owner}:{window}"
        used = _incr(ticket.bytes_key, size, timeout=period + 60)
        ticket.charged = size
        if used > limits.download_bytes:
            ticket.refund(size)
            raise QuotaExceeded(
                f"The download quota of {limits.download_bytes} bytes per {period // 86400} days is used up "
                f"({used - size} bytes used, {size} asked).", retry_after_s=math.ceil((window + 1) * period - now))
    if limits.concurrent_downloads is not None:
        try:
            ticket.slot_key, ticket.slot_value = _slot_take(owner, limits.concurrent_downloads, hold_s, now)
        except QuotaExceeded:
            ticket.refund(size)
            raise
    return ticket


def _slot_take(owner: str, count: int, hold_s: int, now: float) -> tuple[str, str]:
    if count == 0:
        raise QuotaExceeded("This account may not download (its limit is 0 concurrent downloads).",
                            retry_after_s=3600)
    keys = [f"{CACHE_PREFIX}slot:{owner}:{i}" for i in range(min(count, MAX_CONCURRENT_DOWNLOADS))]
    taken = cache.get_many(keys)
    value = _slot_value(secrets.token_hex(8), hold_s)
    for key in keys:
        if key not in taken and cache.add(key, value, timeout=hold_s):
            return key, value
    ends = [float(v.partition("|")[2] or 0) for v in cache.get_many(keys).values() if isinstance(v, str)]
    wait = math.ceil(min(ends, default=now + 1) - now)
    raise QuotaExceeded(f"{count} downloads are already running (the maximum at a time).", retry_after_s=wait)
