"""The Subscriptions API in CDSE's shapes (prip-odata.md §13, §20 case 34, samples cdse_subscription_*): create
pull and push, Info, one, PATCH, cancel, DELETE, unknown ids, limits, malformed bodies and filters; credentials of
push endpoints sealed, never returned, never logged."""

from __future__ import annotations

import json
import logging
import re
import uuid
from pathlib import Path
from typing import Any

import pytest

from rs.subscriptions.tests.support import (  # noqa: F401 - fixtures
    alice_fixture,
    basic_memo_fixture,
    bearer,
    bob_fixture,
    fast_passwords_fixture,
    public_client_fixture,
)

pytestmark = pytest.mark.django_db

SAMPLES = Path("/work/shared/samples/odata")
ROOT = "/odata/v1"
FILTER = ("Collection/Name eq 'SENTINEL-1' and Attributes/OData.CSC.StringAttribute/any(att:att/Name eq "
          "'productType' and att/OData.CSC.StringAttribute/Value eq 'IW_SLC__1S')")
STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")


def sample(name: str) -> Any:
    path = SAMPLES / name
    if not path.exists():
        pytest.skip(f"sample {name} is not on this machine")
    return json.loads(path.read_text())["body"]


def post(client: Any, user: Any, body: Any, path: str = "Subscriptions") -> Any:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return client.post(f"{ROOT}/{path}", raw, content_type="application/json", **bearer(user))


def patch(client: Any, user: Any, subscription_id: str, body: Any) -> Any:
    return client.patch(f"{ROOT}/Subscriptions({subscription_id})", json.dumps(body),
                        content_type="application/json", **bearer(user))


@pytest.fixture
def pull(client: Any, alice: Any, public_client: Any) -> dict[str, Any]:
    response = post(client, alice, {"StageOrder": True, "FilterParam": FILTER, "Priority": 1, "Status": "running",
                                    "SubscriptionEvent": ["created"]})
    assert response.status_code == 201, response.content
    return response.json()


def test_creating_a_pull_subscription_answers_cdses_201(pull):
    expected = sample("cdse_subscription_create_pull_201.cdse-docs.json")
    assert list(pull) == list(expected)
    assert {k: v for k, v in pull.items() if k not in ("Id", "SubmissionDate")} == {
        k: v for k, v in expected.items() if k not in ("Id", "SubmissionDate")}
    assert uuid.UUID(pull["Id"]) and STAMP.fullmatch(pull["SubmissionDate"])


def test_creating_a_push_subscription_shows_its_signing_secret_once_and_never_the_password(
        client, alice, public_client, caplog):
    caplog.set_level(logging.DEBUG)
    response = post(client, alice, {"FilterParam": FILTER, "NotificationEndpoint": "https://userservice/notification",
                                    "NotificationEpUsername": "hook", "NotificationEpPassword": "hunter2-secret"})
    body = response.json()
    expected = sample("cdse_subscription_create_push_201.cdse-docs.json")
    assert response.status_code == 201 and response["Cache-Control"] == "no-store"
    assert list(body) == [*list(expected)[:-1], "NotificationSigningSecret", "@odata.context"]
    assert body["NotificationEndpoint"] == "https://userservice/notification"
    assert len(body["NotificationSigningSecret"]) >= 40
    # the password and the secret are sealed in the database and appear in no answer and no log
    from rs.subscriptions.models import Subscription
    from rs.subscriptions.sealing import unseal

    row = Subscription.objects.get(pk=body["Id"])
    assert "hunter2" not in row.endpoint_password_sealed and unseal(row.endpoint_password_sealed) == "hunter2-secret"
    assert unseal(row.signing_secret_sealed) == body["NotificationSigningSecret"]
    shown = [client.get(f"{ROOT}/Subscriptions({body['Id']})", **bearer(alice)).content,
             client.get(f"{ROOT}/Subscriptions/Info", **bearer(alice)).content]
    assert not any(b"hunter2" in page or body["NotificationSigningSecret"].encode() in page for page in shown)
    assert "hunter2" not in caplog.text


def test_info_lists_the_callers_subscriptions_with_their_last_notification_date(client, alice, bob, pull):
    info = client.get(f"{ROOT}/Subscriptions/Info", **bearer(alice)).json()
    expected = sample("cdse_subscriptions_info_200.cdse-docs.json")[1]
    assert [list(item) for item in info] == [list(expected)]
    assert (info[0]["Id"], info[0]["LastNotificationDate"]) == (pull["Id"], None)
    assert client.get(f"{ROOT}/Subscriptions/Info", **bearer(bob)).json() == []


def test_one_subscription_is_its_owners_only(client, alice, bob, pull):
    mine = client.get(f"{ROOT}/Subscriptions({pull['Id']})", **bearer(alice))
    theirs = client.get(f"{ROOT}/Subscriptions({pull['Id']})", **bearer(bob))
    assert (mine.status_code, mine.json()) == (200, pull)
    assert theirs.status_code == 404
    assert theirs.json()["detail"]["message"] == f"Subscription with id {pull['Id']} not found."


def test_unknown_and_malformed_ids_are_cdses_404(client, alice, public_client):
    expected = sample("cdse_subscription_not_found_404.cdse-docs.json")
    for key in ("991c4730-cf6f-432a-9f6c-47be0230ff45", "not-a-uuid"):
        for method in (client.get, client.delete):
            response = method(f"{ROOT}/Subscriptions({key})", **bearer(alice))
            body = response.json()
            assert response.status_code == 404
            assert list(body["detail"]) == list(expected["detail"])
            assert body["detail"]["message"] == f"Subscription with id {key} not found."


