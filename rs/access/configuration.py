"""The access settings as one typed value (the environment parsing lives in rs/settings.py, which fails loudly).

Read through `access_settings()` on every use, so tests can override a setting with pytest-django's `settings`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings


@dataclass(frozen=True)
class AccessSettings:
    realm: str
    issuer: str  # "" = derived from the request host (<scheme>://<host>/auth/realms/<realm>)
    audiences: tuple[str, ...]
    access_token_lifetime_s: int
    refresh_token_lifetime_s: int
    session_max_s: int
    max_sessions_per_user: int
    key_passphrase: bytes
    key_rotation_days: int
    basic_enabled: bool
    anonymous_search: bool
    default_visibility_all: bool
    login_max_failures: int
    login_max_failures_per_ip: int
    login_lockout_s: int
    proxy_hops: int
    external_jwks_timeout_s: float

    @property
    def audience_claim(self) -> str | list[str]:
        """One audience is written as a string (like CDSE), several as a list."""
        return self.audiences[0] if len(self.audiences) == 1 else list(self.audiences)


def access_settings() -> AccessSettings:
    s: Any = settings  # Any: the RS_ACCESS_* names are checked by rs/settings.py, not by the stubs
    return AccessSettings(
        realm=s.RS_ACCESS_REALM,
        issuer=s.RS_ACCESS_ISSUER.rstrip("/"),
        audiences=tuple(s.RS_ACCESS_AUDIENCE),
        access_token_lifetime_s=s.RS_ACCESS_TOKEN_LIFETIME_S,
        refresh_token_lifetime_s=s.RS_ACCESS_REFRESH_TOKEN_LIFETIME_S,
        session_max_s=s.RS_ACCESS_SESSION_MAX_S,
        max_sessions_per_user=s.RS_ACCESS_MAX_SESSIONS_PER_USER,
        key_passphrase=(s.RS_ACCESS_KEY_PASSPHRASE or s.SECRET_KEY).encode(),
        key_rotation_days=s.RS_ACCESS_KEY_ROTATION_DAYS,
        basic_enabled=s.RS_ACCESS_BASIC_AUTH,
        anonymous_search=s.RS_PRIP_ANONYMOUS_SEARCH,
        default_visibility_all=s.RS_ACCESS_DEFAULT_VISIBILITY == "all",
        login_max_failures=s.RS_ACCESS_LOGIN_MAX_FAILURES,
        login_max_failures_per_ip=s.RS_ACCESS_LOGIN_MAX_FAILURES_PER_IP,
        login_lockout_s=s.RS_ACCESS_LOGIN_LOCKOUT_S,
        proxy_hops=s.RS_ACCESS_PROXY_HOPS,
        external_jwks_timeout_s=s.RS_ACCESS_EXTERNAL_JWKS_TIMEOUT_S,
    )
