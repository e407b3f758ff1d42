"""The OpenID Connect endpoints under /auth/realms/<realm>/ (Keycloak's layout, which eodag and cdsetool build
their URLs from): realm, discovery, token, JWKS, authorization (refused), userinfo, logout and revocation."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from rs.access import selectors, services
from rs.access.authentication import require_principal
from rs.access.configuration import access_settings
from rs.access.discovery import OIDC_PATH, discovery_document, issuer_url
from rs.access.errors import AccessError, OAuthError
from rs.access.grants import authenticated_client, form_parameters, token_grant

_SECRETS = ("password", "client_secret", "refresh_token", "token", "totp")


def _json(payload: Any, *, status: int = 200, headers: dict[str, str] | None = None) -> HttpResponse:
    response = HttpResponse(json.dumps(payload, separators=(",", ":")), status=status,
                            content_type="application/json")
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    response["Pragma"] = "no-cache"
    return response


def _realm(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Only our realm exists (Keycloak answers 404 with this body for any other)."""

    def wrapper(request: HttpRequest, realm: str) -> HttpResponse:
        if realm != access_settings().realm:
            return _json({"error": "Realm does not exist"}, status=404)
        return view(request)

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


@require_safe
@_realm
def realm_info(request: HttpRequest) -> HttpResponse:
    issuer = issuer_url(request)
    return _json({"realm": access_settings().realm, "token-service": issuer + OIDC_PATH,
                  "account-service": issuer + "/account", "tokens-not-before": 0})


@require_safe
@_realm
def discovery(request: HttpRequest) -> HttpResponse:
    response = _json(discovery_document(request))
    response["Cache-Control"] = "max-age=60"
    return response


@require_safe
@_realm
def certs(request: HttpRequest) -> HttpResponse:
    document = selectors.jwks()
    if not document["keys"]:  # a fresh installation: publish keys before the first token needs them
        services.signing_keys_ensure()
        document = selectors.jwks()
    response = _json(document)
    # Short: a rotation publishes the next key long before it signs, so clients never need to refetch urgently.
    response["Cache-Control"] = "max-age=60"
    return response


@csrf_exempt
@require_http_methods(["GET", "POST"])
@_realm
def authorize(request: HttpRequest) -> HttpResponse:
    return _json({"error": "invalid_request",
                  "error_description": "interactive login is not supported, use the password grant"}, status=400)


@csrf_exempt
@sensitive_post_parameters(*_SECRETS)
@require_POST
@_realm
@sensitive_variables("grant")
def token(request: HttpRequest) -> HttpResponse:
    try:
        grant = token_grant(request)
    except OAuthError as exc:
        return _no_store(_json(exc.payload(), status=exc.status, headers=exc.headers))
    body: dict[str, Any] = {"access_token": grant.access_token, "expires_in": grant.expires_in,
                            "refresh_expires_in": grant.refresh_expires_in}
    if grant.refresh_token:
        body["refresh_token"] = grant.refresh_token
    body["token_type"] = "Bearer"  # noqa: S105 - the token type, not a secret
    if grant.id_token:
        body["id_token"] = grant.id_token
    body["not-before-policy"] = 0
    if grant.session_id:
        body["session_state"] = grant.session_id
    body["scope"] = grant.scope
    return _no_store(_json(body))


@csrf_exempt
@require_http_methods(["GET", "POST"])
@_realm
def userinfo(request: HttpRequest) -> HttpResponse:
    try:
        principal = require_principal(request)
    except AccessError as exc:
        return _json({"error": "invalid_token", "error_description": str(exc)}, status=exc.status,
                     headers=exc.headers)
    return _no_store(_json({"sub": principal.subject, "preferred_username": principal.username,
                            "groups": sorted(principal.groups), "roles": sorted(principal.roles)}))


def _revoke(request: HttpRequest, field: str) -> HttpResponse | None:
    try:
        form = form_parameters(request)
        client = authenticated_client(request, form)
    except OAuthError as exc:
        return _no_store(_json(exc.payload(), status=exc.status, headers=exc.headers))
    if not form.get(field):
        return _no_store(_json({"error": "invalid_request", "error_description": f"Missing parameter: {field}"},
                               status=400))
    services.refresh_token_revoke(client=client, refresh_token=form[field])
    return None


@csrf_exempt
@sensitive_post_parameters(*_SECRETS)
@require_POST
@_realm
def logout(request: HttpRequest) -> HttpResponse:
    """Keycloak's back-channel logout: the session of the refresh token ends (204)."""
    return _revoke(request, "refresh_token") or HttpResponse(status=204)


@csrf_exempt
@sensitive_post_parameters(*_SECRETS)
@require_POST
@_realm
def revoke(request: HttpRequest) -> HttpResponse:
    """RFC 7009: 200 whether or not the token was known (access tokens simply expire)."""
    return _revoke(request, "token") or _no_store(HttpResponse(status=200))
