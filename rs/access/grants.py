"""The token endpoint's request handling (RFC 6749 §4.3, §4.4, §6; Keycloak's bodies): form checks, client
authentication, the three grants, failed-login throttling. Every refusal is an OAuthError; nothing here logs a
parameter value."""

from __future__ import annotations

import base64
import binascii
import logging
from urllib.parse import unquote_plus

from django.contrib.auth import authenticate
from django.http import HttpRequest

from rs.access import selectors, services
from rs.access.choices import GrantType
from rs.access.constants import DEFAULT_SCOPE, MAX_PARAMETER_CHARS, SUPPORTED_SCOPES
from rs.access.discovery import issuer_url
from rs.access.errors import GrantRefused, OAuthError, TooManyAttempts
from rs.access.models import OAuthClient
from rs.access.throttling import client_ip, login_check, login_failed, login_succeeded

logger = logging.getLogger(__name__)

_SCOPE_ORDER = ["openid", "profile", "email", "offline_access"]
INVALID_CLIENT = "Invalid client or Invalid client credentials"


def _invalid_request(description: str) -> OAuthError:
    return OAuthError(400, "invalid_request", description)


def form_parameters(request: HttpRequest) -> dict[str, str]:
    content_type = request.content_type or ""
    if content_type != "application/x-www-form-urlencoded":
        raise _invalid_request("Content-Type must be application/x-www-form-urlencoded")
    form: dict[str, str] = {}
    for name, values in request.POST.lists():
        if len(values) > 1:  # RFC 6749 §3.2: parameters must not be repeated
            raise _invalid_request(f"Parameter {name[:40]} is repeated")
        if len(values[0]) > MAX_PARAMETER_CHARS:
            raise _invalid_request(f"Parameter {name[:40]} is too long")
        form[name] = values[0]
    return form


def _basic_client(request: HttpRequest) -> tuple[str, str] | None:
    """client_secret_basic: both parts are form-encoded before base64 (RFC 6749 §2.3.1)."""
    scheme, _, encoded = request.META.get("HTTP_AUTHORIZATION", "").strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        client_id, colon, secret = base64.b64decode(encoded.strip(), validate=True).decode().partition(":")
    except (binascii.Error, ValueError):
        raise OAuthError(401, "invalid_client", INVALID_CLIENT, headers={"WWW-Authenticate": 'Basic realm="token"'}) \
            from None
    if not colon:
        raise OAuthError(401, "invalid_client", INVALID_CLIENT, headers={"WWW-Authenticate": 'Basic realm="token"'})
    return unquote_plus(client_id), unquote_plus(secret)


def authenticated_client(request: HttpRequest, form: dict[str, str]) -> OAuthClient:
    """The calling client: a public one by its client_id, a confidential one with its secret (Basic or form)."""
    basic = _basic_client(request)
    client_id, secret = basic if basic else (form.get("client_id", ""), form.get("client_secret", ""))
    if basic and form.get("client_id") not in (None, client_id):
        raise _invalid_request("client_id differs from the client authenticated with Basic")
    if not client_id:
        raise _invalid_request("Missing parameter: client_id")
    challenge = {"WWW-Authenticate": 'Basic realm="token"'} if basic else {}
    client = selectors.oauth_client(client_id=client_id)
    if client is None:
        raise OAuthError(401, "invalid_client", INVALID_CLIENT, headers=challenge)
    # A public client's secret (eodag sends an empty one) is ignored, as Keycloak does.
    if client.confidential and not services.oauth_client_secret_matches(client=client, secret=secret):
        raise OAuthError(401, "invalid_client", INVALID_CLIENT, headers=challenge)
    return client


def _scope(requested: str | None) -> str:
    names = set((requested or "").split())
    unknown = names - SUPPORTED_SCOPES
    if unknown:
        raise OAuthError(400, "invalid_scope", f"Invalid scopes: {' '.join(sorted(unknown))[:200]}")
    names |= set(DEFAULT_SCOPE.split())
    return " ".join(s for s in _SCOPE_ORDER if s in names)


def token_grant(request: HttpRequest) -> services.TokenGrant:
    form = form_parameters(request)
    grant = form.get("grant_type")
    if not grant:
        raise _invalid_request("Missing form parameter: grant_type")
    if grant not in GrantType.values:
        raise OAuthError(400, "unsupported_grant_type", f"Unsupported grant_type {grant[:60]}")
    client = authenticated_client(request, form)
    if not client.allows(grant):
        raise OAuthError(400, "unauthorized_client", f"Client not allowed to use the {grant} grant")
    issuer = issuer_url(request)
    if grant == GrantType.PASSWORD:
        return _password_grant(request, form, client=client, issuer=issuer)
    try:
        if grant == GrantType.REFRESH_TOKEN:
            refresh = form.get("refresh_token")
            if not refresh:
                raise _invalid_request("Missing parameter: refresh_token")
            return services.tokens_refresh(client=client, refresh_token=refresh, issuer=issuer)
        if not client.confidential:
            raise OAuthError(400, "unauthorized_client", "Public client not allowed to retrieve service account")
        return services.tokens_issue_for_client(client=client, scope=_scope(form.get("scope")), issuer=issuer)
    except GrantRefused as exc:
        raise OAuthError(400, exc.error, exc.description) from None


def _password_grant(request: HttpRequest, form: dict[str, str], *, client: OAuthClient,
                    issuer: str) -> services.TokenGrant:
    username, password = form.get("username"), form.get("password")
    if not username:
        raise _invalid_request("Missing parameter: username")
    if password is None:
        raise _invalid_request("Missing parameter: password")
    scope = _scope(form.get("scope"))
    ip = client_ip(request)
    try:
        login_check(username=username, ip=ip)
    except TooManyAttempts as exc:
        raise OAuthError(429, "temporarily_unavailable", str(exc), headers=exc.headers) from None
    user = authenticate(request, username=username, password=password)
    if user is None:
        login_failed(username=username, ip=ip)
        logger.info("password grant refused for client %s from %s", client.client_id, ip)
        raise OAuthError(401, "invalid_grant", "Invalid user credentials")
    login_succeeded(username=username, ip=ip)
    return services.tokens_issue_for_user(client=client, user=user, scope=scope, issuer=issuer)
