"""The access refusals of every OData route (prip-odata.md §9, §18): one answer whatever the route — searches,
$metadata, navigations, downloads, subscriptions — since they all go through the same endpoint wrapper: 401 with
the challenge, 403, 429 with Retry-After, 503 with Retry-After when an external issuer's keys cannot be fetched,
each with the OData error body and nothing else."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from rs.access import services as access_services
from rs.access.models import ExternalIssuer
from rs.prip.tests.requests import ROOT
from rs.subscriptions.tests.support import (  # noqa: F401 - fixtures
    alice_fixture,
    basic_memo_fixture,
    bearer,
    fast_passwords_fixture,
    public_client_fixture,
)

pytestmark = pytest.mark.django_db

# No row needs to exist: every refusal comes before the target is looked up.
PRODUCT, ASSET, SUBSCRIPTION = (uuid.UUID(int=n) for n in (1, 2, 3))

SEARCHES = [
    ("GET", "/"), ("GET", "/$metadata"), ("GET", "/Products?$top=2"), ("GET", "/Products/$count"),
    ("POST", "/Products/OData.CSC.FilterList"), ("GET", f"/Products({PRODUCT})"),
    ("GET", f"/Products({PRODUCT})/Attributes"), ("GET", f"/Products({PRODUCT})/Quicklooks"),
    ("GET", "/DeletedProducts"), ("GET", "/DeletedProducts/$count"), ("GET", f"/DeletedProducts({PRODUCT})"),
    ("GET", "/Attributes"), ("GET", "/Attributes(SENTINEL-1)"),
]
# Routes that need a user whatever RS_PRIP_ANONYMOUS_SEARCH says.
LOGIN_REQUIRED = [
    ("GET", f"/Products({PRODUCT})/$value"), ("GET", f"/Products({PRODUCT})/Quicklooks('quick-look.jpg')/$value"),
    ("GET", f"/Assets({ASSET})/$value"),
    ("GET", "/Subscriptions"), ("POST", "/Subscriptions"), ("GET", "/Subscriptions/Info"),
    ("GET", f"/Subscriptions({SUBSCRIPTION})"), ("PATCH", f"/Subscriptions({SUBSCRIPTION})"),
    ("DELETE", f"/Subscriptions({SUBSCRIPTION})"), ("GET", f"/Subscriptions({SUBSCRIPTION})/Read"),
    ("POST", f"/Subscriptions({SUBSCRIPTION})/Ack?$ackid=1"),
]
EVERY_ROUTE = SEARCHES + LOGIN_REQUIRED

CHALLENGE = 'Bearer realm="rs", Basic realm="rs"'


@pytest.fixture
def limits(django_capture_on_commit_callbacks: Any) -> Any:
    from rs.subscriptions import services
    from rs.subscriptions.models import UserLimits

    def edit(user: Any, **values: Any) -> Any:
        row = UserLimits.objects.filter(user=user).first() or UserLimits(user=user)
        for name, value in values.items():
            setattr(row, name, value)
        with django_capture_on_commit_callbacks(execute=True):
            return services.limits_save(limits=row)

    return edit


def send(client: Any, method: str, path: str, **headers: Any) -> Any:
    url = f"{ROOT}{path}"
    if method == "POST":
        return client.post(url, {"FilterProducts": [{"Name": "x"}]}, content_type="application/json", **headers)
    if method == "PATCH":
        return client.patch(url, {"Status": "paused"}, content_type="application/json", **headers)
    if method == "DELETE":
        return client.delete(url, **headers)
    return client.get(url, **headers)


def answer(response: Any) -> tuple[int, dict[str, str], Any]:
    """Status, the headers a client acts on (absent ones as ''), and the body."""
    headers = {name: response.get(name, "") for name in ("Content-Type", "OData-Version", "WWW-Authenticate",
                                                         "Retry-After")}
    return response.status_code, headers, json.loads(response.content)


def odata_error(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


def same_minute() -> None:
    if time.time() % 60 > 45:
        time.sleep(60.5 - time.time() % 60)


def test_every_route_that_needs_a_login_answers_401_with_the_challenge(client, settings):
    settings.RS_PRIP_ANONYMOUS_SEARCH = False
    expected = (401, {"Content-Type": "application/json", "OData-Version": "4.0", "WWW-Authenticate": CHALLENGE,
                      "Retry-After": ""}, odata_error("Unauthorized", "Authentication is required."))
    assert {route: answer(send(client, *route)) for route in EVERY_ROUTE} == dict.fromkeys(EVERY_ROUTE, expected)
    # anonymous searches, when allowed, do not open the routes that need a user
    settings.RS_PRIP_ANONYMOUS_SEARCH = True
    assert {route: answer(send(client, *route)) for route in LOGIN_REQUIRED} == dict.fromkeys(LOGIN_REQUIRED,
                                                                                                expected)


def test_every_route_answers_429_with_retry_after_to_a_user_over_its_request_quota(client, alice, public_client,
                                                                                    limits):
    limits(alice, requests_per_minute=1)
    headers = bearer(alice)
    same_minute()
    assert send(client, "GET", "/Products/$count", **headers).status_code == 200
    answers = {route: answer(send(client, *route, **headers)) for route in EVERY_ROUTE}
    retry_after = {route: int(seen.pop("Retry-After")) for route, (_, seen, _) in answers.items()}
    assert answers == dict.fromkeys(EVERY_ROUTE, (
        429, {"Content-Type": "application/json", "OData-Version": "4.0", "WWW-Authenticate": ""},
        odata_error("TooManyRequests", "More than 1 requests in one minute.")))
    assert all(1 <= seconds <= 60 for seconds in retry_after.values()), retry_after


def partner_headers(issuer: str, key: rsa.RSAPrivateKey) -> dict[str, str]:
    now = int(time.time())
    token = jwt.encode({"iss": issuer, "sub": "f1e2d3c4-0000-4000-8000-000000000001", "aud": "rs-prip",
                        "exp": now + 300, "iat": now, "jti": "p-1", "preferred_username": "dora.partner"},
                       key, algorithm="RS256", headers={"kid": "p1"})
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def test_every_route_that_needs_the_user_role_answers_403_without_it(client, django_capture_on_commit_callbacks):
    issuer, key = f"https://keycloak.partner.example/realms/{uuid.uuid4().hex}", rsa.generate_private_key(
        public_exponent=65537, key_size=2048)
    jwks = {"keys": [{**RSAAlgorithm.to_jwk(key.public_key(), as_dict=True), "kid": "p1", "use": "sig",
                      "alg": "RS256"}]}
    with django_capture_on_commit_callbacks(execute=True):
        access_services.external_issuer_save(issuer=ExternalIssuer(
            name="partner", issuer=issuer, jwks_inline=jwks, audiences="rs-prip", default_role=""))
    headers = partner_headers(issuer, key)
    expected = (403, {"Content-Type": "application/json", "OData-Version": "4.0", "WWW-Authenticate": "",
                      "Retry-After": ""}, odata_error("Forbidden", "The 'user' role is required."))
    assert {route: answer(send(client, *route, **headers)) for route in LOGIN_REQUIRED} == dict.fromkeys(
        LOGIN_REQUIRED, expected)


def test_every_route_answers_503_with_retry_after_when_an_issuers_keys_cannot_be_fetched(
        client, django_capture_on_commit_callbacks):
    # a refused connection: nothing listens on port 9 (discard) here
    issuer = f"https://keycloak.partner.example/realms/{uuid.uuid4().hex}"
    with django_capture_on_commit_callbacks(execute=True):
        access_services.external_issuer_save(issuer=ExternalIssuer(
            name="partner", issuer=issuer, jwks_url="http://127.0.0.1:9/certs", audiences="rs-prip",
            default_role="user"))
    headers = partner_headers(issuer, rsa.generate_private_key(public_exponent=65537, key_size=2048))
    expected = (503, {"Content-Type": "application/json", "OData-Version": "4.0", "WWW-Authenticate": "",
                      "Retry-After": "30"},
                odata_error("ServiceUnavailable", f"The keys of issuer {issuer} cannot be fetched now."))
    assert {route: answer(send(client, *route, **headers)) for route in EVERY_ROUTE} == dict.fromkeys(
        EVERY_ROUTE, expected)
