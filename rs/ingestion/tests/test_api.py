"""/api/v1/ingestion/: inbox status, downlink sessions and what they lack, the quarantine with retry, download and
deletion of the copy; operators only. The data comes from real polls and drains (status_world.py)."""

from __future__ import annotations

import urllib.request
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from rs.catalog.storage import object_store
from rs.ingestion.choices import EntryState
from rs.ingestion.models import InboxEntry
from rs.ingestion.tests.ingestion_support import entry_of, ingest_now, wait_for
from rs.ingestion.tests.status_world import EMPTY_EOF, EOF_TEXT, StatusWorld, status_world
from rs.ingestion.tests.test_sessions import CH2_CHUNK2, SESSION_ID, _deliver, _delivery

INBOXES = "/api/v1/ingestion/inboxes/"
SESSIONS = "/api/v1/ingestion/sessions/"
QUARANTINE = "/api/v1/ingestion/quarantine/"


def token_client(user: Any) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


@pytest.fixture
def operator_api() -> APIClient:
    """An operator by the `operator` group (not staff), with a token: the role decides, not the account flag."""
    user = get_user_model().objects.create_user("oscar", password="an-operator-password")
    user.groups.add(Group.objects.get_or_create(name="operator")[0])
    return token_client(user)


@pytest.fixture
def staff_api() -> APIClient:
    client = APIClient()  # the session of a staff account, as the operations page has; no query to authenticate
    client.force_authenticate(get_user_model().objects.create_user("olga", is_staff=True))
    return client


@pytest.fixture
def world(db: None, tmp_path: Path) -> StatusWorld:
    return status_world(tmp_path)


