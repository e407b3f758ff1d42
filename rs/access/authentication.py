"""The one authentication path of the project.

`authenticate_request(request)` accepts, in this order: `Authorization: Bearer <JWT>`, `?token=<JWT>` (eodag),
`Authorization: Basic` (PRIP clients; throttled) and the Django session (web client). It returns None when no
credential was presented and raises `InvalidCredentials` (401) for a bad one — never falls back to anonymous.

    principal = require_principal(request, role=Role.OPERATOR)   # 401 / 403 as typed errors
    @principal_required()                                         # the same, as a view decorator
    REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"] = ["rs.access.authentication.BearerTokenAuthentication", …]
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import functools
import hashlib
import hmac
import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate, get_user_model
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from rest_framework import authentication as drf_authentication
from rest_framework import exceptions as drf_exceptions
from rest_framework.request import Request

from rs.access.choices import AuthMethod
from rs.access.configuration import access_settings
from rs.access.constants import BASIC_CACHE_ENTRIES, BASIC_CACHE_S
from rs.access.errors import AccessError, CredentialsRequired, Forbidden, InvalidCredentials
from rs.access.principals import Principal, principal_from_user
from rs.access.rights import rights_version
from rs.access.throttling import client_ip, login_check, login_failed, login_succeeded
from rs.access.tokens import bearer_principal

__all__ = ["Principal", "authenticate_request", "principal_required", "require_principal", "search_principal"]

_MEMO = "_rs_access_principal"


def authenticate_request(request: HttpRequest) -> Principal | None:
    """The caller's principal, None without credentials; InvalidCredentials (401), TooManyAttempts (429) or
    Forbidden (403, session without CSRF token on an unsafe method) otherwise. Memoised on the request."""
    if hasattr(request, _MEMO):
        return getattr(request, _MEMO)
    principal = _authenticate(request)
    setattr(request, _MEMO, principal)
    return principal


def _authenticate(request: HttpRequest) -> Principal | None:
    scheme, _, credentials = request.META.get("HTTP_AUTHORIZATION", "").strip().partition(" ")
    scheme = scheme.lower()
    if scheme == "bearer":
        return bearer_principal(credentials.strip(), method=AuthMethod.BEARER)
    tokens = request.GET.getlist("token")
    if tokens:
        if len(tokens) != 1:
            raise InvalidCredentials("Give one token= parameter.")
        return bearer_principal(tokens[0].strip(), method=AuthMethod.QUERY_TOKEN)
    if scheme == "basic":
        return _basic_principal(request, credentials.strip())
    if scheme:
        raise InvalidCredentials(f"Unsupported authorization scheme {scheme[:20]!r}: use Bearer or Basic.")
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        _csrf_enforce(request)
        return principal_from_user(user, method=AuthMethod.SESSION)
    return None


def require_principal(request: HttpRequest, *, role: str | None = None) -> Principal:
    """The principal, or CredentialsRequired (401) without credentials, Forbidden (403) without the role."""
    principal = authenticate_request(request)
    if principal is None:
        raise CredentialsRequired()
    if role is not None and not principal.has_role(role):
        raise Forbidden(f"The '{role}' role is required.")
    return principal


def search_principal(request: HttpRequest) -> Principal | None:
    """For searches: None is fine while RS_PRIP_ANONYMOUS_SEARCH is on, otherwise credentials are required."""
    principal = authenticate_request(request)
    if principal is None and not access_settings().anonymous_search:
        raise CredentialsRequired()
    return principal


def error_response(exc: AccessError) -> HttpResponse:
    """An access refusal as the OData v4 error body (prip-odata.md §9) with its headers."""
    body = json.dumps({"error": {"code": exc.code, "message": str(exc)}})
    response = HttpResponse(body, status=exc.status, content_type="application/json")
    for name, value in exc.headers.items():
        response[name] = value
    return response


def principal_required(role: str | None = None) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """View decorator: sets `request.principal` or answers 401/403/429 with the challenge headers."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            try:
                request.principal = require_principal(request, role=role)  # type: ignore[attr-defined]
            except AccessError as exc:
                return error_response(exc)
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


