"""Refresh tokens: rotation on use, replay detection, expiry, revocation of sessions and users, logout."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.test import RequestFactory
from django.utils import timezone

from rs.access import services
from rs.access.authentication import authenticate_request
from rs.access.errors import InvalidCredentials
from rs.access.models import RefreshToken, TokenSession
from rs.access.tests.conftest import PASSWORD, refusal

OIDC = "/auth/realms/rs/protocol/openid-connect"
pytestmark = pytest.mark.django_db


def post(client, path, form):
    return client.post(OIDC + path, urlencode(form), content_type="application/x-www-form-urlencoded")


def login(client):
    answer = post(client, "/token", {"grant_type": "password", "username": "alice", "password": PASSWORD,
                                     "client_id": "cdse-public"})
    assert answer.status_code == 200
    return answer.json()


def refresh(client, token, client_id="cdse-public"):
    return post(client, "/token", {"grant_type": "refresh_token", "refresh_token": token, "client_id": client_id})


def bearer(token):
    return RequestFactory().get("/odata/v1/Products", HTTP_AUTHORIZATION=f"Bearer {token}")


def test_a_refresh_token_is_stored_hashed_and_replaced_on_use(client, alice, public_client):
    first = login(client)
    assert not RefreshToken.objects.filter(token_sha256=first["refresh_token"]).exists()
    second = refresh(client, first["refresh_token"]).json()
    assert second["refresh_token"] != first["refresh_token"]
    assert second["session_state"] == first["session_state"]
    assert second["refresh_expires_in"] == 3600
    assert RefreshToken.objects.filter(session_id=first["session_state"], used_at__isnull=True).count() == 1
    assert refresh(client, second["refresh_token"]).status_code == 200


def test_a_used_refresh_token_is_refused(client, alice, public_client):
    first = login(client)
    refresh(client, first["refresh_token"])
    answer = refresh(client, first["refresh_token"])
    assert (answer.status_code, answer.json()) == (400, {"error": "invalid_grant",
                                                         "error_description": "Refresh token already used"})
    assert TokenSession.objects.get().revoked_at is None  # within the grace time: a racing client, not a thief


def test_replaying_a_used_refresh_token_later_revokes_the_whole_session(client, alice, public_client, on_commit):
    first = login(client)
    second = refresh(client, first["refresh_token"]).json()
    RefreshToken.objects.filter(used_at__isnull=False).update(used_at=timezone.now() - timedelta(seconds=60))
    with on_commit():
        assert refresh(client, first["refresh_token"]).status_code == 400
    assert TokenSession.objects.get().revoked_reason == "refresh token replayed"
    answer = refresh(client, second["refresh_token"])
    assert answer.json() == {"error": "invalid_grant", "error_description": "Session not active"}
    assert refusal(lambda: authenticate_request(bearer(second["access_token"]))) == "The token's session was revoked."


def test_an_unknown_refresh_token_is_invalid_grant(client, public_client):
    answer = refresh(client, "not-a-token")
    assert (answer.status_code, answer.json()) == (400, {"error": "invalid_grant",
                                                         "error_description": "Invalid refresh token"})


def test_an_expired_refresh_token_is_refused(client, alice, public_client):
    first = login(client)
    RefreshToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert refresh(client, first["refresh_token"]).json() == {"error": "invalid_grant",
                                                              "error_description": "Token is not active"}


def test_the_session_maximum_caps_the_refresh_lifetime(client, alice, public_client, settings):
    settings.RS_ACCESS_SESSION_MAX_S = 1800
    assert login(client)["refresh_expires_in"] == 1800


def test_a_refresh_token_of_another_client_is_refused(client, alice, public_client):
    services.oauth_client_create(client_id="other-public")
    first = login(client)
    assert refresh(client, first["refresh_token"], client_id="other-public").json() == {
        "error": "invalid_grant", "error_description": "Token client and authorized client don't match"}


def test_a_disabled_user_cannot_refresh(client, alice, public_client):
    first = login(client)
    alice.is_active = False
    alice.save()
    assert refresh(client, first["refresh_token"]).json()["error_description"] == "Session not active"


def test_revoking_a_session_refuses_its_access_and_refresh_tokens(client, alice, public_client, on_commit):
    first = login(client)
    assert authenticate_request(bearer(first["access_token"])).username == "alice"
    with on_commit():
        services.session_revoke(session_id=first["session_state"])
    assert refusal(lambda: authenticate_request(bearer(first["access_token"]))) == "The token's session was revoked."
    assert refresh(client, first["refresh_token"]).json()["error_description"] == "Session not active"


def test_revoking_a_user_refuses_tokens_issued_before(client, alice, public_client, on_commit):
    first = login(client)
    with on_commit():
        assert services.user_sessions_revoke(user_id=alice.pk) == 1
    assert refusal(lambda: authenticate_request(bearer(first["access_token"]))) == "The token's session was revoked."


def test_a_client_credentials_token_is_refused_after_its_user_was_revoked(client, machine_client, on_commit):
    _client, secret = machine_client
    token = post(client, "/token", {"grant_type": "client_credentials", "client_id": "prip-monitor",
                                    "client_secret": secret}).json()["access_token"]
    with on_commit():
        services.user_sessions_revoke(user_id=_client.service_user_id)
    assert refusal(lambda: authenticate_request(bearer(token))) == "The token was revoked."


def test_logout_ends_the_session(client, alice, public_client, on_commit):
    first = login(client)
    with on_commit():
        answer = post(client, "/logout", {"client_id": "cdse-public", "refresh_token": first["refresh_token"]})
    assert answer.status_code == 204
    assert TokenSession.objects.get().revoked_reason == "logout"
    with pytest.raises(InvalidCredentials):
        authenticate_request(bearer(first["access_token"]))


def test_revocation_answers_200_even_for_an_unknown_token(client, public_client):
    assert post(client, "/revoke", {"client_id": "cdse-public", "token": "unknown"}).status_code == 200


def test_the_oldest_sessions_beyond_the_limit_are_revoked(client, alice, public_client, settings):
    settings.RS_ACCESS_MAX_SESSIONS_PER_USER = 2
    sessions = [login(client)["session_state"] for _ in range(3)]
    revoked = set(TokenSession.objects.filter(revoked_at__isnull=False).values_list("pk", flat=True))
    assert {str(pk) for pk in revoked} == {sessions[0]}


def test_expired_and_old_revoked_sessions_are_purged(alice, public_client):
    now = timezone.now()
    services.tokens_issue_for_user(client=public_client, user=alice, scope="profile", issuer="http://x/realms/rs")
    TokenSession.objects.update(expires_at=now - timedelta(days=2))
    assert services.sessions_purge(now=now) == 1
    assert RefreshToken.objects.count() == 0
