"""Our JWTs: signing access and ID tokens, and turning a presented bearer token (ours or an external issuer's)
into a Principal. Verification reads no database row in the steady state: one Django-cache round trip fetches the
key-set and issuer versions and the revocation marks of the token's session and user."""

from __future__ import annotations

import base64
import binascii
import dataclasses
import json
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import jwt
from django.core.cache import cache

from rs.access import external_issuers, keys
from rs.access.choices import AuthMethod
from rs.access.configuration import AccessSettings, access_settings
from rs.access.constants import (
    CACHE_PREFIX,
    CLOCK_SKEW_S,
    ISSUERS_VERSION_KEY,
    KEYSET_VERSION_KEY,
    RIGHTS_VERSION_KEY,
    SIGNING_ALGORITHM,
)
from rs.access.errors import InvalidCredentials, decode_error_message
from rs.access.principals import Principal, roles_closure
from rs.access.rights import rights_version_of

MAX_TOKEN_CHARS = 16 * 1024
_REQUIRED_CLAIMS = ["exp", "iat", "iss", "sub", "aud", "jti"]


def revoked_session_key(session_id: str) -> str:
    return f"{CACHE_PREFIX}revoked-session:{session_id}"


def not_before_key(subject: str) -> str:
    """Access tokens of this user issued at or before the stored time are refused (all sessions revoked)."""
    return f"{CACHE_PREFIX}not-before:{subject}"


def is_our_issuer(iss: str, config: AccessSettings) -> bool:
    """Our issuer: the configured URL exactly, or (none configured) <scheme>://<any host>/…/realms/<realm>, which
    lets tokens fetched through one host name work on another (cdsetool's identity/catalogue/download hosts). Only
    our own keys verify such a token, so the host adds nothing to check."""
    if config.issuer:
        return iss == config.issuer
    return re.fullmatch(rf"https?://[^/?#]+/(?:[^?#]*/)?realms/{re.escape(config.realm)}", iss) is not None


# --- issuing ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SigningMaterial:
    kid: str
    private_key: Any


@dataclass(frozen=True)
class AccessTokenSubject:
    user_id: int
    username: str
    email: str
    roles: frozenset[str]
    groups: frozenset[str]


def access_token_encode(*, key: SigningMaterial, issuer: str, subject: AccessTokenSubject, client_id: str,
                        scope: str, session_id: str | None, now: datetime) -> tuple[str, str, int]:
    """A signed access token; returns (token, jti, lifetime in seconds)."""
    config = access_settings()
    iat = int(now.timestamp())
    jti = str(uuid.uuid4())
    claims: dict[str, Any] = {
        "exp": iat + config.access_token_lifetime_s, "iat": iat, "jti": jti, "iss": issuer,
        "aud": config.audience_claim, "sub": str(subject.user_id), "typ": "Bearer", "azp": client_id,
        "preferred_username": subject.username, "scope": scope,
        "realm_access": {"roles": sorted(subject.roles)}, "groups": sorted(subject.groups),
    }
    if subject.email:
        claims["email"] = subject.email
    if session_id:
        claims["sid"] = session_id
    token = jwt.encode(claims, key.private_key, algorithm=SIGNING_ALGORITHM, headers={"kid": key.kid})
    return token, jti, config.access_token_lifetime_s


def id_token_encode(*, key: SigningMaterial, issuer: str, subject: AccessTokenSubject, client_id: str,
                    session_id: str | None, now: datetime) -> str:
    """The OpenID Connect ID token (scope 'openid'): its audience is the client, so it never works as access token."""
    iat = int(now.timestamp())
    claims: dict[str, Any] = {
        "exp": iat + access_settings().access_token_lifetime_s, "iat": iat, "jti": str(uuid.uuid4()),
        "iss": issuer, "aud": client_id, "sub": str(subject.user_id), "typ": "ID", "azp": client_id,
        "preferred_username": subject.username,
    }
    if session_id:
        claims["sid"] = session_id
    return jwt.encode(claims, key.private_key, algorithm=SIGNING_ALGORITHM, headers={"kid": key.kid})


# --- verifying -------------------------------------------------------------------------------------------------------


