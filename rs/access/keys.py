"""Signing keys: generation, encryption at rest, and the per-process key ring that verifies tokens.

Verifying a token must not read the database: each process keeps the published public keys in memory, tagged with
the key-set version stored in the Django cache. The caller reads that version (in the same round trip as the
revocation checks) and the ring reloads from the database only when it changed, or at most once a second when a
token names a kid the ring does not know.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from jwt.algorithms import RSAAlgorithm

from rs.access.choices import KeyState
from rs.access.constants import KEYSET_VERSION_KEY, RSA_KEY_BITS, SIGNING_ALGORITHM, UNKNOWN_KID_RELOAD_S
from rs.access.models import SigningKey

_STATE_ORDER = {KeyState.ACTIVE: 0, KeyState.NEXT: 1, KeyState.RETIRED: 2}


@dataclass(frozen=True)
class GeneratedKey:
    kid: str
    private_key_pem: str  # encrypted PKCS#8
    public_jwk: dict[str, str]


@dataclass(frozen=True)
class PublishedKey:
    kid: str
    state: str
    jwk: dict[str, str]
    public_key: Any  # RSAPublicKey
    verify_until: datetime | None


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def key_pair_generate(*, passphrase: bytes) -> GeneratedKey:
    """A new RSA key pair; the kid is its RFC 7638 thumbprint, so it names the key and nothing else."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=RSA_KEY_BITS)
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(passphrase),
    ).decode()
    jwk: dict[str, Any] = dict(RSAAlgorithm.to_jwk(private.public_key(), as_dict=True))
    canonical = json.dumps({"e": jwk["e"], "kty": "RSA", "n": jwk["n"]}, separators=(",", ":"), sort_keys=True)
    kid = _b64url(hashlib.sha256(canonical.encode()).digest())
    public = {"kty": "RSA", "use": "sig", "alg": SIGNING_ALGORITHM, "kid": kid, "n": jwk["n"], "e": jwk["e"]}
    return GeneratedKey(kid=kid, private_key_pem=pem, public_jwk=public)


# --- signing (token endpoint: one small query per issued token, the decrypted key cached per process) -------------

_private_keys: dict[str, Any] = {}
_private_lock = threading.Lock()


def private_key(*, kid: str, pem: str, passphrase: bytes) -> Any:
    """The decrypted private key of `kid` (decryption runs a key-derivation function: once per process)."""
    with _private_lock:
        key = _private_keys.get(kid)
        if key is None:
            key = serialization.load_pem_private_key(pem.encode(), password=passphrase)
            _private_keys[kid] = key
        return key


# --- verification: the key ring ------------------------------------------------------------------------------------


class _Ring:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.version: str | None = None
        self.keys: dict[str, PublishedKey] = {}
        self.loaded_at = float("-inf")

    def load(self, version: str | None) -> None:
        now = timezone.now()
        rows = (SigningKey.objects
                .filter(Q(state__in=[KeyState.NEXT, KeyState.ACTIVE]) | Q(state=KeyState.RETIRED, verify_until__gt=now))
                .only("kid", "state", "public_jwk", "verify_until"))
        keys = {}
        for row in rows:
            public_key = RSAAlgorithm.from_jwk(row.public_jwk)
            keys[row.kid] = PublishedKey(kid=row.kid, state=row.state, jwk=dict(row.public_jwk),
                                         public_key=public_key, verify_until=row.verify_until)
        self.keys, self.version, self.loaded_at = keys, version, time.monotonic()


_ring = _Ring()


def keyset_version(cached: str | None) -> str:
    """The current key-set version, given the value the caller read from the cache (None: missing, e.g. after a
    cache flush; a new version is then agreed on through cache.add, so every process reloads once)."""
    if cached is not None:
        return cached
    cache.add(KEYSET_VERSION_KEY, uuid.uuid4().hex, timeout=None)
    return cache.get(KEYSET_VERSION_KEY) or "unversioned"


def published_keys(*, version: str) -> dict[str, PublishedKey]:
    with _ring.lock:
        if _ring.version != version:
            _ring.load(version)
        return _ring.keys


def verification_key(*, kid: str, version: str) -> PublishedKey | None:
    """The public key that verifies tokens of `kid`, or None (unknown, or retired past its last token's expiry)."""
    with _ring.lock:
        if _ring.version != version:
            _ring.load(version)
        key = _ring.keys.get(kid)
        if key is None and time.monotonic() - _ring.loaded_at >= UNKNOWN_KID_RELOAD_S:
            _ring.load(version)
            key = _ring.keys.get(kid)
    if key is not None and key.verify_until is not None and key.verify_until <= timezone.now():
        return None
    return key


def jwks_document(*, version: str) -> dict[str, list[dict[str, str]]]:
    """The JWKS: active, next and still-verifying retired keys (in that order)."""
    keys = sorted(published_keys(version=version).values(), key=lambda k: (_STATE_ORDER[KeyState(k.state)], k.kid))
    now = timezone.now()
    return {"keys": [k.jwk for k in keys if k.verify_until is None or k.verify_until > now]}


def keyset_changed() -> None:
    """Announce a key change to every process once the transaction commits (a new version in the Django cache)."""

    def bump() -> None:
        cache.set(KEYSET_VERSION_KEY, uuid.uuid4().hex, timeout=None)

    transaction.on_commit(bump)
