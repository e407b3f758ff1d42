"""Per-user quotas of the PRIP (prip-odata.md §18): requests per minute, bytes downloaded over a rolling period and
concurrent downloads.

* Requests: a counter per user and clock minute in the Django cache (Redis in the full deployment, files in the
  embedded default), shared by every web process; an atomic add/incr with an expiry, never a read-modify-write.
  Every authenticated OData request is counted (searches, downloads, subscriptions), anonymous ones are not. On
  Redis the count and the read of the caller's limits are one pipelined round trip.
* Bytes: like CDSE's "12 TB per rolling 30 days", the bytes charged over the last `download_period_days` UTC days
  (today included), kept in the database (a month of usage must survive a cache eviction or restart) as one
  DownloadUsage bucket per user and day: admitting a download is one transaction — an UPDATE of today's bucket and a
  read of at most `download_period_days` rows by the (owner, day) index, whatever the history, one statement on
  PostgreSQL — whose commit does not wait for the disk. Charging first and checking after, with today's row locked
  in between, means two racing downloads can both be refused, never both admitted beyond the quota. Bytes leave the
  window at the UTC midnight that ends their day's period; Retry-After says when enough will have left. A redirect
  is charged the product's ContentLength (or the Range asked for) when it is answered, since the bytes then flow
  from S3 without us. A streamed download is charged the same at its start and refunded what it did not send if the
  client goes away.
* Concurrent downloads: N slot keys per user in the cache, taken with `add` (atomic "set if absent") and an expiry
  (on Redis: one script that takes the first free one or answers when they free up).
  A stream holds its slot while bytes flow (renewed every STREAM_SLOT_RENEW_S) and frees it when it ends or is
  abandoned; a redirect holds one for the time the transfer would take at CDSE's per-connection rate, then it
  expires by itself.

    limits = request_admit(principal=p)                     # QuotaExceeded → 429 + Retry-After
    ticket = download_admit(principal=p, size=n, hold_s=30, limits=limits)
    ticket.release()                                        # stream ended
"""

from __future__ import annotations

import hashlib
import math
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.core.cache import DEFAULT_CACHE_ALIAS, cache, caches
from django.http import HttpRequest

from rs.access.authentication import search_principal
from rs.access.principals import Principal
from rs.redis_cache import RedisCache
from rs.subscriptions import selectors, services
from rs.subscriptions.constants import (
    CACHE_PREFIX,
    LIMITS_VERSION_KEY,
    MAX_CONCURRENT_DOWNLOADS,
    STREAM_SLOT_LEASE_S,
)
from rs.subscriptions.errors import QuotaExceeded
from rs.subscriptions.limits import Limits, limits_for, limits_from_memo, limits_key

_MINUTE_KEY_S = 120  # a requests-per-minute counter outlives its minute, then goes


def _owner(principal: Principal) -> str:
    # owner_key can be a long external issuer URL: hashed, the keys stay short and name nobody
    return hashlib.sha256(principal.owner_key.encode()).hexdigest()[:24]


def usage_owner(principal: Principal) -> str:
    """The DownloadUsage.owner of a principal."""
    return hashlib.sha256(principal.owner_key.encode()).hexdigest()


def _incr(key: str, delta: int, *, timeout: int) -> int:
    """Atomically add `delta` to a counter that expires `timeout` s after its creation: one increment once the key
    exists (the common case), an atomic add to create it."""
    try:
        return int(cache.incr(key, delta))
    except ValueError:  # absent: the first of its window
        if cache.add(key, delta, timeout=timeout):
            return delta
    try:  # another process created it in between
        return int(cache.incr(key, delta))
    except ValueError:  # and it expired at once
        cache.set(key, delta, timeout=timeout)
        return delta


def _redis() -> RedisCache | None:
    """The cache when it is Redis (one round trip for several counters), None otherwise (files, memory)."""
    backend = caches[DEFAULT_CACHE_ALIAS]
    return backend if isinstance(backend, RedisCache) else None


def _count_with_limits(redis: RedisCache, key: str, user_id: int | None) -> tuple[int, Limits]:
    """Count one request and read the caller's limits in one round trip: the counter is incremented (and given its
    expiry if it is new) whatever the limit, since a counter nobody reads costs nothing."""
    counter = redis.raw_key(key)
    pipe = redis.raw_client().pipeline(transaction=False)
    pipe.incrby(counter, 1)
    pipe.expire(counter, _MINUTE_KEY_S, nx=True)  # only a new counter's (EXPIRE NX: Redis 7)
    pipe.mget(redis.raw_key(LIMITS_VERSION_KEY), redis.raw_key(limits_key(user_id)))
    count, _, (version, memo) = pipe.execute()
    return int(count), limits_from_memo(user_id=user_id, version=redis.decode(version), memo=redis.decode(memo))