def _by_name(results: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {row["name"]: row for row in results}


def test_inboxes_show_kind_poll_result_counts_per_state_and_problems_in_one_query(
        world, staff_api, django_assert_num_queries):
    with django_assert_num_queries(1):
        body = staff_api.get(INBOXES).json()

    assert (body["next"], body["previous"]) == (None, None)
    inboxes = _by_name(body["results"])
    assert list(inboxes) == ["alpha", "beta", "downlink", "remote"]
    assert {name: (row["kind"], row["enabled"], row["last_poll_ok"]) for name, row in inboxes.items()} == {
        "alpha": ("directory", True, True), "beta": ("directory", True, True), "downlink": ("directory", True, True),
        "remote": ("odata", False, False)}
    assert {name: row["entries"] for name, row in inboxes.items()} == {
        "alpha": {"waiting": 1, "pending": 0, "transferring": 0, "failed": 3},
        "beta": {"waiting": 0, "pending": 1, "transferring": 0, "failed": 0},
        "downlink": {"waiting": 0, "pending": 0, "transferring": 0, "failed": 0},
        "remote": {"waiting": 0, "pending": 0, "transferring": 0, "failed": 0}}
    assert {name: row["finished"] for name, row in inboxes.items()} == {
        "alpha": {"ingested": 1, "skipped": 0, "failed": 3},
        "beta": {"ingested": 0, "skipped": 0, "failed": 0},
        "downlink": {"ingested": 5, "skipped": 0, "failed": 0},
        "remote": {"ingested": 0, "skipped": 0, "failed": 0}}
    remote = inboxes["remote"]
    assert remote["last_poll_error"].endswith("URLError: [Errno 111] Connection refused")
    assert remote["problems"] == [f"last poll: {remote['last_poll_error']}"]
    assert remote["last_polled_at"] == world.remote.last_polled_at.isoformat().replace("+00:00", "Z")
    assert [inboxes[name]["problems"] for name in ("alpha", "beta", "downlink")] == [[], [], []]
    assert inboxes["alpha"]["polling"] is False


def test_finished_counts_follow_the_window_and_bad_input_is_refused(world, staff_api):
    # the product ingested by alpha finished three days ago: outside the default 24 hours
    InboxEntry.objects.filter(inbox=world.alpha, state=EntryState.INGESTED).update(
        finished_at=timezone.now() - timedelta(days=3))
    assert staff_api.get(f"{INBOXES}{world.alpha.pk}/").json()["finished"] == {
        "ingested": 0, "skipped": 0, "failed": 3}
    wide = staff_api.get(f"{INBOXES}{world.alpha.pk}/", {"hours": 100}).json()
    assert wide["finished"] == {"ingested": 1, "skipped": 0, "failed": 3}
    assert wide["entries"]["failed"] == 3  # open states are counted whatever their age

    for hours in ("0", "721", "soon"):
        bad = staff_api.get(INBOXES, {"hours": hours})
        assert bad.status_code == 400, hours
        assert list(bad.json()["error"]["details"]) == ["hours"]
    assert staff_api.get(f"{INBOXES}999999/").json() == {
        "error": {"status": 404, "code": "not_found", "message": "no inbox 999999"}}
    assert staff_api.get(f"{INBOXES}alpha/").status_code == 404


def test_sessions_show_each_channel_and_exactly_which_chunks_are_missing(
        world, staff_api, tmp_path, django_assert_num_queries):
    dsib = f"DCS_02_{SESSION_ID}_ch{{}}_DSIB.xml"
    with django_assert_num_queries(2):  # the page of sessions, then their files
        body = staff_api.get(SESSIONS).json()
    [session] = body["results"]
    assert {k: session[k] for k in ("id", "session_id", "satellite", "mission", "station", "state", "channels",
                                    "completed_at", "product_id", "missing_dsib_channels", "missing_chunks")} == {
        "id": world.session.pk, "session_id": SESSION_ID, "satellite": "S1A", "mission": "S1", "station": "MTI_",
        "state": "incomplete", "channels": 2, "completed_at": None, "product_id": None,
        "missing_dsib_channels": [], "missing_chunks": [CH2_CHUNK2]}
    assert session["channel_status"] == [
        {"channel": 1, "dsib": dsib.format(1), "chunks_listed": 2, "chunks_received": 2, "missing_chunks": []},
        {"channel": 2, "dsib": dsib.format(2), "chunks_listed": 2, "chunks_received": 1,
         "missing_chunks": [CH2_CHUNK2]}]
    assert staff_api.get(SESSIONS, {"state": "complete"}).json()["results"] == []
    assert staff_api.get(f"{SESSIONS}{world.session.pk}/").json() == session

    # the missing chunk arrives: the session completes and moves to the other list, with its product
    files = _delivery(tmp_path / "again")
    _deliver(files, [CH2_CHUNK2], tmp_path / "downlink", tmp_path / "again" / "staging")
    ingest_now(world.downlink)
    assert staff_api.get(SESSIONS, {"state": "incomplete"}).json()["results"] == []
    [complete] = staff_api.get(SESSIONS, {"state": "complete"}).json()["results"]
    world.session.refresh_from_db()
    assert (complete["state"], complete["product_id"], complete["missing_chunks"]) == (
        "complete", str(world.session.product_id), [])
    assert [c["chunks_received"] for c in complete["channel_status"]] == [2, 2]

    bad = staff_api.get(SESSIONS, {"state": "stuck"})
    assert bad.status_code == 400 and list(bad.json()["error"]["details"]) == ["state"]
    assert staff_api.get(f"{SESSIONS}abc/").json() == {
        "error": {"status": 404, "code": "not_found", "message": "no session 'abc'"}}


def test_the_quarantine_lists_failures_newest_first_pages_and_filters(world, staff_api, django_assert_num_queries):
    newest_first = list(InboxEntry.objects.filter(state=EntryState.FAILED).order_by("-finished_at", "-id")
                        .values_list("id", flat=True))
    assert sorted(newest_first) == sorted([world.garbage.pk, world.empty.pk, world.link.pk])
    with django_assert_num_queries(1):
        body = staff_api.get(QUARANTINE).json()
    assert [row["id"] for row in body["results"]] == newest_first
    garbage = next(row for row in body["results"] if row["id"] == world.garbage.pk)
    assert garbage == {
        "id": world.garbage.pk, "inbox": "alpha", "key": "garbage.bin", "name": "garbage.bin", "size": 13,
        "state": "failed", "attempts": 0, "quarantined": True, "quarantine_key": world.garbage.quarantine_key,
        "reason": "unrecognised name: garbage.bin: matches no Sentinel product, auxiliary, Earth Explorer or session "
                  "file pattern",
        "product_name": "", "product_id": None,
        "source_time": world.garbage.source_time.isoformat().replace("+00:00", "Z"),
        "first_seen_at": world.garbage.first_seen_at.isoformat().replace("+00:00", "Z"),
        "finished_at": world.garbage.finished_at.isoformat().replace("+00:00", "Z")}
    link = next(row for row in body["results"] if row["id"] == world.link.pk)
    assert (link["quarantined"], link["quarantine_key"]) == (False, "")  # a link is never read: no copy

    first = staff_api.get(QUARANTINE, {"page_size": 2}).json()
    second = staff_api.get(first["next"]).json()
    assert [row["id"] for row in first["results"] + second["results"]] == newest_first
    assert second["next"] is None

    assert [row["id"] for row in staff_api.get(QUARANTINE, {"inbox": "alpha"}).json()["results"]] == newest_first
    assert staff_api.get(QUARANTINE, {"inbox": "beta"}).json()["results"] == []
    assert [row["id"] for row in staff_api.get(QUARANTINE, {"reason": "EMPTY FILE"}).json()["results"]] == [
        world.empty.pk]
    assert [row["id"] for row in staff_api.get(QUARANTINE, {"inbox": "alpha", "reason": "link"}).json()[
        "results"]] == [world.link.pk]
    unknown = staff_api.get(QUARANTINE, {"inbox": "nowhere"})
    assert unknown.status_code == 400
    assert unknown.json()["error"]["details"] == {"inbox": ["no inbox named 'nowhere'"]}
    assert staff_api.get(QUARANTINE, {"reason": "x" * 201}).status_code == 400


def test_a_retry_puts_a_failed_entry_back_and_what_cannot_be_retried_is_refused(world, operator_api):
    response = operator_api.post(f"{QUARANTINE}{world.garbage.pk}/retry/")
    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["state"], body["attempts"], body["reason"], body["finished_at"]) == (
        world.garbage.pk, "pending", 0, "retry requested by an operator", None)
    assert entry_of(world.alpha, "garbage.bin").state == EntryState.PENDING
    assert [row["id"] for row in operator_api.get(QUARANTINE).json()["results"]] == sorted(
        [world.empty.pk, world.link.pk], key=lambda pk: -InboxEntry.objects.get(pk=pk).finished_at.timestamp())
    assert operator_api.get(f"{QUARANTINE}{world.garbage.pk}/").json()["state"] == "pending"

    again = operator_api.post(f"{QUARANTINE}{world.garbage.pk}/retry/")
    assert again.status_code == 409
    assert again.json() == {"error": {"status": 409, "code": "conflict", "message":
                                      f"inbox entry {world.garbage.pk} is pending: only failed entries can be retried"}}
    assert operator_api.post(f"{QUARANTINE}999999/retry/").json() == {
        "error": {"status": 404, "code": "not_found", "message": "no inbox entry 999999"}}
    assert operator_api.post(f"{QUARANTINE}abc/retry/").status_code == 404
    assert operator_api.get(f"{QUARANTINE}retry/").status_code == 404
    assert operator_api.delete(f"{QUARANTINE}{world.empty.pk}/").status_code == 405


