"""Tokens of an external OIDC provider: a locally generated issuer whose JWKS a local HTTP server thread serves."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.exceptions import ValidationError
from django.test import RequestFactory
from jwt.algorithms import RSAAlgorithm

from rs.access import external_issuers, services
from rs.access.authentication import authenticate_request
from rs.access.choices import AuthMethod
from rs.access.errors import IssuerUnavailable
from rs.access.models import ExternalIssuer
from rs.access.tests.conftest import refusal

pytestmark = pytest.mark.django_db


class Provider:
    """A fake Keycloak realm: its keys, its JWKS endpoint, its tokens."""

    def __init__(self) -> None:
        self.keys: dict[str, object] = {}
        self.hits = 0
        self.up = True
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                provider.hits += 1
                if not provider.up:
                    self.send_error(503)
                    return
                body = json.dumps(provider.jwks()).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.issuer = f"{self.url}/realms/partner"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.rotate("k1")

    def rotate(self, kid: str) -> None:
        self.keys[kid] = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = kid

    def jwks(self) -> dict[str, list[dict[str, str]]]:
        return {"keys": [{**RSAAlgorithm.to_jwk(k.public_key(), as_dict=True), "kid": kid, "use": "sig",
                          "alg": "RS256"} for kid, k in self.keys.items()]}

    def token(self, **overrides: object) -> str:
        now = int(time.time())
        claims = {"iss": self.issuer, "sub": "f1e2d3c4-0000-4000-8000-000000000001", "aud": "rs-prip",
                  "exp": now + 300, "iat": now, "jti": "ext-1", "azp": "partner-portal",
                  "preferred_username": "bob.partner", "realm_access": {"roles": ["prip-operator", "offline_access"]},
                  "groups": ["partners"]}
        claims.update(overrides)
        return jwt.encode(claims, self.keys[self.kid], algorithm="RS256", headers={"kid": self.kid})


@pytest.fixture
def provider() -> Iterator[Provider]:
    provider = Provider()
    yield provider
    provider.server.shutdown()
    provider.server.server_close()


@pytest.fixture
def trusted(provider, on_commit):
    with on_commit():
        return services.external_issuer_save(issuer=ExternalIssuer(
            name="partner", issuer=provider.issuer, jwks_url=f"{provider.url}/certs", audiences="rs-prip account",
            role_mapping={"prip-operator": "operator"}))


def check(token):
    return authenticate_request(RequestFactory().get("/", HTTP_AUTHORIZATION=f"Bearer {token}"))


def test_a_token_of_a_trusted_issuer_gives_a_principal_through_the_same_path(provider, trusted):
    principal = check(provider.token())
    assert (principal.user_id, principal.username, principal.method) == (None, "bob.partner", AuthMethod.BEARER)
    assert principal.roles == frozenset({"user", "operator"})
    assert principal.groups == frozenset({"partners"})
    assert (principal.client_id, principal.token_id, principal.issuer) == ("partner-portal", "ext-1", provider.issuer)
    assert principal.owner_key == f"external:{provider.issuer}#f1e2d3c4-0000-4000-8000-000000000001"


def test_the_jwks_is_fetched_once_and_kept(provider, trusted):
    check(provider.token())
    check(provider.token())
    assert provider.hits == 1


def test_a_token_for_another_audience_is_refused(provider, trusted):
    assert refusal(lambda: check(provider.token(aud="CLOUDFERRO_PUBLIC"))) == \
        "The token is not meant for this service (audience)."


def test_an_expired_external_token_is_refused(provider, trusted):
    past = int(time.time()) - 3600
    assert refusal(lambda: check(provider.token(iat=past, exp=past + 300))) == "The token has expired."


def test_a_key_rotation_at_the_provider_is_followed(provider, trusted, monkeypatch):
    check(provider.token())
    provider.rotate("k2")
    monkeypatch.setattr(external_issuers, "EXTERNAL_JWKS_MIN_REFRESH_S", 0)
    assert check(provider.token()).username == "bob.partner"
    assert provider.hits == 2


def test_unknown_kids_refetch_the_jwks_at_most_every_ten_seconds(provider, trusted):
    check(provider.token())
    forger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    for n in range(5):
        forged = jwt.encode(jwt.decode(provider.token(), options={"verify_signature": False}), forger,
                            algorithm="RS256", headers={"kid": f"forged-{n}"})
        assert refusal(lambda forged=forged: check(forged)) == "The token is signed by an unknown key."
    assert provider.hits == 1


def test_a_provider_that_cannot_be_reached_is_a_503(provider, trusted):
    provider.up = False
    with pytest.raises(IssuerUnavailable) as refused:
        check(provider.token())
    assert (refused.value.status, refused.value.headers) == (503, {"Retry-After": "30"})


def test_an_inline_jwks_needs_no_fetch(provider, on_commit):
    with on_commit():
        services.external_issuer_save(issuer=ExternalIssuer(name="inline", issuer=provider.issuer,
                                                            jwks_inline=provider.jwks(), audiences="rs-prip"))
    assert check(provider.token()).roles == frozenset({"user"})  # no role mapping: only the default role
    assert provider.hits == 0


def test_a_disabled_issuer_is_not_trusted(provider, trusted, on_commit):
    trusted.enabled = False
    with on_commit():
        services.external_issuer_save(issuer=trusted)
    assert refusal(lambda: check(provider.token())) == "The token's issuer is not trusted."


def test_symmetric_algorithms_cannot_be_configured(provider):
    issuer = ExternalIssuer(name="weak", issuer=provider.issuer, jwks_url=f"{provider.url}/certs",
                            audiences="rs-prip", algorithms="HS256")
    with pytest.raises(ValidationError) as refused:
        services.external_issuer_save(issuer=issuer)
    assert refused.value.message_dict["algorithms"] == [
        "Use asymmetric algorithms among ES256, ES384, ES512, PS256, PS384, PS512, RS256, RS384, RS512."]


def test_an_issuer_without_keys_is_refused(provider):
    with pytest.raises(ValidationError) as refused:
        services.external_issuer_save(issuer=ExternalIssuer(name="nokeys", issuer=provider.issuer,
                                                            audiences="rs-prip"))
    assert refused.value.messages == ["Give a JWKS URL or an inline JWKS."]
