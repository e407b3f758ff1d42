"""Typed refusals of the access app. The edges translate them: the OData layer into its error body, DRF into its
own, `principal_required` into a JSON body of the OData shape; each carries the HTTP headers it needs."""

from __future__ import annotations

import jwt

from rs.access.configuration import access_settings
from rs.errors import DomainError


def _quoted(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def challenge(*, error: str | None = None, description: str | None = None) -> str:
    """The WWW-Authenticate value: a Bearer challenge (RFC 6750 §3), plus Basic when Basic is enabled."""
    config = access_settings()
    bearer = f'Bearer realm="{_quoted(config.realm)}"'
    if error:
        bearer += f', error="{error}"'
        if description:
            bearer += f', error_description="{_quoted(description)}"'
    if config.basic_enabled:
        return f'{bearer}, Basic realm="{_quoted(config.realm)}"'
    return bearer


class AccessError(DomainError):
    """Base of the refusals below; `headers` go on the HTTP answer as they are."""

    @property
    def headers(self) -> dict[str, str]:
        return {}


class CredentialsRequired(AccessError):
    """No credentials where some are needed: 401 with a bare challenge (RFC 6750 §3.1: no error code)."""

    status = 401
    code = "Unauthorized"

    def __init__(self, message: str = "Authentication is required.") -> None:
        super().__init__(message)

    @property
    def headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": challenge()}


class InvalidCredentials(AccessError):
    """Expired, forged, wrong-audience, wrong-issuer or revoked token, or wrong Basic credentials: 401."""

    status = 401
    code = "InvalidToken"

    @property
    def headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": challenge(error="invalid_token", description=str(self))}


class Forbidden(AccessError):
    """Authenticated, but the principal lacks the role or the right: 403."""

    status = 403
    code = "Forbidden"


class TooManyAttempts(AccessError):
    """Too many failed logins for this username or address: 429 with Retry-After."""

    status = 429
    code = "TooManyRequests"

    def __init__(self, retry_after_s: int) -> None:
        super().__init__(f"Too many failed logins; retry in {retry_after_s} s.")
        self.retry_after_s = retry_after_s

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after_s)}


class OAuthError(Exception):
    """A token-endpoint refusal (RFC 6749 §5.2): {"error", "error_description"} with its status."""

    def __init__(self, status: int, error: str, description: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(description)
        self.status, self.error, self.description = status, error, description
        self.headers = headers or {}

    def payload(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}


class IssuerUnavailable(AccessError):
    """The keys of an external issuer cannot be fetched (and none are cached): 503, the token may well be good."""

    status = 503
    code = "ServiceUnavailable"

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": "30"}


def decode_error_message(exc: jwt.PyJWTError) -> str:
    """A sentence for the client; PyJWT's messages never contain the token, but ours are shorter and stable."""
    if isinstance(exc, jwt.ExpiredSignatureError):
        return "The token has expired."
    if isinstance(exc, jwt.InvalidAudienceError):
        return "The token is not meant for this service (audience)."
    if isinstance(exc, jwt.ImmatureSignatureError | jwt.InvalidIssuedAtError):
        return "The token is not valid yet."
    if isinstance(exc, jwt.MissingRequiredClaimError):
        return f"The token lacks the '{exc.claim}' claim."
    if isinstance(exc, jwt.InvalidSignatureError):
        return "The token signature is invalid."
    if isinstance(exc, jwt.InvalidIssuerError):
        return "The token's issuer is not trusted."
    if isinstance(exc, jwt.InvalidAlgorithmError):
        return "The token's signing algorithm is not accepted."
    return "The token is invalid."


class GrantRefused(Exception):
    """A refresh token or a client_credentials request that the services refuse; the token endpoint answers
    400 invalid_grant (or unauthorized_client) with this description."""

    def __init__(self, description: str, *, error: str = "invalid_grant") -> None:
        super().__init__(description)
        self.description, self.error = description, error