def test_the_copy_is_downloaded_and_deleted_and_entries_without_one_are_refused(world, staff_api):
    response = staff_api.get(f"{QUARANTINE}{world.garbage.pk}/download/")
    assert response.status_code == 307
    with urllib.request.urlopen(response["Location"], timeout=10) as download:
        assert download.read() == b"not a product"
    no_copy = staff_api.get(f"{QUARANTINE}{world.link.pk}/download/")
    assert no_copy.json() == {"error": {"status": 409, "code": "conflict",
                                        "message": f"inbox entry {world.link.pk} has no quarantine copy"}}

    key = world.garbage.quarantine_key
    purged = staff_api.post(f"{QUARANTINE}{world.garbage.pk}/purge/").json()
    assert (purged["state"], purged["quarantined"], purged["quarantine_key"]) == ("failed", False, "")
    assert not object_store().exists(key)
    assert staff_api.post(f"{QUARANTINE}{world.garbage.pk}/purge/").status_code == 409
    assert staff_api.get(f"{QUARANTINE}{world.garbage.pk}/download/").status_code == 409
    assert staff_api.post(f"{QUARANTINE}999999/purge/").status_code == 404


def test_only_operators_reach_the_ingestion_api(world, operator_api):
    user = token_client(get_user_model().objects.create_user("ursula", password="a-user-password"))
    anonymous = APIClient()
    for url in (INBOXES, SESSIONS, QUARANTINE, f"{QUARANTINE}{world.garbage.pk}/",
                f"{QUARANTINE}{world.garbage.pk}/download/"):
        assert user.get(url).json() == {"error": {"status": 403, "code": "permission_denied",
                                                  "message": "this part of the API is for operators"}}, url
        assert anonymous.get(url).status_code == 401, url
        assert operator_api.get(url).status_code in (200, 307), url
    for action in ("retry", "purge"):
        assert user.post(f"{QUARANTINE}{world.garbage.pk}/{action}/").status_code == 403
        assert anonymous.post(f"{QUARANTINE}{world.garbage.pk}/{action}/").status_code == 401
    garbage = entry_of(world.alpha, "garbage.bin")
    assert (garbage.state, garbage.quarantine_key) == (EntryState.FAILED, world.garbage.quarantine_key)