def test_patch_pauses_and_cancelling_deletes(client, alice, pull):
    paused = patch(client, alice, pull["Id"], {"Status": "paused"})
    assert (paused.status_code, paused.json()["Status"]) == (200, "paused")
    cancelled = patch(client, alice, pull["Id"], {"Status": "cancelled"})
    assert (cancelled.status_code, cancelled.json()["Status"]) == (200, "cancelled")
    assert client.get(f"{ROOT}/Subscriptions({pull['Id']})", **bearer(alice)).status_code == 404


def test_a_pull_subscription_changes_its_status_only(client, alice, pull):
    response = patch(client, alice, pull["Id"], {"NotificationEndpoint": "https://example.org/hook"})
    assert (response.status_code, response.json()["error"]) == (400, {
        "code": "InvalidSubscription", "message": "A pull subscription can change its Status only",
        "target": "NotificationEndpoint"})
    filter_change = patch(client, alice, pull["Id"], {"FilterParam": "Online eq true"})
    assert (filter_change.status_code, filter_change.json()["error"]["target"]) == (400, "FilterParam")


def test_delete_is_204_and_then_404(client, alice, pull):
    assert client.delete(f"{ROOT}/Subscriptions({pull['Id']})", **bearer(alice)).status_code == 204
    assert client.delete(f"{ROOT}/Subscriptions({pull['Id']})", **bearer(alice)).status_code == 404


def test_cdses_limits_apply_one_running_ten_in_total(client, alice, pull):
    second = post(client, alice, {"FilterParam": "Online eq true"})
    assert (second.status_code, second.json()["error"]) == (403, {
        "code": "SubscriptionLimitReached",
        "message": "You have 1 running subscription(s), the most allowed: pause or delete one first."})
    for _ in range(9):
        assert post(client, alice, {"FilterParam": "", "Status": "paused"}).status_code == 201
    eleventh = post(client, alice, {"Status": "paused"})
    assert (eleventh.status_code, eleventh.json()["error"]["message"]) == (
        403, "You have 10 subscriptions, the most allowed: delete one first.")
    resumed = patch(client, alice, client.get(f"{ROOT}/Subscriptions/Info", **bearer(alice)).json()[1]["Id"],
                    {"Status": "running"})
    assert resumed.status_code == 403


@pytest.mark.parametrize(("body", "target", "message"), [
    (b"{not json", None, 'The body is not JSON: send an object such as {"FilterParam": "Collection/Name eq '
                         "'SENTINEL-1'\"}"),
    (b"[]", None, "The body must be a JSON object"),
    ({"FilterParm": "x"}, "FilterParm", "Unknown or unchangeable field 'FilterParm': use FilterParam, StageOrder, "
                                        "Priority, Status, SubscriptionEvent, NotificationEndpoint, "
                                        "NotificationEpUsername, NotificationEpPassword"),
    ({"StageOrder": "yes"}, "StageOrder", "StageOrder must be true or false"),
    ({"Priority": 1.5}, "Priority", "Priority must be an integer"),
    ({"Status": "cancelled"}, "Status", "Status 'cancelled' is not one of running, paused"),
    ({"SubscriptionEvent": ["created", "exploded"]}, "SubscriptionEvent",
     "Unknown SubscriptionEvent 'exploded': use created, modified, deleted"),
    ({"SubscriptionEvent": []}, "SubscriptionEvent", "SubscriptionEvent needs at least one event"),
    ({"NotificationEndpoint": "ftp://example.org/x"}, "NotificationEndpoint",
     "NotificationEndpoint must be an http:// or https:// URL with a host"),
    ({"NotificationEndpoint": "https://user:pw@example.org/x"}, "NotificationEndpoint",
     "Give the endpoint credentials in NotificationEpUsername/NotificationEpPassword, not in the URL"),
    ({"NotificationEpPassword": "x"}, "NotificationEndpoint", "Endpoint credentials need a NotificationEndpoint"),
])
def test_malformed_bodies_are_400_naming_the_field(client, alice, public_client, body, target, message):
    response = post(client, alice, body)
    expected = {"code": "InvalidSubscription", "message": message}
    if target:
        expected["target"] = target
    assert (response.status_code, response.json()) == (400, {"error": expected})


def test_a_filter_the_catalogue_cannot_run_is_a_400_with_its_position(client, alice, public_client):
    response = post(client, alice, {"FilterParam": "Collection/Name eq 'SENTINEL-1' and Foo eq 1"})
    assert (response.status_code, response.json()) == (400, {"error": {
        "code": "InvalidFilter", "message": "Unknown property 'Foo' at position 36", "target": "FilterParam",
        "details": [{"code": "UnknownProperty", "message": "Foo", "target": "position 36"}]}})


def test_every_subscription_call_needs_credentials(client, public_client):
    answers = [client.get(f"{ROOT}/Subscriptions/Info"), client.post(f"{ROOT}/Subscriptions", b"{}",
                                                                     content_type="application/json")]
    assert [(a.status_code, a["WWW-Authenticate"]) for a in answers] == [
        (401, 'Bearer realm="rs", Basic realm="rs"')] * 2