def request_admit(*, principal: Principal, now: float | None = None) -> Limits:
    """Count one request; QuotaExceeded beyond the user's requests per minute. Returns the user's limits (a download
    needs them next)."""
    now = time.time() if now is None else now
    minute = int(now // 60)
    key = f"{CACHE_PREFIX}rpm:{_owner(principal)}:{minute}"
    redis = _redis()
    if redis is not None:
        count, limits = _count_with_limits(redis, key, principal.user_id)
    else:
        limits = limits_for(user_id=principal.user_id)
        if limits.requests_per_minute is None:
            return limits
        count = _incr(key, 1, timeout=_MINUTE_KEY_S)
    limit = limits.requests_per_minute
    if limit is not None and count > limit:
        raise QuotaExceeded(f"More than {limit} requests in one minute.",
                            retry_after_s=math.ceil((minute + 1) * 60 - now))
    return limits


def caller_admit(*, request: HttpRequest) -> Principal | None:
    """The caller of a catalogue read (None: anonymous, when RS_PRIP_ANONYMOUS_SEARCH allows it), counted against
    its requests per minute. AccessError (401 for a bad or missing credential, never anonymous) or QuotaExceeded
    (429) otherwise: each interface answers them in its own error format."""
    principal = search_principal(request)
    if principal is not None:
        request_admit(principal=principal)
    return principal


@dataclass
class DownloadTicket:
    """What one admitted download holds: bytes charged to a day's bucket, and a slot."""

    usage_owner: str | None
    usage_day: date | None
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
        """Give back the bytes a download was charged but did not send (to the day it was charged on)."""
        given_back = min(max(unsent, 0), self.charged)
        if given_back and self.usage_owner is not None and self.usage_day is not None:
            services.download_usage_add(owner=self.usage_owner, day=self.usage_day, delta=-given_back)
            self.charged -= given_back


def _slot_value(token: str, hold_s: int) -> str:
    return f"{token}|{time.time() + hold_s:.3f}"


def _bytes_retry_after(buckets: list[tuple[date, int]], *, size: int, limit: int, period_days: int,
                       now: float) -> int:
    """Seconds until the buckets (without this download) leaving the window make room for `size`; the whole period
    if `size` alone is beyond the quota (retrying will not help, and the message says so)."""
    used = sum(amount for _, amount in buckets)
    if size <= limit:
        for day, amount in buckets:
            used -= amount
            if used + size <= limit:
                leaves = datetime.combine(day + timedelta(days=period_days), datetime.min.time(), tzinfo=UTC)
                return math.ceil(leaves.timestamp() - now)
    return period_days * 86400


def _bytes_charge(ticket: DownloadTicket, *, owner: str, size: int, limit: int, period_days: int, now: float) -> None:
    today = datetime.fromtimestamp(now, tz=UTC).date()
    buckets = services.download_usage_charge(owner=owner, day=today, delta=size,
                                             since=today - timedelta(days=period_days - 1))
    ticket.usage_owner, ticket.usage_day, ticket.charged = owner, today, size
    used = sum(amount for _, amount in buckets)
    if used <= limit:
        return
    ticket.refund(size)
    before = [(day, amount - size if day == today else amount) for day, amount in buckets]
    retry_after = _bytes_retry_after(before, size=size, limit=limit, period_days=period_days, now=now)
    if size > limit:
        raise QuotaExceeded(f"The product ({size} bytes) is larger than the whole download quota of {limit} bytes "
                            f"per {period_days} days.", retry_after_s=retry_after)
    raise QuotaExceeded(f"The download quota of {limit} bytes per {period_days} days is used up ({used - size} bytes "
                        f"used in the last {period_days} days, {size} asked).", retry_after_s=retry_after)


def download_admit(*, principal: Principal, size: int, hold_s: int, now: float | None = None,
                   limits: Limits | None = None) -> DownloadTicket:
    """Charge `size` bytes and take a download slot for `hold_s` seconds, or raise QuotaExceeded (nothing held).
    `limits`: the principal's, when request_admit just returned them."""
    limits = limits_for(user_id=principal.user_id) if limits is None else limits
    now = time.time() if now is None else now
    ticket = DownloadTicket(usage_owner=None, usage_day=None, charged=0, slot_key=None, slot_value="")
    if limits.download_bytes is not None:
        _bytes_charge(ticket, owner=usage_owner(principal), size=size, limit=limits.download_bytes,
                      period_days=limits.download_period_s // 86400, now=now)
    if limits.concurrent_downloads is not None:
        try:
            ticket.slot_key, ticket.slot_value = _slot_take(_owner(principal), limits.concurrent_downloads, hold_s,
                                                            now)
        except QuotaExceeded:
            ticket.refund(size)
            raise
    return ticket


# Takes the first free slot key (SET NX with the expiry), or answers every slot's value: one round trip.
_SLOT_TAKE = """
for i, key in ipairs(KEYS) do
  if redis.call('SET', key, ARGV[1], 'NX', 'EX', ARGV[2]) then return i end
end
return redis.call('MGET', unpack(KEYS))
"""


def _slot_take(owner: str, count: int, hold_s: int, now: float) -> tuple[str, str]:
    if count == 0:
        raise QuotaExceeded("This account may not download (its limit is 0 concurrent downloads).",
                            retry_after_s=3600)
    keys = [f"{CACHE_PREFIX}slot:{owner}:{i}" for i in range(min(count, MAX_CONCURRENT_DOWNLOADS))]
    value = _slot_value(secrets.token_hex(8), hold_s)
    redis = _redis()
    if redis is not None:
        answer = redis.script(_SLOT_TAKE)(keys=[redis.raw_key(k) for k in keys], args=[redis.encode(value), hold_s])
        if isinstance(answer, int):
            return keys[answer - 1], value
        held = [redis.decode(raw) for raw in answer]
    else:
        taken = cache.get_many(keys)
        for key in keys:
            if key not in taken and cache.add(key, value, timeout=hold_s):
                return key, value
        held = list(cache.get_many(keys).values())
    ends = [float(v.partition("|")[2] or 0) for v in held if isinstance(v, str)]
    wait = math.ceil(min(ends, default=now + 1) - now)
    raise QuotaExceeded(f"{count} downloads are already running (the maximum at a time).", retry_after_s=wait)


def download_usage_expire(*, now: float | None = None) -> int:
    """Remove the byte buckets that no user's period reaches any more (daily task); the number removed."""
    today = datetime.fromtimestamp(time.time() if now is None else now, tz=UTC).date()
    return services.download_usage_purge(before=today - timedelta(days=selectors.download_period_days_longest()))
