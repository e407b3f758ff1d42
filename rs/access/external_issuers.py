"""Tokens of trusted external OIDC providers (e.g. a real Keycloak): configuration per process, their JWKS fetched
with a short timeout and cached, refetched on an unknown kid (rate-limited, so forged kids cannot make us hammer
the provider). Verification follows the same rules as for our own tokens."""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import jwt
from django.core.cache import cache
from django.db import transaction

from rs.access.choices import AuthMethod, Role
from rs.access.configuration import access_settings
from rs.access.constants import (
    CLOCK_SKEW_S,
    EXTERNAL_JWKS_MAX_BYTES,
    EXTERNAL_JWKS_MIN_REFRESH_S,
    EXTERNAL_JWKS_TTL_S,
    ISSUERS_VERSION_KEY,
)
from rs.access.errors import InvalidCredentials, IssuerUnavailable, decode_error_message
from rs.access.models import ExternalIssuer
from rs.access.principals import Principal, roles_closure

logger = logging.getLogger(__name__)

# Symmetric algorithms would let anyone holding the published JWKS sign tokens: never accepted.
ALLOWED_ALGORITHMS = frozenset({"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"})


@dataclass(frozen=True)
class IssuerConfig:
    issuer: str
    jwks_url: str
    jwks_inline: dict[str, Any] | None
    audiences: tuple[str, ...]
    algorithms: tuple[str, ...]
    username_claim: str
    roles_claim: str
    groups_claim: str
    role_mapping: dict[str, str]
    default_role: str


@dataclass
class _Jwks:
    keys: dict[str, jwt.PyJWK] = field(default_factory=dict)
    fetched_at: float = float("-inf")
    lock: threading.Lock = field(default_factory=threading.Lock)


class _Registry:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.version: str | None = None
        self.configs: dict[str, IssuerConfig] = {}
        self.jwks: dict[str, _Jwks] = {}


_registry = _Registry()


def issuers_version(cached: str | None) -> str:
    if cached is not None:
        return cached
    cache.add(ISSUERS_VERSION_KEY, uuid.uuid4().hex, timeout=None)
    return cache.get(ISSUERS_VERSION_KEY) or "unversioned"


def issuers_changed() -> None:
    transaction.on_commit(lambda: cache.set(ISSUERS_VERSION_KEY, uuid.uuid4().hex, timeout=None))


def _config_of(row: ExternalIssuer) -> IssuerConfig:
    return IssuerConfig(
        issuer=row.issuer, jwks_url=row.jwks_url, jwks_inline=row.jwks_inline,
        audiences=tuple(row.audiences.split()),
        algorithms=tuple(a for a in row.algorithms.split() if a in ALLOWED_ALGORITHMS),
        username_claim=row.username_claim, roles_claim=row.roles_claim, groups_claim=row.groups_claim,
        role_mapping={str(k): str(v) for k, v in (row.role_mapping or {}).items()}, default_role=row.default_role,
    )


def issuer_config(iss: str, *, version: str) -> IssuerConfig | None:
    with _registry.lock:
        if _registry.version != version:
            _registry.configs = {row.issuer: _config_of(row) for row in ExternalIssuer.objects.filter(enabled=True)}
            _registry.jwks = {}
            _registry.version = version
        return _registry.configs.get(iss)


def jwks_parse(document: Any) -> dict[str, jwt.PyJWK]:
    """The signing keys of a JWKS document, by kid (keys for encryption or without kid are skipped)."""
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise ValueError('a JWKS is an object {"keys": [...]}')
    found = {}
    for entry in document["keys"]:
        if not isinstance(entry, dict) or entry.get("use", "sig") != "sig" or not isinstance(entry.get("kid"), str):
            continue
        try:
            found[entry["kid"]] = jwt.PyJWK(entry)
        except jwt.PyJWTError:
            continue  # a key type we cannot use; the others still count
    return found


def jwks_fetch(url: str, *, timeout: float) -> dict[str, jwt.PyJWK]:
    # The URL comes from the admin (URLField: http/https only), never from a request.
    request = urllib.request.Request(url, headers={"Accept": "application/json", "User-Agent": "rs-access"})  # noqa: S310
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
        body = response.read(EXTERNAL_JWKS_MAX_BYTES + 1)
    if len(body) > EXTERNAL_JWKS_MAX_BYTES:
        raise ValueError("JWKS larger than 1 MiB")
    return jwks_parse(json.loads(body))


def _key(config: IssuerConfig, kid: str) -> jwt.PyJWK | None:
    if config.jwks_inline is not None and not config.jwks_url:
        try:
            return jwks_parse(config.jwks_inline).get(kid)
        except ValueError:
            return None
    with _registry.lock:
        state = _registry.jwks.setdefault(config.issuer, _Jwks())
    with state.lock:
        age = time.monotonic() - state.fetched_at
        stale = age >= EXTERNAL_JWKS_TTL_S or (kid not in state.keys and age >= EXTERNAL_JWKS_MIN_REFRESH_S)
        if stale:
            try:
                state.keys = jwks_fetch(config.jwks_url, timeout=access_settings().external_jwks_timeout_s)
                state.fetched_at = time.monotonic()
            except (OSError, ValueError, urllib.error.URLError) as exc:
                logger.warning("JWKS of %s not fetched from %s: %s", config.issuer, config.jwks_url, exc)
                if not state.keys:
                    raise IssuerUnavailable(f"The keys of issuer {config.issuer} cannot be fetched now.") from None
        return state.keys.get(kid)


def _claim(claims: dict[str, Any], path: str) -> Any:
    value: Any = claims
    for part in path.split(".") if path else []:
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def external_principal(token: str, *, header: dict[str, Any], config: IssuerConfig, method: AuthMethod) -> Principal:
    kid = header.get("kid")
    if not isinstance(kid, str):
        raise InvalidCredentials("The token names no signing key (kid).")
    key = _key(config, kid)
    if key is None:
        raise InvalidCredentials("The token is signed by an unknown key.")
    try:
        claims = jwt.decode(token, key.key, algorithms=list(config.algorithms), audience=list(config.audiences),
                            issuer=config.issuer, leeway=CLOCK_SKEW_S,
                            options={"require": ["exp", "iss", "sub", "aud"]})
    except jwt.PyJWTError as exc:
        raise InvalidCredentials(decode_error_message(exc)) from None
    username = _claim(claims, config.username_claim)
    raw_roles = _claim(claims, config.roles_claim)
    raw_groups = _claim(claims, config.groups_claim)
    names = {r for r in raw_roles if isinstance(r, str)} if isinstance(raw_roles, list) else set()
    mapped = {config.role_mapping.get(name, name) for name in names} & set(Role.values)
    if config.default_role:
        mapped.add(config.default_role)
    return Principal(
        user_id=None, username=str(username) if isinstance(username, str) and username else str(claims["sub"]),
        roles=roles_closure(mapped),
        groups=frozenset(g for g in raw_groups if isinstance(g, str)) if isinstance(raw_groups, list) else frozenset(),
        client_id=claims.get("azp"), token_id=str(claims["jti"]) if "jti" in claims else None, method=method,
        issuer=config.issuer, subject=str(claims["sub"]), expires_at=datetime.fromtimestamp(int(claims["exp"]), UTC),
    )