def test_the_endpoints_are_in_the_openapi_schema(db, staff_api):
    schema = staff_api.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    for path in (INBOXES, f"{INBOXES}{{id}}/", SESSIONS, f"{SESSIONS}{{id}}/", QUARANTINE, f"{QUARANTINE}{{id}}/",
                 f"{QUARANTINE}{{id}}/retry/", f"{QUARANTINE}{{id}}/purge/", f"{QUARANTINE}{{id}}/download/"):
        assert path in schema["paths"], path
    parameters = {p["name"] for p in schema["paths"][QUARANTINE]["get"]["parameters"]}
    assert {"inbox", "reason", "cursor", "page_size"} <= parameters
    assert {p["name"] for p in schema["paths"][SESSIONS]["get"]["parameters"]} >= {"state"}
    inbox = schema["components"]["schemas"]["InboxStatusOutput"]["properties"]
    assert {"entries", "finished", "last_poll_ok", "problems"} <= set(inbox)


@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(120)
def test_a_retried_entry_is_ingested_by_the_workers_once_its_source_is_fixed(celery_worker_factory, tmp_path: Path):
    world = status_world(tmp_path)
    celery_worker_factory(queues="ingestion").start()
    (world.alpha_dir / EMPTY_EOF).write_bytes(EOF_TEXT)  # the provider delivers the file again, complete
    operator = get_user_model().objects.create_user("olga", is_staff=True)
    client = APIClient()
    client.force_authenticate(operator)

    assert client.post(f"{QUARANTINE}{world.empty.pk}/retry/").json()["state"] == "pending"

    wait_for(lambda: InboxEntry.objects.get(pk=world.empty.pk).state == EntryState.INGESTED, timeout=60,
             message="the worker ingests the retried entry")
    entry = client.get(f"{QUARANTINE}{world.empty.pk}/").json()
    assert (entry["state"], entry["product_name"], entry["attempts"]) == ("ingested", EMPTY_EOF, 0)
    assert entry["product_id"] is not None
    alpha = client.get(f"{INBOXES}{world.alpha.pk}/").json()
    assert (alpha["entries"]["failed"], alpha["finished"]["ingested"]) == (2, 2)
