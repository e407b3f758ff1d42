"""STAC searches follow the PRIP's access rules: a bad credential is a 401 (STAC error body), anonymous only when
configured, every authenticated search counted in the requests-per-minute quota, and only what the caller's
visibility rules show (search, collection items, one item)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from rs.access import services as access_services
from rs.access.models import VisibilityRule
from rs.subscriptions.tests.support import (  # noqa: F401 - fixtures
    alice_fixture,
    basic_memo_fixture,
    bearer,
    fast_passwords_fixture,
    public_client_fixture,
)

pytestmark = pytest.mark.django_db


def collections_of(response: Any) -> set[str]:
    assert response.status_code == 200, response.content
    return {feature["collection"].split("-")[1] for feature in response.json()["features"]}


def test_stac_shows_only_what_the_callers_rules_allow(client, catalog, alice, public_client,
                                                      django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        access_services.visibility_rule_save(rule=VisibilityRule(user=alice, mission="S2"))
    headers = bearer(alice)
    assert collections_of(client.get("/stac/search?limit=100")) == {"1", "2", "3"}
    assert collections_of(client.get("/stac/search?limit=100", **headers)) == {"2"}
    assert collections_of(client.post("/stac/search", {"limit": 100}, content_type="application/json",
                                      **headers)) == {"2"}
    assert client.get("/stac/collections/sentinel-1-iw_grdh_1s/items", **headers).status_code == 404  # hidden
    s1 = f"/stac/collections/sentinel-1-iw_grdh_1s/items/{catalog['L1'].name}"
    assert client.get(s1).status_code == 200
    assert client.get(s1, **headers).status_code == 404
    assert client.get(f"/stac/collections/sentinel-2-s2msi2a/items/{catalog['C2'].name}", **headers).status_code == 200


def test_stac_refuses_bad_credentials_and_counts_requests(client, catalog, alice, public_client, settings,
                                                          django_capture_on_commit_callbacks):
    from rs.subscriptions import services
    from rs.subscriptions.models import UserLimits

    refused = client.get("/stac/search", HTTP_AUTHORIZATION="Bearer not.a.jwt")
    assert (refused.status_code, json.loads(refused.content)) == (
        401, {"code": "InvalidToken", "description": "The token is malformed."})
    assert refused["WWW-Authenticate"].startswith('Bearer realm="rs", error="invalid_token"')
    settings.RS_PRIP_ANONYMOUS_SEARCH = False
    assert client.get("/stac/search").status_code == 401
    with django_capture_on_commit_callbacks(execute=True):
        services.limits_save(limits=UserLimits(user=alice, requests_per_minute=1))
    headers = bearer(alice)
    assert client.get("/stac/search?limit=1", **headers).status_code == 200
    too_many = client.get("/stac/search?limit=1", **headers)
    assert too_many.status_code == 429 and 1 <= int(too_many["Retry-After"]) <= 60
    assert json.loads(too_many.content)["code"] == "TooManyRequests"


def test_collections_a_caller_may_not_see_are_neither_listed_nor_served(client, catalog, alice, public_client,
                                                                        django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        access_services.visibility_rule_save(rule=VisibilityRule(user=alice, mission="S2"))
    headers = bearer(alice)
    everyone = {c["id"] for c in client.get("/stac/collections").json()["collections"]}
    alices = {c["id"] for c in client.get("/stac/collections", **headers).json()["collections"]}
    assert any(c.startswith("sentinel-1-") for c in everyone)
    assert alices == {c for c in everyone if c.startswith("sentinel-2-")} and alices
    landing = client.get("/stac/", **headers).json()
    children = {link["href"].rsplit("/", 1)[-1] for link in landing["links"] if link["rel"] == "child"}
    assert children == alices
    hidden = "/stac/collections/sentinel-1-iw_grdh_1s"
    assert client.get(hidden).status_code == 200
    assert client.get(hidden, **headers).status_code == 404
    assert client.get(f"{hidden}/items", **headers).status_code == 404
    assert client.get(f"{hidden}/queryables", **headers).status_code == 404
