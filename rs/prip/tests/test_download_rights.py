"""Rights beyond authentication (prip-odata.md §9): a token of a trusted external issuer whose user has no role is a
403 on downloads; with the default user role it downloads; such users (no account here) cannot own subscriptions."""

from __future__ import annotations

import json
import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from rs.access import services as access_services
from rs.access.models import ExternalIssuer
from rs.subscriptions.tests.support import (  # noqa: F401 - fixtures
    basic_memo_fixture,
    fast_passwords_fixture,
    filesystem_store_fixture,
    stored_product,
)

pytestmark = pytest.mark.django_db

ISSUER = "https://keycloak.partner.example/realms/partner"
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def partner(django_capture_on_commit_callbacks: Any, *, default_role: str) -> None:
    jwks = {"keys": [{**RSAAlgorithm.to_jwk(KEY.public_key(), as_dict=True), "kid": "p1", "use": "sig",
                      "alg": "RS256"}]}
    with django_capture_on_commit_callbacks(execute=True):
        access_services.external_issuer_save(issuer=ExternalIssuer(
            name="partner", issuer=ISSUER, jwks_inline=jwks, audiences="rs-prip", default_role=default_role))


def partner_token() -> dict[str, str]:
    now = int(time.time())
    token = jwt.encode({"iss": ISSUER, "sub": "f1e2d3c4-0000-4000-8000-000000000001", "aud": "rs-prip",
                        "exp": now + 300, "iat": now, "jti": "p-1", "preferred_username": "dora.partner"},
                       KEY, algorithm="RS256", headers={"kid": "p1"})
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


@pytest.fixture
def stored(filesystem_store: Any) -> Any:
    return stored_product("S1A_IW_GRDH_1SDV_PARTNER.SAFE", b"partner bytes")


def test_a_principal_without_the_user_role_is_forbidden_to_download(client, stored,
                                                                   django_capture_on_commit_callbacks):
    partner(django_capture_on_commit_callbacks, default_role="")
    response = client.get(f"/odata/v1/Products({stored.product.id})/$value", **partner_token())
    assert (response.status_code, json.loads(response.content)) == (
        403, {"error": {"code": "Forbidden", "message": "The 'user' role is required."}})


def test_an_external_user_with_the_user_role_downloads(client, stored, django_capture_on_commit_callbacks):
    partner(django_capture_on_commit_callbacks, default_role="user")
    response = client.get(f"/odata/v1/Products({stored.product.id})/$value", **partner_token())
    assert (response.status_code, b"".join(response.streaming_content)) == (200, b"partner bytes")


def test_an_external_user_without_an_account_cannot_subscribe(client, django_capture_on_commit_callbacks):
    partner(django_capture_on_commit_callbacks, default_role="user")
    response = client.post("/odata/v1/Subscriptions", b"{}", content_type="application/json", **partner_token())
    assert (response.status_code, json.loads(response.content)) == (
        403, {"error": {"code": "Forbidden", "message": "Subscriptions need an account on this service."}})
