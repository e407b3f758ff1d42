"""Writes of the access app: signing keys, token sessions and refresh tokens, OAuth clients, rule changes.

Keyword-only, atomic; cache announcements (key-set version, revocations, rule sets) are made on commit.
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from rs.access import external_issuers, keys
from rs.access.choices import KeyState
from rs.access.configuration import access_settings
from rs.access.constants import CLOCK_SKEW_S, REFRESH_REUSE_GRACE_S, VISIBILITY_RULES_KEY
from rs.access.errors import GrantRefused
from rs.access.models import ExternalIssuer, OAuthClient, RefreshToken, SigningKey, TokenSession, VisibilityRule
from rs.access.principals import roles_of
from rs.access.rights import rights_version_bump
from rs.access.tokens import (
    AccessTokenSubject,
    SigningMaterial,
    access_token_encode,
    id_token_encode,
    not_before_key,
    revoked_session_key,
)

logger = logging.getLogger(__name__)

def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


# --- signing keys ----------------------------------------------------------------------------------------------------


def _key_create(*, state: KeyState, now: datetime) -> SigningKey:
    generated = keys.key_pair_generate(passphrase=access_settings().key_passphrase)
    return SigningKey.objects.create(kid=generated.kid, state=state, private_key_pem=generated.private_key_pem,
                                     public_jwk=generated.public_jwk, activated_at=now if state == "active" else None)


def signing_keys_ensure(*, now: datetime | None = None) -> SigningKey:
    """Make sure an active and a next key exist (first start, or after an operator deleted keys)."""
    now = now or timezone.now()
    try:
        with transaction.atomic():
            current = {k.state: k for k in SigningKey.objects.select_for_update()
                       .filter(state__in=[KeyState.ACTIVE, KeyState.NEXT])}
            active = current.get(KeyState.ACTIVE)
            if active is None:
                if KeyState.NEXT in current:
                    active = current.pop(KeyState.NEXT)
                    active.state, active.activated_at = KeyState.ACTIVE, now
                    active.save(update_fields=["state", "activated_at"])
                else:
                    active = _key_create(state=KeyState.ACTIVE, now=now)
                keys.keyset_changed()
            if KeyState.NEXT not in current:
                _key_create(state=KeyState.NEXT, now=now)
                keys.keyset_changed()
            return active
    except IntegrityError:  # another process created them at the same moment
        return SigningKey.objects.get(state=KeyState.ACTIVE)


@transaction.atomic
def signing_keys_rotate(*, now: datetime | None = None) -> SigningKey:
    """next → active, active → retired (still verifying until every token it signed has expired), a new next
    key published for the following rotation; retired keys past that time are deleted. Returns the new active key."""
    now = now or timezone.now()
    current = {k.state: k for k in SigningKey.objects.select_for_update()
               .filter(state__in=[KeyState.ACTIVE, KeyState.NEXT])}
    retiring, promoted = current.get(KeyState.ACTIVE), current.get(KeyState.NEXT)
    if retiring is not None:
        retiring.state, retiring.retired_at = KeyState.RETIRED, now
        retiring.verify_until = now + timedelta(seconds=access_settings().access_token_lifetime_s + CLOCK_SKEW_S)
        retiring.save(update_fields=["state", "retired_at", "verify_until"])
    if promoted is None:
        promoted = _key_create(state=KeyState.ACTIVE, now=now)
    else:
        promoted.state, promoted.activated_at = KeyState.ACTIVE, now
        promoted.save(update_fields=["state", "activated_at"])
    _key_create(state=KeyState.NEXT, now=now)
    SigningKey.objects.filter(state=KeyState.RETIRED, verify_until__lte=now).delete()
    keys.keyset_changed()
    logger.info("signing keys rotated: %s now signs", promoted.kid)
    return promoted


def signing_keys_maintain(*, now: datetime | None = None) -> str:
    """The periodic task: ensure keys, rotate when the active key is older than RS_ACCESS_KEY_ROTATION_DAYS,
    delete retired keys no token needs any more. Returns what it did."""
    now = now or timezone.now()
    active = signing_keys_ensure(now=now)
    age = now - (active.activated_at or active.created_at)
    if age >= timedelta(days=access_settings().key_rotation_days):
        return f"rotated: {signing_keys_rotate(now=now).kid} active"
    purged, _ = SigningKey.objects.filter(state=KeyState.RETIRED, verify_until__lte=now).delete()
    if purged:
        keys.keyset_changed()
    return f"kept: {active.kid} active, {purged} retired key(s) deleted"


def signing_material() -> SigningMaterial:
    """The active key, decrypted (cached per process), for signing a token."""
    row = SigningKey.objects.filter(state=KeyState.ACTIVE).only("kid", "private_key_pem").first()
    if row is None:
        row = signing_keys_ensure()
    private = keys.private_key(kid=row.kid, pem=row.private_key_pem, passphrase=access_settings().key_passphrase)
    return SigningMaterial(kid=row.kid, private_key=private)


# --- tokens ----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TokenGrant:
    access_token: str
    expires_in: int
    scope: str
    refresh_token: str | None = None
    refresh_expires_in: int = 0
    session_id: str | None = None
    id_token: str | None = None


def _subject(user: Any) -> AccessTokenSubject:
    groups = frozenset(user.groups.values_list("name", flat=True))
    return AccessTokenSubject(user_id=user.pk, username=user.get_username(), email=getattr(user, "email", "") or "",
                              roles=roles_of(is_superuser=user.is_superuser, group_names=groups), groups=groups)


def _grant(*, user: Any, client: OAuthClient, scope: str, issuer: str, session: TokenSession | None,
           refresh: str | None, refresh_expires: datetime | None, now: datetime) -> TokenGrant:
    key = signing_material()
    subject = _subject(user)
    sid = str(session.pk) if session is not None else None
    token, _jti, lifetime = access_token_encode(key=key, issuer=issuer, subject=subject, client_id=client.client_id,
                                                scope=scope, session_id=sid, now=now)
    id_token = None
    if "openid" in scope.split():
        id_token = id_token_encode(key=key, issuer=issuer, subject=subject, client_id=client.client_id,
                                   session_id=sid, now=now)
    refresh_in = max(0, int((refresh_expires - now).total_seconds())) if refresh_expires else 0
    return TokenGrant(access_token=token, expires_in=lifetime, scope=scope, refresh_token=refresh,
                      refresh_expires_in=refresh_in, session_id=sid, id_token=id_token)


def _refresh_token_add(*, session: TokenSession, now: datetime) -> tuple[str, datetime]:
    token = secrets.token_urlsafe(32)
    expires = min(now + timedelta(seconds=access_settings().refresh_token_lifetime_s), session.expires_at)
    RefreshToken.objects.create(token_sha256=_sha256(token), session=session, expires_at=expires)
    return token, expires


@transaction.atomic
def tokens_issue_for_user(*, client: OAuthClient, user: Any, scope: str, issuer: str,
                          now: datetime | None = None) -> TokenGrant:
    """Password grant: a new session with its first refresh token; the user's oldest sessions beyond
    RS_ACCESS_MAX_SESSIONS_PER_USER are revoked."""
    now = now or timezone.now()
    config = access_settings()
    session = TokenSession.objects.create(user=user, client=client, scope=scope,
                                          expires_at=now + timedelta(seconds=config.session_max_s))
    surplus = list(TokenSession.objects.filter(user=user, revoked_at__isnull=True, expires_at__gt=now)
                   .order_by("-created_at", "-pk").values_list("pk", flat=True)[config.max_sessions_per_user:])
    if surplus:
        _sessions_revoke(ids=surplus, reason="too many sessions", now=now)
    refresh, refresh_expires = _refresh_token_add(session=session, now=now)
    return _grant(user=user, client=client, scope=scope, issuer=issuer, session=session, refresh=refresh,
                  refresh_expires=refresh_expires, now=now)


def tokens_issue_for_client(*, client: OAuthClient, scope: str, issuer: str, now: datetime | None = None) -> TokenGrant:
    """client_credentials: an access token carrying the rights of the client's service user, no refresh token."""
    user = client.service_user
    if user is None or not user.is_active:
        raise GrantRefused("The client has no active service account.", error="unauthorized_client")
    return _grant(user=user, client=client, scope=scope, issuer=issuer, session=None, refresh=None,
                  refresh_expires=None, now=now or timezone.now())


