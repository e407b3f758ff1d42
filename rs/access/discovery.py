"""Our issuer URL and the OpenID Connect discovery document (Keycloak-compatible, prip-odata.md §11.1)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from rs.access.choices import GrantType
from rs.access.configuration import access_settings
from rs.access.constants import SIGNING_ALGORITHM, SUPPORTED_SCOPES

OIDC_PATH = "/protocol/openid-connect"
CLAIMS = ["iss", "sub", "aud", "exp", "iat", "jti", "azp", "typ", "sid", "scope", "preferred_username", "email",
          "realm_access", "groups"]


def issuer_url(request: HttpRequest) -> str:
    """RS_ACCESS_ISSUER, or <scheme>://<host as the client reached us>/auth/realms/<realm> (like Keycloak without a
    fixed frontend URL)."""
    config = access_settings()
    if config.issuer:
        return config.issuer
    return request.build_absolute_uri(reverse("access:realm", kwargs={"realm": config.realm}))


def discovery_document(request: HttpRequest) -> dict[str, Any]:
    issuer = issuer_url(request)
    oidc = issuer + OIDC_PATH
    return {
        "issuer": issuer,
        # eodag reads it (KeyError otherwise); the endpoint answers that only the password grant is supported.
        "authorization_endpoint": f"{oidc}/auth",
        "token_endpoint": f"{oidc}/token",
        "userinfo_endpoint": f"{oidc}/userinfo",
        "end_session_endpoint": f"{oidc}/logout",
        "revocation_endpoint": f"{oidc}/revoke",
        "jwks_uri": f"{oidc}/certs",
        "grant_types_supported": [GrantType.PASSWORD.value, GrantType.REFRESH_TOKEN.value,
                                  GrantType.CLIENT_CREDENTIALS.value],
        # No interactive flow is offered; the field is required by OpenID Connect Discovery.
        "response_types_supported": ["none"],
        "subject_types_supported": ["public"],
        # cdsetool and eodag pass this list to jwt.decode(algorithms=…): exactly what we sign with.
        "id_token_signing_alg_values_supported": [SIGNING_ALGORITHM],
        "userinfo_signing_alg_values_supported": ["none"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "scopes_supported": sorted(SUPPORTED_SCOPES),
        "claims_supported": CLAIMS,
        "claims_parameter_supported": False,
        "request_parameter_supported": False,
        "request_uri_parameter_supported": False,
    }
