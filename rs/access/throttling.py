"""Failed-login throttling for the password grant and HTTP Basic, per username and per client address.

Counters live in the Django cache (Redis in the full deployment), so every web process sees the same numbers. A
fixed window: the first failure starts it; reaching the limit locks the username (or address) for the lockout
time, during which even a correct password is answered 429 with Retry-After (otherwise guessing would go on).
"""

from __future__ import annotations

import hashlib
import logging
import math
import time

from django.core.cache import cache
from django.http import HttpRequest

from rs.access.configuration import access_settings
from rs.access.constants import CACHE_PREFIX
from rs.access.errors import TooManyAttempts

logger = logging.getLogger(__name__)


def client_ip(request: HttpRequest) -> str:
    """The caller's address: REMOTE_ADDR, or the entry RS_ACCESS_PROXY_HOPS from the end of X-Forwarded-For when
    that many trusted proxies stand in front (otherwise every client would share the proxy's counter)."""
    hops = access_settings().proxy_hops
    if hops:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= hops:
            return forwarded[-hops][:64]
    return str(request.META.get("REMOTE_ADDR", "unknown"))[:64]


def _subjects(username: str, ip: str) -> list[tuple[str, int]]:
    # Usernames are hashed: the key stays short and a cache dump does not list who was attacked.
    digest = hashlib.sha256(username.casefold().encode()).hexdigest()[:32]
    config = access_settings()
    return [(f"user:{digest}", config.login_max_failures), (f"ip:{ip}", config.login_max_failures_per_ip)]


def login_check(*, username: str, ip: str) -> None:
    """Raise TooManyAttempts while the username or the address is locked."""
    locks = cache.get_many([f"{CACHE_PREFIX}lock:{s}" for s, _ in _subjects(username, ip)])
    now = time.time()
    remaining = max((float(until) - now for until in locks.values()), default=0.0)
    if remaining > 0:
        raise TooManyAttempts(max(1, math.ceil(remaining)))


def login_failed(*, username: str, ip: str) -> None:
    """Count one failure; lock what reached its limit."""
    lockout = access_settings().login_lockout_s
    for subject, limit in _subjects(username, ip):
        key = f"{CACHE_PREFIX}fail:{subject}"
        cache.add(key, 0, timeout=lockout)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=lockout)
            count = 1
        if count >= limit:
            cache.set(f"{CACHE_PREFIX}lock:{subject}", time.time() + lockout, timeout=lockout)
            cache.delete(key)
            logger.warning("login locked for %s s after %s failures (%s)", lockout, count,
                           "address " + ip if subject.startswith("ip:") else "one username")


def login_succeeded(*, username: str, ip: str) -> None:
    """A success clears the username's count (the address keeps its own: one good account does not launder it)."""
    cache.delete(f"{CACHE_PREFIX}fail:{_subjects(username, ip)[0][0]}")
