"""authenticate_request: Bearer, ?token=, Basic and session, in that order; every refusal with its reason; the view
decorator's 401/403 answers and challenge; the DRF class on /api/v1/; no database read per Bearer request."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.cache import SessionStore
from django.http import HttpResponse
from django.test import RequestFactory
from django.utils import timezone

from rs.access import services
from rs.access.authentication import authenticate_request, principal_required
from rs.access.choices import AuthMethod
from rs.access.errors import Forbidden
from rs.access.principals import Principal
from rs.access.tests.conftest import ISSUER, PASSWORD, refusal

pytestmark = pytest.mark.django_db
factory = RequestFactory()


@pytest.fixture
def grant(alice, public_client, on_commit):
    with on_commit():
        services.signing_keys_ensure()
    return services.tokens_issue_for_user(client=public_client, user=alice, scope="profile email", issuer=ISSUER)


def basic(username, password):
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def signed(claims):
    key = services.signing_material()
    return jwt.encode(claims, key.private_key, algorithm="RS256", headers={"kid": key.kid})


def claims_of(token):
    return jwt.decode(token, options={"verify_signature": False})


def test_a_bearer_token_gives_the_principal_it_names(grant, alice):
    principal = authenticate_request(factory.get("/", HTTP_AUTHORIZATION=f"Bearer {grant.access_token}"))
    claims = claims_of(grant.access_token)
    assert principal == Principal(
        user_id=alice.pk, username="alice", roles=frozenset({"user"}), groups=frozenset(), client_id="cdse-public",
        token_id=claims["jti"], method=AuthMethod.BEARER, issuer=ISSUER, subject=str(alice.pk),
        expires_at=datetime.fromtimestamp(claims["exp"], UTC))
    assert principal.session_id == grant.session_id
    assert principal.owner_key == f"user:{alice.pk}"


def test_the_token_query_parameter_works_like_eodag_sends_it(grant):
    principal = authenticate_request(factory.get("/odata/v1/Products(1)/$value", {"token": grant.access_token}))
    assert (principal.username, principal.method) == ("alice", AuthMethod.QUERY_TOKEN)


def test_the_bearer_header_wins_over_the_query_parameter(grant):
    request = factory.get("/", {"token": "garbage"}, HTTP_AUTHORIZATION=f"Bearer {grant.access_token}")
    assert authenticate_request(request).method == AuthMethod.BEARER


def test_two_token_parameters_are_refused():
    request = factory.get("/?token=a&token=b")
    assert refusal(lambda: authenticate_request(request)) == "Give one token= parameter."


def test_basic_credentials_are_checked_with_djangos_auth(alice):
    principal = authenticate_request(factory.get("/", HTTP_AUTHORIZATION=basic("alice", PASSWORD)))
    assert (principal.username, principal.method, principal.token_id, principal.roles) == (
        "alice", AuthMethod.BASIC, None, frozenset({"user"}))


def test_wrong_or_malformed_basic_credentials_are_refused(alice):
    wrong = factory.get("/", HTTP_AUTHORIZATION=basic("alice", "wrong"))
    assert refusal(lambda: authenticate_request(wrong)) == "Invalid user credentials."
    malformed = factory.get("/", HTTP_AUTHORIZATION="Basic not*base64")
    assert refusal(lambda: authenticate_request(malformed)) == "Malformed Basic credentials."
    no_colon = factory.get("/", HTTP_AUTHORIZATION="Basic " + base64.b64encode(b"alice").decode())
    assert refusal(lambda: authenticate_request(no_colon)) == "Malformed Basic credentials."


def test_basic_can_be_disabled(alice, settings):
    settings.RS_ACCESS_BASIC_AUTH = False
    request = factory.get("/", HTTP_AUTHORIZATION=basic("alice", PASSWORD))
    assert refusal(lambda: authenticate_request(request)) == ("HTTP Basic authentication is disabled: use a Bearer "
                                                              "token.")


def test_a_repeated_basic_login_does_not_hash_the_password_again(alice, django_assert_num_queries):
    authenticate_request(factory.get("/", HTTP_AUTHORIZATION=basic("alice", PASSWORD)))
    with django_assert_num_queries(0):
        authenticate_request(factory.get("/", HTTP_AUTHORIZATION=basic("alice", PASSWORD)))


def test_the_session_of_the_web_client_is_accepted_for_reading(alice):
    request = factory.get("/")
    request.user = alice
    assert authenticate_request(request).method == AuthMethod.SESSION


def test_a_session_post_without_csrf_token_is_forbidden(alice):
    request = factory.post("/odata/v1/Subscriptions", "{}", content_type="application/json")
    request.user, request.session = alice, SessionStore()
    with pytest.raises(Forbidden) as refused:
        authenticate_request(request)
    assert str(refused.value) == "CSRF check failed: CSRF cookie not set."


def test_no_credentials_is_anonymous():
    request = factory.get("/")
    request.user = AnonymousUser()
    assert authenticate_request(request) is None


def test_an_unknown_scheme_is_refused():
    request = factory.get("/", HTTP_AUTHORIZATION="Token 0123abcd")
    assert refusal(lambda: authenticate_request(request)) == "Unsupported authorization scheme 'token': use Bearer " \
                                                             "or Basic."


def test_an_expired_token_is_refused(alice, public_client, on_commit):
    with on_commit():
        services.signing_keys_ensure()
    old = services.tokens_issue_for_user(client=public_client, user=alice, scope="profile", issuer=ISSUER,
                                         now=timezone.now() - timedelta(seconds=600 + 31))
    request = factory.get("/", HTTP_AUTHORIZATION=f"Bearer {old.access_token}")
    assert refusal(lambda: authenticate_request(request)) == "The token has expired."


def test_a_token_for_another_audience_is_refused(grant):
    claims = {**claims_of(grant.access_token), "aud": "some-other-service"}
    request = factory.get("/", HTTP_AUTHORIZATION=f"Bearer {signed(claims)}")
    assert refusal(lambda: authenticate_request(request)) == "The token is not meant for this service (audience)."


def test_an_id_token_is_not_an_access_token(alice, public_client, on_commit, settings):
    settings.RS_ACCESS_AUDIENCE = ["CLOUDFERRO_PUBLIC", "cdse-public"]  # even when the client is an audience
    with on_commit():
        services.signing_keys_ensure()
    id_token = services.tokens_issue_for_user(client=public_client, user=alice, scope="openid", issuer=ISSUER).id_token
    request = factory.get("/", HTTP_AUTHORIZATION=f"Bearer {id_token}")
    assert refusal(lambda: authenticate_request(request)) == "The token is not an access token."


def test_a_token_of_another_issuer_is_refused_even_with_our_signature(grant):
    claims = {**claims_of(grant.access_token), "iss": "https://elsewhere.example/realms/other"}
    request = factory.get("/", HTTP_AUTHORIZATION=f"Bearer {signed(claims)}")
    assert refusal(lambda: authenticate_request(request)) == "The token's issuer is not trusted."


def test_a_configured_issuer_must_match_exactly(grant, settings):
    settings.RS_ACCESS_ISSUER = "https://rs.example.org/auth/realms/rs"
    request = factory.get("/", HTTP_AUTHORIZATION=f"Bearer {grant.access_token}")  # issued as http://testserver/…
    assert refusal(lambda: authenticate_request(request)) == "The token's issuer is not trusted."


@pytest.mark.parametrize(("token", "reason"), [
    ("", "The token is malformed."), ("abc.def", "The token is malformed."), ("x" * 20000, "The token is malformed."),
])
def test_garbage_tokens_are_refused(token, reason):
    request = factory.get("/", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert refusal(lambda: authenticate_request(request)) == reason


def test_a_token_without_jti_is_refused(grant):
    claims = claims_of(grant.access_token)
    del claims["jti"]
    request = factory.get("/", HTTP_AUTHORIZATION=f"Bearer {signed(claims)}")
    assert refusal(lambda: authenticate_request(request)) == "The token lacks the 'jti' claim."


def test_checking_a_bearer_token_reads_no_database_row(grant, django_assert_num_queries):
    authenticate_request(factory.get("/", HTTP_AUTHORIZATION=f"Bearer {grant.access_token}"))  # key ring loaded
    with django_assert_num_queries(0):
        for _ in range(3):
            authenticate_request(factory.get("/", HTTP_AUTHORIZATION=f"Bearer {grant.access_token}"))


@principal_required(role="operator")
def operators_only(request):
    return HttpResponse(request.principal.username)


def test_the_decorator_answers_401_with_the_challenge_without_credentials():
    request = factory.get("/")
    request.user = AnonymousUser()
    response = operators_only(request)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="rs", Basic realm="rs"'
    assert response.content == b'{"error": {"code": "Unauthorized", "message": "Authentication is required."}}'


def test_the_decorator_names_the_token_error_in_the_challenge(settings):
    settings.RS_ACCESS_BASIC_AUTH = False
    response = operators_only(factory.get("/", HTTP_AUTHORIZATION="Bearer abc.def"))
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == ('Bearer realm="rs", error="invalid_token", '
                                            'error_description="The token is malformed."')


def test_the_decorator_answers_403_without_the_role(grant):
    response = operators_only(factory.get("/", HTTP_AUTHORIZATION=f"Bearer {grant.access_token}"))
    assert response.status_code == 403
    assert response.content == b'{"error": {"code": "Forbidden", "message": "The \'operator\' role is required."}}'


def test_the_decorator_lets_operators_in(operator, public_client, on_commit):
    with on_commit():
        services.signing_keys_ensure()
    token = services.tokens_issue_for_user(client=public_client, user=operator, scope="profile",
                                           issuer=ISSUER).access_token
    response = operators_only(factory.get("/", HTTP_AUTHORIZATION=f"Bearer {token}"))
    assert (response.status_code, response.content) == (200, b"olga")


def test_the_operator_api_accepts_our_bearer_tokens(client, grant):
    assert client.get("/api/v1/products/", HTTP_AUTHORIZATION=f"Bearer {grant.access_token}").status_code == 200


def test_the_operator_api_refuses_a_bad_bearer_token_with_a_challenge(client, db):
    response = client.get("/api/v1/products/", HTTP_AUTHORIZATION="Bearer abc.def")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="rs"'
    assert response.json() == {"error": {"status": 401, "code": "authentication_failed",
                                         "message": "The token is malformed."}}


def test_the_operator_api_refuses_the_token_of_a_disabled_user(client, grant, alice):
    alice.is_active = False
    alice.save()
    response = client.get("/api/v1/products/", HTTP_AUTHORIZATION=f"Bearer {grant.access_token}")
    assert response.json()["error"]["message"] == "The token's user has no active account here."
