"""Signing keys: encrypted at rest, rotation without downtime (next → active → retired), JWKS contents, forged and
foreign-key tokens refused, the command and the periodic task."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import timedelta
from io import StringIO

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.management import call_command
from django.test import RequestFactory
from django.utils import timezone

from rs.access import selectors, services
from rs.access.authentication import authenticate_request
from rs.access.models import SigningKey
from rs.access.tests.conftest import ISSUER, refusal

pytestmark = pytest.mark.django_db


def token_for(user, client, *, now=None):
    return services.tokens_issue_for_user(client=client, user=user, scope="profile", issuer=ISSUER,
                                          now=now).access_token


def check(token):
    return authenticate_request(RequestFactory().get("/", HTTP_AUTHORIZATION=f"Bearer {token}"))


def kids(document):
    return [key["kid"] for key in document["keys"]]


def test_private_keys_are_stored_encrypted_and_never_published(on_commit):
    with on_commit():
        active = services.signing_keys_ensure()
    assert active.private_key_pem.startswith("-----BEGIN ENCRYPTED PRIVATE KEY-----")
    for key in selectors.jwks()["keys"]:
        assert "d" not in key and "p" not in key


def test_a_token_signed_before_a_rotation_stays_valid_until_it_expires(alice, public_client, on_commit):
    with on_commit():
        old = services.signing_keys_ensure()
    token = token_for(alice, public_client)
    with on_commit():
        new = services.signing_keys_rotate()
    assert new.kid != old.kid
    assert jwt.get_unverified_header(token)["kid"] == old.kid
    assert check(token).username == "alice"
    assert jwt.get_unverified_header(token_for(alice, public_client))["kid"] == new.kid
    # JWKS: the new active key, the next one, and the retired one while its tokens live
    states = dict(SigningKey.objects.values_list("kid", "state"))
    assert [states[k] for k in kids(selectors.jwks())] == ["active", "next", "retired"]
    assert kids(selectors.jwks())[2] == old.kid


def test_a_retired_key_disappears_once_its_last_token_has_expired(alice, public_client, on_commit):
    with on_commit():
        old = services.signing_keys_ensure()
    token = token_for(alice, public_client)
    with on_commit():
        services.signing_keys_rotate()
    retired = SigningKey.objects.get(kid=old.kid)
    assert retired.verify_until == retired.retired_at + timedelta(seconds=600 + 30)
    with on_commit():
        services.signing_keys_rotate(now=retired.verify_until + timedelta(seconds=1))
    assert not SigningKey.objects.filter(kid=old.kid).exists()
    assert old.kid not in kids(selectors.jwks())
    assert refusal(lambda: check(token)) == "The token is signed by an unknown key."


def test_the_next_key_is_published_before_it_signs(on_commit):
    with on_commit():
        services.signing_keys_ensure()
    upcoming = SigningKey.objects.get(state="next")
    assert upcoming.kid in kids(selectors.jwks())
    with on_commit():
        assert services.signing_keys_rotate().kid == upcoming.kid


def test_a_forged_token_with_an_unknown_kid_is_refused(alice, public_client, on_commit):
    with on_commit():
        services.signing_keys_ensure()
    claims = jwt.decode(token_for(alice, public_client), options={"verify_signature": False})
    claims["realm_access"] = {"roles": ["admin"]}
    forger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(claims, forger, algorithm="RS256", headers={"kid": "forged-kid"})
    assert refusal(lambda: check(forged)) == "The token is signed by an unknown key."


def test_a_token_signed_by_another_key_under_our_kid_is_refused(alice, public_client, on_commit):
    with on_commit():
        active = services.signing_keys_ensure()
    claims = jwt.decode(token_for(alice, public_client), options={"verify_signature": False})
    forger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(claims, forger, algorithm="RS256", headers={"kid": active.kid})
    assert refusal(lambda: check(forged)) == "The token signature is invalid."


def test_unsigned_and_symmetric_tokens_are_refused(alice, public_client, on_commit):
    with on_commit():
        active = services.signing_keys_ensure()
    claims = jwt.decode(token_for(alice, public_client), options={"verify_signature": False})
    unsigned = jwt.encode(claims, None, algorithm="none", headers={"kid": active.kid})
    assert refusal(lambda: check(unsigned)) == "The token's signing algorithm is not accepted."
    # the classic confusion: HMAC keyed with the published RSA public key (built by hand: PyJWT refuses to)
    public_pem = jwt.PyJWK(active.public_jwk).key.public_bytes(serialization.Encoding.PEM,
                                                               serialization.PublicFormat.SubjectPublicKeyInfo)
    confused = hs256(claims, public_pem, kid=active.kid)
    assert refusal(lambda: check(confused)) == "The token's signing algorithm is not accepted."


def hs256(claims, key, *, kid):
    def part(value):
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=")

    signing_input = part({"alg": "HS256", "typ": "JWT", "kid": kid}) + b"." + part(claims)
    signature = base64.urlsafe_b64encode(hmac.new(key, signing_input, hashlib.sha256).digest()).rstrip(b"=")
    return (signing_input + b"." + signature).decode()


def test_the_command_rotates_and_lists_the_keys(on_commit):
    out = StringIO()
    with on_commit():
        services.signing_keys_ensure()
        call_command("access", "keys", "rotate", stdout=out)
    active = SigningKey.objects.get(state="active")
    assert out.getvalue() == f"rotated: {active.kid} is now active\n"
    listing = StringIO()
    call_command("access", "keys", "list", stdout=listing)
    assert [line.split()[1] for line in listing.getvalue().splitlines()] == ["next", "active", "retired"]


def test_the_periodic_task_rotates_only_when_the_key_is_old_enough(on_commit, settings):
    settings.RS_ACCESS_KEY_ROTATION_DAYS = 30
    now = timezone.now()
    with on_commit():
        first = services.signing_keys_ensure(now=now)
        assert services.signing_keys_maintain(now=now + timedelta(days=29)) == \
            f"kept: {first.kid} active, 0 retired key(s) deleted"
        outcome = services.signing_keys_maintain(now=now + timedelta(days=30))
    assert outcome == f"rotated: {SigningKey.objects.get(state='active').kid} active"
    assert SigningKey.objects.get(kid=first.kid).state == "retired"
