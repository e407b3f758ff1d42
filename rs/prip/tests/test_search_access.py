"""Searches behind the access rules (prip-odata.md §9, §11.3, §18): every catalogue read of an authenticated caller
is counted in the requests-per-minute quota shared with downloads and subscriptions (429 + Retry-After), a bad
credential is a 401 (never anonymous), anonymous search only when configured, and every read shows only what the
caller's visibility rules allow (Products, $count, one product, its navigations, FilterList, DeletedProducts)."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from typing import Any

import jwt
import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from rs.access import services as access_services
from rs.access.models import VisibilityRule
from rs.catalog import services as catalog_services
from rs.catalog.choices import DeletionCause
from rs.prip.tests.requests import ROOT
from rs.subscriptions.tests.support import (  # noqa: F401 - fixtures
    alice_fixture,
    basic_memo_fixture,
    bearer,
    bob_fixture,
    fast_passwords_fixture,
    public_client_fixture,
    token_of,
)

pytestmark = pytest.mark.django_db

S2_LABELS = ["P6", "P7"]


@pytest.fixture
def limits(django_capture_on_commit_callbacks: Any) -> Any:
    from rs.subscriptions import services
    from rs.subscriptions.models import UserLimits

    def edit(user: Any = None, **values: Any) -> Any:
        row = UserLimits.objects.filter(user=user).first() or UserLimits(user=user)
        for name, value in values.items():
            setattr(row, name, value)
        with django_capture_on_commit_callbacks(execute=True):
            return services.limits_save(limits=row)

    return edit


@pytest.fixture
def rule(django_capture_on_commit_callbacks: Any) -> Any:
    def save(**fields: Any) -> VisibilityRule:
        with django_capture_on_commit_callbacks(execute=True):
            return access_services.visibility_rule_save(rule=VisibilityRule(**fields))

    return save


def same_minute() -> None:
    if time.time() % 60 > 45:
        time.sleep(60.5 - time.time() % 60)


def error(response: Any) -> dict[str, Any]:
    return json.loads(response.content)


def every_read(catalog: dict[str, Any]) -> list[tuple[str, str]]:
    p1 = catalog["P1"].id
    return [("GET", f"{ROOT}/"), ("GET", f"{ROOT}/$metadata"), ("GET", f"{ROOT}/Products?$top=2"),
            ("GET", f"{ROOT}/Products/$count"), ("GET", f"{ROOT}/Products({p1})"),
            ("GET", f"{ROOT}/Products({p1})/Attributes"), ("POST", f"{ROOT}/Products/OData.CSC.FilterList"),
            ("GET", f"{ROOT}/DeletedProducts"), ("GET", f"{ROOT}/DeletedProducts/$count"),
            ("GET", f"{ROOT}/Attributes"), ("GET", f"{ROOT}/Attributes(SENTINEL-1)")]


def send(client: Any, method: str, path: str, **headers: Any) -> Any:
    if method == "POST":
        return client.post(path, {"FilterProducts": [{"Name": "x"}]}, content_type="application/json", **headers)
    return client.get(path, **headers)


def test_every_catalogue_read_counts_in_the_requests_per_minute_quota(client, catalog, alice, bob, public_client,
                                                                      limits):
    reads = every_read(catalog)
    limits(alice, requests_per_minute=len(reads))
    same_minute()
    headers = bearer(alice)
    assert [send(client, method, path, **headers).status_code for method, path in reads] == [200] * len(reads)
    for method, path in reads:  # the next one, whatever it is, is refused until the minute ends
        refused = send(client, method, path, **headers)
        assert refused.status_code == 429, path
        assert error(refused) == {"error": {"code": "TooManyRequests",
                                            "message": f"More than {len(reads)} requests in one minute."}}
        assert 1 <= int(refused["Retry-After"]) <= 60
    # the same counter as downloads and subscriptions
    assert client.get(f"{ROOT}/Products({catalog['P1'].id})/$value", **headers).status_code == 429
    assert client.get(f"{ROOT}/Subscriptions/Info", **headers).status_code == 429
    # another user has their own counter; anonymous reads are not counted (the quota is per account)
    assert client.get(f"{ROOT}/Products/$count", **bearer(bob)).status_code == 200
    assert client.get(f"{ROOT}/Products/$count").status_code == 200


def test_a_search_with_a_bad_credential_is_a_401_never_an_anonymous_answer(client, catalog, alice, public_client):
    expired = token_of(alice, now=timezone.now() - timedelta(hours=2))
    header, claims, signature = token_of(alice).split(".")
    key = access_services.signing_material()
    other = jwt.decode(token_of(alice), options={"verify_signature": False}) | {"aud": "SOMEONE_ELSE"}
    credentials = {
        "expired": {"HTTP_AUTHORIZATION": f"Bearer {expired}"},
        "forged": {"HTTP_AUTHORIZATION": f"Bearer {header}.{claims}.{signature[:-4]}AAAA"},
        "audience": {"HTTP_AUTHORIZATION": "Bearer " + jwt.encode(other, key.private_key, algorithm="RS256",
                                                                  headers={"kid": key.kid})},
        "malformed": {"HTTP_AUTHORIZATION": "Bearer not.a.jwt"},
        "basic": {"HTTP_AUTHORIZATION": "Basic !!!"},
        "scheme": {"HTTP_AUTHORIZATION": "Negotiate abc"},
    }
    answers = {name: client.get(f"{ROOT}/Products?$top=1", **headers) for name, headers in credentials.items()}
    assert {name: a.status_code for name, a in answers.items()} == dict.fromkeys(credentials, 401)
    assert {name: error(a)["error"]["code"] for name, a in answers.items()} == dict.fromkeys(credentials,
                                                                                          "InvalidToken")
    assert error(answers["expired"])["error"]["message"] == "The token has expired."
    assert error(answers["audience"])["error"]["message"] == "The token is not meant for this service (audience)."
    assert all(a["WWW-Authenticate"].startswith('Bearer realm="rs", error="invalid_token"') for a in answers.values())
    # ?token= (eodag) too, on $count and FilterList
    assert client.get(f"{ROOT}/Products/$count", {"token": expired}).status_code == 401
    assert client.post(f"{ROOT}/Products/OData.CSC.FilterList?token=garbage", {"FilterProducts": []},
                       content_type="application/json").status_code == 401


def test_without_anonymous_search_every_read_needs_credentials(client, catalog, alice, public_client, settings):
    settings.RS_PRIP_ANONYMOUS_SEARCH = False
    for method, path in every_read(catalog):
        refused = send(client, method, path)
        assert (refused.status_code, refused["WWW-Authenticate"]) == (401, 'Bearer realm="rs", Basic realm="rs"'), path
        assert error(refused) == {"error": {"code": "Unauthorized", "message": "Authentication is required."}}
    assert client.get(f"{ROOT}/Products/$count", **bearer(alice)).content == b"10"


def test_every_read_shows_only_what_the_callers_rules_allow(client, catalog, alice, bob, public_client, rule):
    rule(user=alice, mission="S2")
    p1, p6 = catalog["P1"], catalog["P6"]
    catalog_services.product_delete(product_id=catalog["P3"].id, cause=DeletionCause.CORRUPTED)
    catalog_services.product_delete(product_id=catalog["P7"].id, cause=DeletionCause.OBSOLETE)
    headers = bearer(alice)
    page = client.get(f"{ROOT}/Products?$count=true&$orderby=Name", **headers).json()
    assert [item["Name"] for item in page["value"]] == [catalog["P6"].name] and page["@odata.count"] == 1
    assert client.get(f"{ROOT}/Products/$count", **headers).content == b"1"
    assert client.get(f"{ROOT}/Products({p1.id})", **headers).status_code == 404
    assert client.get(f"{ROOT}/Products({p1.id})/Attributes", **headers).status_code == 404
    assert client.get(f"{ROOT}/Products({p6.id})", **headers).status_code == 200
    listed = client.post(f"{ROOT}/Products/OData.CSC.FilterList",
                         {"FilterProducts": [{"Name": p1.name}, {"Name": p6.name}]}, content_type="application/json",
                         **headers).json()
    assert [item["Name"] for item in listed["value"]] == [p6.name]
    deleted = client.get(f"{ROOT}/DeletedProducts?$count=true", **headers).json()
    assert [item["Name"] for item in deleted["value"]] == [catalog["P7"].name] and deleted["@odata.count"] == 1
    assert client.get(f"{ROOT}/DeletedProducts/$count", **headers).content == b"1"
    assert client.get(f"{ROOT}/DeletedProducts({catalog['P3'].id})", **headers).status_code == 404
    # bob has no rule: everything (RS_ACCESS_DEFAULT_VISIBILITY=all); so has the anonymous caller
    assert client.get(f"{ROOT}/Products/$count", **bearer(bob)).content == b"8"
    assert client.get(f"{ROOT}/DeletedProducts/$count").content == b"2"


def test_a_rule_change_applies_to_the_next_search(client, catalog, alice, public_client, rule,
                                                  django_capture_on_commit_callbacks):
    headers = bearer(alice)
    assert client.get(f"{ROOT}/Products/$count", **headers).content == b"10"
    denied = rule(mission="S1", allow=False)  # for everybody
    assert client.get(f"{ROOT}/Products/$count", **headers).content == b"3"
    assert client.get(f"{ROOT}/Products/$count").content == b"3"
    with django_capture_on_commit_callbacks(execute=True):
        access_services.visibility_rule_delete(rule=denied)
    assert client.get(f"{ROOT}/Products/$count", **headers).content == b"10"
    # a group rule follows the groups of the token (as Keycloak's: they are claims, read at issue)
    group = Group.objects.create(name="copernicus-s3")
    rule(group=group, mission="S3")
    alice.groups.add(group)
    assert client.get(f"{ROOT}/Products/$count", **bearer(alice)).content == b"1"


def test_basic_credentials_follow_a_change_of_rights_at_once(client, catalog, alice, rule,
                                                             django_capture_on_commit_callbacks):
    """Basic checks are remembered per process (no password hash per request), but not across a change of rights."""
    from base64 import b64encode

    from rs.subscriptions.tests.support import PASSWORD

    basic = {"HTTP_AUTHORIZATION": "Basic " + b64encode(f"alice:{PASSWORD}".encode()).decode()}
    assert client.get(f"{ROOT}/Products/$count", **basic).content == b"10"  # remembered from now on
    group = Group.objects.create(name="copernicus-s3")
    rule(group=group, mission="S3")
    with django_capture_on_commit_callbacks(execute=True):
        alice.groups.add(group)
    assert client.get(f"{ROOT}/Products/$count", **basic).content == b"1"
    with django_capture_on_commit_callbacks(execute=True):
        alice.set_password("another password of alice")
        alice.save()
    assert client.get(f"{ROOT}/Products/$count", **basic).status_code == 401
    with django_capture_on_commit_callbacks(execute=True):
        alice.set_password(PASSWORD)
        alice.is_active = False
        alice.save()
    assert client.get(f"{ROOT}/Products/$count", **basic).status_code == 401
