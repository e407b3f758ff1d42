"""Secrets we must send again later (push endpoint passwords, the HMAC keys of push signatures) are kept sealed:
authenticated encryption (Fernet) under a key derived from SECRET_KEY for this purpose only. A database dump alone
reveals none of them; changing SECRET_KEY makes them unreadable (SealBroken), like the signing keys of rs.access."""

from __future__ import annotations

import base64
import functools

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

from rs.subscriptions.errors import SealBroken

_PURPOSE = b"rs.subscriptions.sealing"


@functools.lru_cache(maxsize=4)
def _fernet(secret_key: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_PURPOSE).derive(secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def seal(text: str) -> str:
    return _fernet(settings.SECRET_KEY).encrypt(text.encode()).decode("ascii") if text else ""


def unseal(token: str) -> str:
    if not token:
        return ""
    try:
        return _fernet(settings.SECRET_KEY).decrypt(token.encode("ascii")).decode()
    except (InvalidToken, ValueError):
        raise SealBroken("A sealed secret cannot be opened (was SECRET_KEY changed?)") from None