def tokens_refresh(*, client: OAuthClient, refresh_token: str, issuer: str, now: datetime | None = None) -> TokenGrant:
    """refresh_token grant: the presented token is used up and replaced (rotation). Presenting a used token again
    after the grace time is a replay: the whole session is revoked (the thief's and the owner's tokens alike)."""
    now = now or timezone.now()
    with transaction.atomic():
        outcome = _refresh_locked(client=client, digest=_sha256(refresh_token), issuer=issuer, now=now)
    if isinstance(outcome, str):  # raised after the commit, so a revocation decided above is kept
        raise GrantRefused(outcome)
    return outcome


def _refresh_locked(*, client: OAuthClient, digest: str, issuer: str, now: datetime) -> TokenGrant | str:
    row = (RefreshToken.objects.select_for_update(of=("self",)).select_related("session", "session__user")
           .filter(token_sha256=digest).first())
    if row is None:
        return "Invalid refresh token"
    session = row.session
    if session.client_id != client.pk:
        return "Token client and authorized client don't match"
    if session.revoked_at is not None:
        return "Session not active"
    if row.used_at is not None:
        if now - row.used_at > timedelta(seconds=REFRESH_REUSE_GRACE_S):
            _sessions_revoke(ids=[session.pk], reason="refresh token replayed", now=now)
            logger.warning("refresh token replayed: session %s of user %s revoked", session.pk, session.user_id)
        return "Refresh token already used"
    if row.expires_at <= now or session.expires_at <= now:
        return "Token is not active"
    if not session.user.is_active:
        _sessions_revoke(ids=[session.pk], reason="user disabled", now=now)
        return "Session not active"
    row.used_at = now
    row.save(update_fields=["used_at"])
    session.refreshed_at = now
    session.save(update_fields=["refreshed_at"])
    refresh, refresh_expires = _refresh_token_add(session=session, now=now)
    return _grant(user=session.user, client=client, scope=session.scope, issuer=issuer, session=session,
                  refresh=refresh, refresh_expires=refresh_expires, now=now)


