"""The token endpoint: the three grants, their success bodies and every refusal of §11.1 / RFC 6749 §5.2."""

from __future__ import annotations

import base64
from urllib.parse import urlencode

import jwt
import pytest

from rs.access.tests.conftest import PASSWORD, http

TOKEN = "/auth/realms/rs/protocol/openid-connect/token"
pytestmark = pytest.mark.django_db


def post(client, form, **headers):
    return client.post(TOKEN, urlencode(form), content_type="application/x-www-form-urlencoded", **headers)


def claims_of(token):
    return jwt.decode(token, options={"verify_signature": False})


def test_the_password_grant_over_http_issues_a_keycloak_shaped_answer(live_server, transactional_db, alice,
                                                                      public_client):
    answer = http("POST", live_server.url + TOKEN, form={
        "grant_type": "password", "username": "alice", "password": PASSWORD, "client_id": "cdse-public"})
    assert answer.status == 200
    assert (answer.headers["Cache-Control"], answer.headers["Pragma"]) == ("no-store", "no-cache")
    body = answer.json()
    assert body["token_type"] == "Bearer"
    assert (body["expires_in"], body["refresh_expires_in"], body["not-before-policy"]) == (600, 3600, 0)
    assert body["scope"] == "profile email"
    header = jwt.get_unverified_header(body["access_token"])
    assert (header["alg"], header["typ"]) == ("RS256", "JWT") and header["kid"]
    claims = claims_of(body["access_token"])
    assert sorted(claims) == ["aud", "azp", "email", "exp", "groups", "iat", "iss", "jti", "preferred_username",
                              "realm_access", "scope", "sid", "sub", "typ"]
    assert claims["iss"] == live_server.url + "/auth/realms/rs"
    assert (claims["sub"], claims["preferred_username"], claims["email"]) == (str(alice.pk), "alice",
                                                                              "alice@example.org")
    assert (claims["aud"], claims["azp"], claims["typ"]) == ("CLOUDFERRO_PUBLIC", "cdse-public", "Bearer")
    assert claims["realm_access"] == {"roles": ["user"]}
    assert claims["sid"] == body["session_state"]


def test_the_openid_scope_adds_an_id_token_for_the_client(client, alice, public_client):
    body = post(client, {"grant_type": "password", "username": "alice", "password": PASSWORD,
                         "client_id": "cdse-public", "scope": "openid"}).json()
    assert body["scope"] == "openid profile email"
    id_claims = claims_of(body["id_token"])
    assert (id_claims["aud"], id_claims["typ"], id_claims["sub"]) == ("cdse-public", "ID", str(alice.pk))


def test_operators_carry_their_roles_and_groups(client, operator, public_client):
    body = post(client, {"grant_type": "password", "username": "olga", "password": PASSWORD,
                         "client_id": "cdse-public"}).json()
    claims = claims_of(body["access_token"])
    assert claims["realm_access"] == {"roles": ["operator", "user"]}
    assert claims["groups"] == ["operator"]


def test_several_audiences_are_written_as_a_list(client, alice, public_client, settings):
    settings.RS_ACCESS_AUDIENCE = ["CLOUDFERRO_PUBLIC", "rs-prip"]
    body = post(client, {"grant_type": "password", "username": "alice", "password": PASSWORD,
                         "client_id": "cdse-public"}).json()
    assert claims_of(body["access_token"])["aud"] == ["CLOUDFERRO_PUBLIC", "rs-prip"]


def test_wrong_credentials_are_401_invalid_grant(client, alice, public_client):
    answer = post(client, {"grant_type": "password", "username": "alice", "password": "wrong",
                           "client_id": "cdse-public"})
    assert answer.status_code == 401
    assert answer.json() == {"error": "invalid_grant", "error_description": "Invalid user credentials"}
    assert answer["Cache-Control"] == "no-store"


def test_an_unknown_user_gets_the_same_answer_as_a_wrong_password(client, public_client):
    answer = post(client, {"grant_type": "password", "username": "nobody", "password": "x", "client_id": "cdse-public"})
    assert (answer.status_code, answer.json()) == (401, {"error": "invalid_grant",
                                                         "error_description": "Invalid user credentials"})


def test_a_disabled_user_cannot_log_in(client, alice, public_client):
    alice.is_active = False
    alice.save()
    answer = post(client, {"grant_type": "password", "username": "alice", "password": PASSWORD,
                           "client_id": "cdse-public"})
    assert (answer.status_code, answer.json()["error"]) == (401, "invalid_grant")


@pytest.mark.parametrize(("form", "description"), [
    ({"username": "alice", "password": "x", "client_id": "cdse-public"}, "Missing form parameter: grant_type"),
    ({"grant_type": "password", "password": "x", "client_id": "cdse-public"}, "Missing parameter: username"),
    ({"grant_type": "password", "username": "alice", "client_id": "cdse-public"}, "Missing parameter: password"),
    ({"grant_type": "password", "username": "alice", "password": "x"}, "Missing parameter: client_id"),
    ({"grant_type": "refresh_token", "client_id": "cdse-public"}, "Missing parameter: refresh_token"),
])
def test_a_missing_parameter_is_400_invalid_request(client, public_client, form, description):
    answer = post(client, form)
    assert (answer.status_code, answer.json()) == (400, {"error": "invalid_request", "error_description": description})