# --- HTTP Basic ------------------------------------------------------------------------------------------------------

# digest → (principal, expiry, rights version): a memo made under another rights version (a group, activity or
# password change since) is not used.
_verified: OrderedDict[str, tuple[Principal, float, int]] = OrderedDict()
_verified_lock = threading.Lock()


def _credential_digest(username: str, password: str) -> str:
    # Keyed with SECRET_KEY: the memo holds no password and nothing that helps guess one without the key.
    return hmac.new(settings.SECRET_KEY.encode(), f"{username}\0{password}".encode(), hashlib.sha256).hexdigest()


def _basic_principal(request: HttpRequest, credentials: str) -> Principal:
    if not access_settings().basic_enabled:
        raise InvalidCredentials("HTTP Basic authentication is disabled: use a Bearer token.")
    try:
        decoded = base64.b64decode(credentials, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidCredentials("Malformed Basic credentials.") from None
    try:
        text = decoded.decode()
    except UnicodeDecodeError:
        text = decoded.decode("latin-1")
    username, colon, password = text.partition(":")
    if not colon or not username:
        raise InvalidCredentials("Malformed Basic credentials.")
    ip = client_ip(request)
    login_check(username=username, ip=ip)
    digest = _credential_digest(username, password)
    now = time.monotonic()
    version = rights_version()
    with _verified_lock:
        memo = _verified.get(digest)
        if memo is not None and memo[1] > now and memo[2] == version:
            return memo[0]
    user = authenticate(request, username=username, password=password)
    if user is None:
        login_failed(username=username, ip=ip)
        raise InvalidCredentials("Invalid user credentials.")
    login_succeeded(username=username, ip=ip)
    principal = dataclasses.replace(principal_from_user(user, method=AuthMethod.BASIC), rights_version=version)
    with _verified_lock:
        _verified[digest] = (principal, now + BASIC_CACHE_S, version)
        while len(_verified) > BASIC_CACHE_ENTRIES:
            _verified.popitem(last=False)
    return principal


def basic_memo_clear() -> None:
    with _verified_lock:
        _verified.clear()


# --- session ---------------------------------------------------------------------------------------------------------


class _CsrfCheck(CsrfViewMiddleware):
    def _reject(self, request: HttpRequest, reason: str) -> Any:
        return reason


def _csrf_enforce(request: HttpRequest) -> None:
    """A session is a browser credential: unsafe methods need the CSRF token even on csrf_exempt API views
    (OData clients post without one, so those views are exempt)."""
    check = _CsrfCheck(lambda _request: HttpResponse())
    check.process_request(request)
    reason = check.process_view(request, None, (), {})  # type: ignore[arg-type]
    if reason:
        raise Forbidden(f"CSRF check failed: {reason}")


# --- Django REST framework -------------------------------------------------------------------------------------------


class BearerTokenAuthentication(drf_authentication.BaseAuthentication):
    """/api/v1/ accepts our JWTs (and trusted issuers' tokens of users who have an account here)."""

    def authenticate(self, request: Request) -> tuple[Any, Principal] | None:
        header = drf_authentication.get_authorization_header(request).decode("latin-1")
        scheme, _, token = header.strip().partition(" ")
        if scheme.lower() != "bearer":
            return None
        try:
            principal = bearer_principal(token.strip(), method=AuthMethod.BEARER)
        except InvalidCredentials as exc:
            raise drf_exceptions.AuthenticationFailed(str(exc)) from None
        user = None
        if principal.user_id is not None:
            user = get_user_model().objects.filter(pk=principal.user_id, is_active=True).first()
        if user is None:
            raise drf_exceptions.AuthenticationFailed("The token's user has no active account here.")
        return user, principal

    def authenticate_header(self, request: Request) -> str:
        return f'Bearer realm="{access_settings().realm}"'