def _peek(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Header and claims, unverified, to pick the key and the revocation marks. PyJWT then verifies the token; this
    plain parse spares two of its three (costly, per-character checked) decodings of each request's token."""
    if not token or len(token) > MAX_TOKEN_CHARS:
        raise InvalidCredentials("The token is malformed.")
    try:
        header_part, payload_part, _signature = token.split(".")
        header, claims = (json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
                          for part in (header_part, payload_part))
    except (ValueError, TypeError, binascii.Error):  # json.JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise InvalidCredentials("The token is malformed.") from None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise InvalidCredentials("The token is malformed.")
    return header, claims


def bearer_principal(token: str, *, method: AuthMethod) -> Principal:
    """The principal of a bearer token, or InvalidCredentials saying why it is refused."""
    header, unverified = _peek(token)
    iss, sub, sid = unverified.get("iss"), unverified.get("sub"), unverified.get("sid")
    if not isinstance(iss, str):
        raise InvalidCredentials("The token lacks the 'iss' claim.")
    wanted = [KEYSET_VERSION_KEY, ISSUERS_VERSION_KEY, RIGHTS_VERSION_KEY]
    if isinstance(sid, str):
        wanted.append(revoked_session_key(sid))
    if isinstance(sub, str):
        wanted.append(not_before_key(sub))
    marks = cache.get_many(wanted)

    external = external_issuers.issuer_config(iss, version=external_issuers.issuers_version(
        marks.get(ISSUERS_VERSION_KEY)))
    if external is not None:
        principal = external_issuers.external_principal(token, header=header, config=external, method=method)
        return dataclasses.replace(principal, rights_version=rights_version_of(marks.get(RIGHTS_VERSION_KEY)))
    config = access_settings()
    if not is_our_issuer(iss, config):
        raise InvalidCredentials("The token's issuer is not trusted.")
    kid = header.get("kid")
    if not isinstance(kid, str):
        raise InvalidCredentials("The token names no signing key (kid).")
    key = keys.verification_key(kid=kid, version=keys.keyset_version(marks.get(KEYSET_VERSION_KEY)))
    if key is None:
        raise InvalidCredentials("The token is signed by an unknown key.")
    try:
        claims = jwt.decode(token, key.public_key, algorithms=[SIGNING_ALGORITHM], audience=list(config.audiences),
                            leeway=CLOCK_SKEW_S, options={"require": _REQUIRED_CLAIMS})
    except jwt.PyJWTError as exc:
        raise InvalidCredentials(decode_error_message(exc)) from None
    if (claims.get("iss"), claims.get("sub"), claims.get("sid")) != (iss, sub, sid):
        raise InvalidCredentials("The token is malformed.")  # our peek and PyJWT read different claims
    if claims.get("typ") != "Bearer":
        raise InvalidCredentials("The token is not an access token.")
    if isinstance(sid, str) and marks.get(revoked_session_key(sid)):
        raise InvalidCredentials("The token's session was revoked.")
    not_before = marks.get(not_before_key(str(claims["sub"])))
    if not_before is not None and claims["iat"] <= not_before:
        raise InvalidCredentials("The token was revoked.")
    return _our_principal(claims, method=method, rights_version=rights_version_of(marks.get(RIGHTS_VERSION_KEY)))


def _our_principal(claims: dict[str, Any], *, method: AuthMethod, rights_version: int) -> Principal:
    subject = str(claims["sub"])
    if not subject.isdigit():
        raise InvalidCredentials("The token's subject is not one of our users.")
    roles = claims.get("realm_access", {}).get("roles", []) if isinstance(claims.get("realm_access"), dict) else []
    groups = claims.get("groups", [])
    return Principal(
        user_id=int(subject), username=str(claims.get("preferred_username", subject)),
        roles=roles_closure({r for r in roles if isinstance(r, str)}),
        groups=frozenset(g for g in groups if isinstance(g, str)) if isinstance(groups, list) else frozenset(),
        client_id=claims.get("azp"), token_id=str(claims["jti"]), method=method, issuer=str(claims["iss"]),
        subject=subject, expires_at=datetime.fromtimestamp(int(claims["exp"]), UTC),
        session_id=claims.get("sid"), rights_version=rights_version,
    )
