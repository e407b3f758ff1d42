"""Admin: a client secret is shown once and stored hashed; keys rotate from the admin; sessions are revoked; the
private keys never appear."""

from __future__ import annotations

import hashlib
import re
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from rs.access import services
from rs.access.models import OAuthClient, SigningKey, TokenSession
from rs.access.tests.conftest import ISSUER

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    get_user_model().objects.create_superuser("root", "root@example.org", "root-password-x")
    client.login(username="root", password="root-password-x")
    return client


def test_a_new_confidential_client_shows_its_secret_once(admin_client):
    page = admin_client.post("/admin/access/oauthclient/add/", {
        "client_id": "prosEO", "name": "prosEO PRIP monitor", "confidential": "on",
        "grant_types": "client_credentials", "service_user": "", "enabled": "on"})
    assert page.status_code == 200
    assert page["Cache-Control"].startswith("no-store")  # the admin adds never_cache's directives
    secret = re.search(r'user-select:all">([^<]+)</code>', page.content.decode()).group(1)
    stored = OAuthClient.objects.get(client_id="prosEO")
    assert stored.secret_sha256 == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in admin_client.get(f"/admin/access/oauthclient/{stored.pk}/change/").content.decode()
    assert secret not in str(dict(admin_client.session))


def test_an_unknown_grant_is_refused_by_the_admin(admin_client):
    page = admin_client.post("/admin/access/oauthclient/add/", {
        "client_id": "x", "grant_types": "password implicit", "enabled": "on"})
    assert "unknown grant type(s): implicit" in page.content.decode()


def test_the_admin_rotates_the_keys_without_a_selection(admin_client, on_commit):
    with on_commit():
        first = services.signing_keys_ensure()
        page = admin_client.post("/admin/access/signingkey/", {"action": "keys_rotate", "index": 0}, follow=True)
    assert page.status_code == 200
    assert SigningKey.objects.get(kid=first.kid).state == "retired"
    assert "now signs; the previous one verifies until its tokens expire." in page.content.decode()


def test_the_key_pages_never_show_a_private_key(admin_client, on_commit):
    with on_commit():
        key = services.signing_keys_ensure()
    page = admin_client.get(f"/admin/access/signingkey/{key.pk}/change/").content.decode()
    assert "PRIVATE KEY" not in page and key.kid in page


def test_the_admin_revokes_sessions(admin_client, alice, public_client):
    grant = services.tokens_issue_for_user(client=public_client, user=alice, scope="profile", issuer=ISSUER)
    admin_client.post("/admin/access/tokensession/", {"action": "sessions_revoke",
                                                      "_selected_action": [grant.session_id]})
    assert TokenSession.objects.get(pk=grant.session_id).revoked_reason == "revoked by an operator"


def test_the_command_creates_a_client_and_prints_its_secret_once(db):
    get_user_model().objects.create_user("robot", "", None)
    out = StringIO()
    call_command("access", "clients", "create", "machine", "--confidential", "--grants", "client_credentials",
                 "--service-user", "robot", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0] == "client machine created"
    secret = lines[1].removeprefix("secret (shown once, store it now): ")
    assert services.oauth_client_secret_matches(client=OAuthClient.objects.get(client_id="machine"), secret=secret)
