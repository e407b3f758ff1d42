"""Discovery, JWKS, realm and refused interactive login, over real HTTP; what eodag and cdsetool read (§11, §17)."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import jwt
import pytest
from django.core.management import call_command

from rs.access.tests.conftest import PASSWORD, http

SAMPLE = Path("/work/shared/samples/odata/cdse_keycloak_openid-configuration_cdsetool-test.json")
REALM = "/auth/realms/rs"


@pytest.fixture
def base(live_server, transactional_db) -> str:
    return live_server.url + REALM


def test_the_discovery_document_names_our_endpoints(base):
    answer = http("GET", f"{base}/.well-known/openid-configuration")
    assert answer.status == 200
    assert answer.headers["Content-Type"] == "application/json"
    document = answer.json()
    oidc = f"{base}/protocol/openid-connect"
    assert document["issuer"] == base
    assert document["authorization_endpoint"] == f"{oidc}/auth"
    assert document["token_endpoint"] == f"{oidc}/token"
    assert document["jwks_uri"] == f"{oidc}/certs"
    assert document["userinfo_endpoint"] == f"{oidc}/userinfo"
    assert document["end_session_endpoint"] == f"{oidc}/logout"
    assert document["grant_types_supported"] == ["password", "refresh_token", "client_credentials"]
    assert document["id_token_signing_alg_values_supported"] == ["RS256"]
    assert document["token_endpoint_auth_methods_supported"] == ["client_secret_basic", "client_secret_post", "none"]
    assert document["subject_types_supported"] == ["public"]


@pytest.mark.skipif(not SAMPLE.exists(), reason="the CDSE sample is not on this machine")
def test_the_discovery_document_has_the_cdse_keys_clients_read(base):
    ours = http("GET", f"{base}/.well-known/openid-configuration").json()
    cdse = json.loads(SAMPLE.read_text())
    shared = set(ours) & set(cdse)
    # What eodag (issuer, authorization/token endpoints, jwks_uri, algorithms) and cdsetool read, and more.
    assert {"issuer", "authorization_endpoint", "token_endpoint", "jwks_uri", "id_token_signing_alg_values_supported",
            "grant_types_supported", "token_endpoint_auth_methods_supported", "userinfo_endpoint",
            "end_session_endpoint", "response_types_supported", "subject_types_supported", "scopes_supported",
            "claims_supported", "revocation_endpoint"} <= shared
    # The CDSE keys we leave out describe flows we do not offer (interactive login, encryption, registration…).
    assert set(cdse) - set(ours) == {
        "introspection_endpoint", "frontchannel_logout_session_supported", "frontchannel_logout_supported",
        "check_session_iframe", "acr_values_supported", "id_token_encryption_alg_values_supported",
        "id_token_encryption_enc_values_supported", "userinfo_encryption_alg_values_supported",
        "userinfo_encryption_enc_values_supported", "request_object_signing_alg_values_supported",
        "request_object_encryption_alg_values_supported", "request_object_encryption_enc_values_supported",
        "response_modes_supported", "registration_endpoint", "token_endpoint_auth_signing_alg_values_supported",
        "introspection_endpoint_auth_methods_supported", "introspection_endpoint_auth_signing_alg_values_supported",
        "authorization_signing_alg_values_supported", "authorization_encryption_alg_values_supported",
        "authorization_encryption_enc_values_supported", "claim_types_supported", "code_challenge_methods_supported",
        "tls_client_certificate_bound_access_tokens", "revocation_endpoint_auth_signing_alg_values_supported",
        "backchannel_logout_supported", "backchannel_logout_session_supported", "device_authorization_endpoint",
        "backchannel_token_delivery_modes_supported", "backchannel_authentication_endpoint",
        "backchannel_authentication_request_signing_alg_values_supported",
        "require_pushed_authorization_requests", "pushed_authorization_request_endpoint", "mtls_endpoint_aliases",
        "require_request_uri_registration", "authorization_response_iss_parameter_supported",
    } & set(cdse)


def test_an_unknown_realm_is_404_with_keycloaks_body(live_server, transactional_db):
    answer = http("GET", f"{live_server.url}/auth/realms/CDSE/.well-known/openid-configuration")
    assert (answer.status, answer.json()) == (404, {"error": "Realm does not exist"})


def test_the_authorization_endpoint_refuses_interactive_login(base):
    answer = http("GET", f"{base}/protocol/openid-connect/auth?client_id=cdse-public&response_type=code")
    assert answer.status == 400
    assert answer.json() == {"error": "invalid_request",
                             "error_description": "interactive login is not supported, use the password grant"}


def test_the_jwks_publishes_the_active_and_next_keys_as_rs256_signing_keys(base):
    from rs.access.models import SigningKey

    keys = http("GET", f"{base}/protocol/openid-connect/certs").json()["keys"]
    states = dict(SigningKey.objects.values_list("kid", "state"))
    assert [states[k["kid"]] for k in keys] == ["active", "next"]
    for key in keys:
        assert sorted(key) == ["alg", "e", "kid", "kty", "n", "use"]
        assert (key["kty"], key["use"], key["alg"], key["e"]) == ("RSA", "sig", "RS256", "AQAB")


def test_eodag_and_cdsetool_can_fetch_and_verify_a_token_as_they_do(base, alice, public_client):
    # eodag 4.x: discovery → password grant with client_id cdse-public (and an empty secret) → PyJWKClient(jwks_uri)
    # → jwt.decode(algorithms=discovery's list, audience=allowed_audiences); cdsetool: the same without audience.
    discovery = http("GET", f"{base}/.well-known/openid-configuration").json()
    answer = http("POST", discovery["token_endpoint"], form={
        "client_id": "cdse-public", "client_secret": "", "grant_type": "password", "username": "alice",
        "password": PASSWORD})
    assert answer.status == 200
    body = answer.json()
    assert sorted(body) == ["access_token", "expires_in", "not-before-policy", "refresh_expires_in", "refresh_token",
                            "scope", "session_state", "token_type"]
    assert (body["expires_in"], body["refresh_expires_in"], body["token_type"]) == (600, 3600, "Bearer")
    key = jwt.PyJWKClient(discovery["jwks_uri"]).get_signing_key_from_jwt(body["access_token"]).key
    claims = jwt.decode(body["access_token"], key, algorithms=discovery["id_token_signing_alg_values_supported"],
                        audience=["CLOUDFERRO_PUBLIC"])
    assert claims["aud"] == "CLOUDFERRO_PUBLIC"
    assert claims["exp"] - claims["iat"] == 600
    assert (claims["iss"], claims["azp"], claims["preferred_username"]) == (base, "cdse-public", "alice")
    cdsetool = jwt.decode(body["access_token"], key, algorithms=["RS256"], options={"verify_aud": False})
    assert cdsetool["sub"] == str(alice.pk)


def test_the_discovery_document_is_served_without_a_database_query(client, transactional_db,
                                                                   django_assert_num_queries):
    client.get("/auth/realms/rs/protocol/openid-connect/certs")  # first load of the key ring
    with django_assert_num_queries(0):
        assert client.get("/auth/realms/rs/.well-known/openid-configuration").status_code == 200
        assert client.get("/auth/realms/rs/protocol/openid-connect/certs").status_code == 200


def test_after_a_rotation_the_jwks_lists_both_keys_and_older_tokens_still_work(base, alice, public_client):
    old = http("POST", f"{base}/protocol/openid-connect/token", form={
        "grant_type": "password", "username": "alice", "password": PASSWORD, "client_id": "cdse-public"}).json()
    old_kid = jwt.get_unverified_header(old["access_token"])["kid"]
    call_command("access", "keys", "rotate", stdout=StringIO())
    published = [k["kid"] for k in http("GET", f"{base}/protocol/openid-connect/certs").json()["keys"]]
    assert len(published) == 3 and published[2] == old_kid
    userinfo = http("GET", f"{base}/protocol/openid-connect/userinfo",
                    headers={"Authorization": f"Bearer {old['access_token']}"})
    assert (userinfo.status, userinfo.json()["preferred_username"]) == (200, "alice")
    new = http("POST", f"{base}/protocol/openid-connect/token", form={
        "grant_type": "password", "username": "alice", "password": PASSWORD, "client_id": "cdse-public"}).json()
    assert jwt.get_unverified_header(new["access_token"])["kid"] == published[0]