def _sessions_revoke(*, ids: list[Any], reason: str, now: datetime) -> int:
    count = TokenSession.objects.filter(pk__in=ids, revoked_at__isnull=True).update(revoked_at=now,
                                                                                    revoked_reason=reason)
    lifetime = access_settings().access_token_lifetime_s + CLOCK_SKEW_S
    marks = {revoked_session_key(str(pk)): True for pk in ids}
    # Access tokens of these sessions are refused from now until they would have expired anyway.
    transaction.on_commit(lambda: cache.set_many(marks, timeout=lifetime))
    return count


@transaction.atomic
def session_revoke(*, session_id: Any, reason: str = "revoked by an operator") -> int:
    return _sessions_revoke(ids=[session_id], reason=reason, now=timezone.now())


@transaction.atomic
def refresh_token_revoke(*, client: OAuthClient, refresh_token: str) -> int:
    """Logout / RFC 7009 revocation: end the session of this refresh token (silently nothing if unknown)."""
    row = RefreshToken.objects.filter(token_sha256=_sha256(refresh_token), session__client=client).first()
    if row is None:
        return 0
    return _sessions_revoke(ids=[row.session_id], reason="logout", now=timezone.now())


@transaction.atomic
def user_sessions_revoke(*, user_id: int, reason: str = "revoked by an operator") -> int:
    """End every session of a user and refuse the access tokens already issued to them (password change, leak)."""
    now = timezone.now()
    ids = list(TokenSession.objects.filter(user_id=user_id, revoked_at__isnull=True).values_list("pk", flat=True))
    count = _sessions_revoke(ids=ids, reason=reason, now=now)
    lifetime = access_settings().access_token_lifetime_s + CLOCK_SKEW_S
    stamp = int(now.timestamp())
    transaction.on_commit(lambda: cache.set(not_before_key(str(user_id)), stamp, timeout=lifetime))
    return count