def test_a_repeated_parameter_is_400_invalid_request(client, public_client):
    answer = client.post(TOKEN, "grant_type=password&username=a&username=b&password=x&client_id=cdse-public",
                         content_type="application/x-www-form-urlencoded")
    assert (answer.status_code, answer.json()) == (400, {"error": "invalid_request",
                                                         "error_description": "Parameter username is repeated"})


def test_a_json_body_is_400_invalid_request(client, public_client):
    answer = client.post(TOKEN, {"grant_type": "password"}, content_type="application/json")
    assert answer.json() == {"error": "invalid_request",
                             "error_description": "Content-Type must be application/x-www-form-urlencoded"}


def test_an_unknown_grant_is_400_unsupported_grant_type(client, public_client):
    answer = post(client, {"grant_type": "authorization_code", "code": "x", "client_id": "cdse-public"})
    assert (answer.status_code, answer.json()) == (400, {"error": "unsupported_grant_type",
                                                         "error_description": "Unsupported grant_type "
                                                                              "authorization_code"})


def test_an_unknown_client_is_401_invalid_client(client, alice):
    answer = post(client, {"grant_type": "password", "username": "alice", "password": PASSWORD, "client_id": "nope"})
    assert (answer.status_code, answer.json()) == (401, {"error": "invalid_client", "error_description":
                                                         "Invalid client or Invalid client credentials"})


def test_a_get_is_405(client):
    assert client.get(TOKEN).status_code == 405


def test_the_client_credentials_grant_carries_the_service_accounts_rights(live_server, transactional_db,
                                                                          machine_client):
    _client, secret = machine_client
    basic = base64.b64encode(f"prip-monitor:{secret}".encode()).decode()
    answer = http("POST", live_server.url + TOKEN, form={"grant_type": "client_credentials"},
                  headers={"Authorization": f"Basic {basic}"})
    assert answer.status == 200
    body = answer.json()
    assert sorted(body) == ["access_token", "expires_in", "not-before-policy", "refresh_expires_in", "scope",
                            "token_type"]
    assert body["refresh_expires_in"] == 0
    claims = claims_of(body["access_token"])
    assert (claims["azp"], claims["preferred_username"], "sid" in claims) == ("prip-monitor", "prip-robot", False)


def test_client_credentials_with_the_secret_in_the_form_works_too(client, machine_client):
    _client, secret = machine_client
    answer = post(client, {"grant_type": "client_credentials", "client_id": "prip-monitor", "client_secret": secret})
    assert answer.status_code == 200


def test_a_wrong_client_secret_is_401_invalid_client_with_a_basic_challenge(client, machine_client):
    basic = base64.b64encode(b"prip-monitor:wrong").decode()
    answer = post(client, {"grant_type": "client_credentials"}, HTTP_AUTHORIZATION=f"Basic {basic}")
    assert (answer.status_code, answer.json()["error"]) == (401, "invalid_client")
    assert answer["WWW-Authenticate"] == 'Basic realm="token"'


def test_a_public_client_cannot_use_client_credentials(client, public_client):
    answer = post(client, {"grant_type": "client_credentials", "client_id": "cdse-public"})
    assert (answer.status_code, answer.json()) == (400, {"error": "unauthorized_client", "error_description":
                                                         "Client not allowed to use the client_credentials grant"})


def test_a_confidential_client_without_service_account_is_refused(client, db):
    from rs.access import services

    _client, secret = services.oauth_client_create(client_id="no-robot", confidential=True,
                                                   grant_types="client_credentials")
    answer = post(client, {"grant_type": "client_credentials", "client_id": "no-robot", "client_secret": secret})
    assert (answer.status_code, answer.json()) == (400, {"error": "unauthorized_client", "error_description":
                                                         "The client has no active service account."})


def test_a_confidential_client_needs_its_secret_for_the_password_grant(client, alice, db):
    from rs.access import services

    services.oauth_client_create(client_id="portal", confidential=True)
    answer = post(client, {"grant_type": "password", "username": "alice", "password": PASSWORD,
                           "client_id": "portal"})
    assert (answer.status_code, answer.json()["error"]) == (401, "invalid_client")


def test_an_unknown_scope_is_400_invalid_scope(client, alice, public_client):
    answer = post(client, {"grant_type": "password", "username": "alice", "password": PASSWORD,
                           "client_id": "cdse-public", "scope": "openid admin:all"})
    assert (answer.status_code, answer.json()) == (400, {"error": "invalid_scope",
                                                         "error_description": "Invalid scopes: admin:all"})
