"""Outbound webhooks shared by the apps that call their users back (subscription pushes, production orders).

A body is signed with HMAC-SHA256 under a secret shown to its owner once:

    X-RS-Signature-256: sha256=<hex of HMAC-SHA256(secret, body)>

Endpoints are http(s) URLs without credentials in them; loopback, private, link-local and reserved addresses are
refused unless the caller's setting allows private networks (the service must not become a way into its own
network). Redirects are not followed. Secrets we must use again later are kept sealed (Fernet under a key derived
from SECRET_KEY for one purpose): a database dump alone reveals none of them.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import ipaddress
import socket
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

SIGNATURE_HEADER = "X-RS-Signature-256"


class WebhookFailed(Exception):
    """The endpoint did not take the call (the message names the reason, never a credential)."""


def url_problem(url: str, *, max_chars: int = 2048) -> str:
    """What is wrong with a callback URL, '' when nothing is."""
    if len(url) > max_chars:
        return f"longer than {max_chars} characters"
    try:
        parts = urlsplit(url)
        _port = parts.port  # a port out of range raises here
    except ValueError:
        return "not a valid URL"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "must be an http:// or https:// URL with a host"
    if parts.username is not None or parts.password is not None:
        return "must not carry credentials"
    if any(ch.isspace() or ord(ch) < 32 for ch in url):
        return "contains spaces or control characters"
    return ""


def public_address_check(host: str, port: int) -> None:
    """WebhookFailed unless every address the host resolves to is a public unicast one."""
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except OSError as exc:
        raise WebhookFailed(f"cannot resolve {host}: {exc.strerror or exc}") from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global or address.is_multicast:
            raise WebhookFailed(f"{host} resolves to {address}, which is not a public address")


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def signed_post(*, url: str, body: bytes, secret: str, headers: Mapping[str, str], timeout_s: float,
                private_networks: bool, user_agent: str) -> None:
    """POST a JSON body signed with `secret`; WebhookFailed unless the endpoint answers 2xx within the timeout."""
    problem = url_problem(url)
    if problem:
        raise WebhookFailed(f"the callback URL {problem}")
    parts = urlsplit(url)
    if not private_networks:
        public_address_check(parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80))
    all_headers = {"Content-Type": "application/json", "User-Agent": user_agent,
                   SIGNATURE_HEADER: signature(secret, body), **headers}
    request = urllib.request.Request(url, data=body, method="POST", headers=all_headers)  # noqa: S310 - http(s) only
    try:
        with _opener.open(request, timeout=timeout_s) as response:
            response.read(65536)  # let the endpoint finish its answer; its content does not matter
            status = response.status
    except urllib.error.HTTPError as exc:
        raise WebhookFailed(f"the endpoint answered HTTP {exc.code}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise WebhookFailed(f"the endpoint could not be reached ({type(reason).__name__}: {reason})"[:300]) from None
    if not 200 <= status < 300:
        raise WebhookFailed(f"the endpoint answered HTTP {status}")


@functools.lru_cache(maxsize=8)
def _fernet(secret_key: str, purpose: bytes) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def seal(text: str, *, purpose: str) -> str:
    return _fernet(settings.SECRET_KEY, purpose.encode()).encrypt(text.encode()).decode("ascii") if text else ""


def unseal(token: str, *, purpose: str) -> str:
    """The sealed text; WebhookFailed when it cannot be opened (SECRET_KEY changed)."""
    if not token:
        return ""
    try:
        return _fernet(settings.SECRET_KEY, purpose.encode()).decrypt(token.encode("ascii")).decode()
    except (InvalidToken, ValueError):
        raise WebhookFailed("the signing secret cannot be opened (was SECRET_KEY changed?)") from None