def sessions_purge(*, now: datetime | None = None) -> int:
    """Delete sessions that ended more than a day ago (their refresh tokens go with them)."""
    limit = (now or timezone.now()) - timedelta(days=1)
    _total, per_model = TokenSession.objects.filter(Q(expires_at__lt=limit) | Q(revoked_at__lt=limit)).delete()
    return per_model.get(TokenSession._meta.label, 0)


# --- clients ---------------------------------------------------------------------------------------------------------


def _secret_new() -> tuple[str, str]:
    secret = secrets.token_urlsafe(32)
    return secret, _sha256(secret)


@transaction.atomic
def oauth_client_create(*, client_id: str, name: str = "", confidential: bool = False,
                        grant_types: str = "password refresh_token", service_username: str | None = None
                        ) -> tuple[OAuthClient, str | None]:
    """A new client; returns it with its secret (confidential clients only), which is shown once and never stored."""
    service_user = get_user_model().objects.get(username=service_username) if service_username else None
    secret, digest = _secret_new() if confidential else (None, "")
    client = OAuthClient(client_id=client_id, name=name, confidential=confidential, secret_sha256=digest,
                         grant_types=grant_types, service_user=service_user)
    client.full_clean()
    client.save()
    return client, secret


@transaction.atomic
def oauth_client_save(*, client: OAuthClient) -> str | None:
    """Create or change a client (the admin's path). A confidential client without a secret gets one, returned
    once; a client made public loses its secret."""
    client.full_clean()
    secret = None
    if client.confidential and not client.secret_sha256:
        secret, client.secret_sha256 = _secret_new()
    elif not client.confidential:
        client.secret_sha256 = ""
    client.save()
    return secret


@transaction.atomic
def oauth_client_secret_reset(*, client: OAuthClient) -> str:
    secret, digest = _secret_new()
    OAuthClient.objects.filter(pk=client.pk).update(secret_sha256=digest, confidential=True)
    client.secret_sha256, client.confidential = digest, True
    return secret


def oauth_client_secret_matches(*, client: OAuthClient, secret: str) -> bool:
    return bool(client.secret_sha256) and secrets.compare_digest(client.secret_sha256, _sha256(secret))


# --- rules and issuers -----------------------------------------------------------------------------------------------


def rights_changed() -> None:
    """Someone's rights changed (rules, groups, activity): drop the cached rules and bump the rights version, so
    that every memo of rights is stale at once — once the change is committed, or now outside a transaction."""

    def bump() -> None:
        cache.delete(VISIBILITY_RULES_KEY)
        rights_version_bump()

    transaction.on_commit(bump)


@transaction.atomic
def visibility_rule_save(*, rule: VisibilityRule) -> VisibilityRule:
    rule.full_clean()
    rule.save()
    rights_changed()
    return rule


@transaction.atomic
def visibility_rule_delete(*, rule: VisibilityRule) -> None:
    rule.delete()
    rights_changed()


@transaction.atomic
def external_issuer_save(*, issuer: ExternalIssuer) -> ExternalIssuer:
    issuer.full_clean()
    issuer.save()
    external_issuers.issuers_changed()
    return issuer


@transaction.atomic
def external_issuer_delete(*, issuer: ExternalIssuer) -> None:
    issuer.delete()
    external_issuers.issuers_changed()


LOCAL_ADMIN = "admin"  # the superuser `make run` creates and prints the password of


def local_admin_ensure(*, password_file: Path) -> str | None:
    """The superuser `admin` of the embedded default, created when missing; returns its password, the one kept in
    `password_file` (a fresh one is set and written there when the file is missing), or None when the password was
    changed in the admin since the file was written (it is then neither printed nor reset)."""
    users = get_user_model().objects
    admin = users.filter(username=LOCAL_ADMIN).first()
    kept = password_file.read_text().strip() if password_file.is_file() else ""
    if admin is not None and kept and not admin.check_password(kept):
        return None
    password = kept or secrets.token_urlsafe(12)
    if admin is None:
        users.create_superuser(username=LOCAL_ADMIN, email=f"{LOCAL_ADMIN}@localhost", password=password)
    elif not kept:  # the file was lost: a password nobody knows is replaced by one that is printed
        admin.set_password(password)
        admin.save(update_fields=["password"])
    if not kept:
        password_file.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(password_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(password + "\n")
    return password
