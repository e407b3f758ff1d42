"""Push notifications on the wire: the endpoint rules and one signed POST.

The body is signed with HMAC-SHA256 under the subscription's own secret (shown to its owner once, at creation):

    X-RS-Signature-256: sha256=<hex of HMAC-SHA256(secret, body)>

so that a receiver can tell our notifications from forged ones; X-RS-Notification-Id lets it drop the duplicates
that retries can produce. Endpoints are http(s) URLs without credentials in them; loopback, private, link-local
and reserved addresses are refused unless RS_SUBSCRIPTION_PUSH_PRIVATE_NETWORKS (the service must not become a
way into its own network). Redirects are not followed.
"""

from __future__ import annotations

import base64
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlsplit

from rs.subscriptions.configuration import subscription_settings
from rs.subscriptions.constants import MAX_ENDPOINT_CHARS
from rs.subscriptions.errors import InvalidSubscription
from rs.webhooks import SIGNATURE_HEADER, WebhookFailed, public_address_check, signature

__all__ = ["SIGNATURE_HEADER", "PushFailed", "endpoint_check", "push_send", "signature"]
USER_AGENT = "rs-prip-subscriptions/1"


class PushFailed(Exception):
    """The endpoint did not take the notification (the message names the reason, never a credential)."""


def endpoint_check(url: str) -> str:
    """The endpoint as given, or InvalidSubscription saying what is wrong with it."""
    def invalid(message: str) -> InvalidSubscription:
        return InvalidSubscription(message, target="NotificationEndpoint")

    if len(url) > MAX_ENDPOINT_CHARS:
        raise invalid(f"NotificationEndpoint is longer than {MAX_ENDPOINT_CHARS} characters")
    try:
        parts = urlsplit(url)
        _port = parts.port  # a port out of range raises here
    except ValueError:
        raise invalid("NotificationEndpoint is not a valid URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise invalid("NotificationEndpoint must be an http:// or https:// URL with a host")
    if parts.username is not None or parts.password is not None:
        raise invalid("Give the endpoint credentials in NotificationEpUsername/NotificationEpPassword, not in the URL")
    if any(ch.isspace() or ord(ch) < 32 for ch in url):
        raise invalid("NotificationEndpoint contains spaces or control characters")
    return url


def _address_allowed(host: str, port: int) -> None:
    if subscription_settings().push_private_networks:
        return
    try:
        public_address_check(host, port)
    except WebhookFailed as exc:
        raise PushFailed(str(exc)) from None


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def push_send(*, url: str, body: bytes, secret: str, username: str, password: str, notification_id: int,
              subscription_id: str) -> None:
    """POST one notification; PushFailed unless the endpoint answers 2xx within the timeout."""
    parts = urlsplit(url)
    _address_allowed(parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80))
    headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT, SIGNATURE_HEADER: signature(secret, body),
               "X-RS-Subscription-Id": subscription_id, "X-RS-Notification-Id": str(notification_id)}
    if username:
        token = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
        headers["Authorization"] = f"Basic {token}"
    # the scheme was checked by endpoint_check (http or https only)
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)  # noqa: S310
    try:
        with _opener.open(request, timeout=subscription_settings().push_timeout_s) as response:
            response.read(65536)  # let the endpoint finish its answer; its content does not matter
            status = response.status
    except urllib.error.HTTPError as exc:
        raise PushFailed(f"the endpoint answered HTTP {exc.code}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise PushFailed(f"the endpoint could not be reached ({type(reason).__name__}: {reason})"[:300]) from None
    if not 200 <= status < 300:
        raise PushFailed(f"the endpoint answered HTTP {status}")
