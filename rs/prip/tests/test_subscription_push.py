"""Push subscriptions against a real callback server (a local HTTP server thread): the signed POST, its retries
with back-off through failures, the pause after repeated failure and the resume, the refusal of private addresses;
end to end through a real Celery worker on the suite's Redis."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from rs.catalog import services as catalog_services
from rs.catalog.choices import ProcessingLevel, ProductFamily
from rs.subscriptions.tests.support import (  # noqa: F401 - fixtures
    alice_fixture,
    basic_memo_fixture,
    bearer,
    events_deliver,
    fast_passwords_fixture,
    public_client_fixture,
)

FILTER = "Collection/Name eq 'SENTINEL-1'"


class Callback:
    """An endpoint that answers the first `failures` POSTs with 503, then 200, and keeps what it received."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.received: list[dict[str, Any]] = []
        callback = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                callback.received.append({"headers": self.headers, "body": body})  # case-insensitive
                failing = len(callback.received) <= callback.failures
                self.send_response(503 if failing else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def callback_factory() -> Iterator[Callable[[int], Callback]]:
    made: list[Callback] = []

    def make(failures: int = 0) -> Callback:
        made.append(Callback(failures))
        return made[-1]

    yield make
    for callback in made:
        callback.close()


@pytest.fixture
def private_endpoints(settings: Any) -> None:
    settings.RS_SUBSCRIPTION_PUSH_PRIVATE_NETWORKS = True
    settings.RS_SUBSCRIPTION_PUSH_BACKOFF_S = 0
    settings.RS_SUBSCRIPTION_PUSH_ATTEMPTS = 4


def subscribe(client: Any, user: Any, url: str) -> dict[str, Any]:
    response = client.post("/odata/v1/Subscriptions", json.dumps({
        "FilterParam": FILTER, "NotificationEndpoint": url, "NotificationEpUsername": "hook",
        "NotificationEpPassword": "s3cret-of-the-hook"}), content_type="application/json", **bearer(user))
    assert response.status_code == 201, response.content
    return response.json()


def publish(name: str) -> Any:
    start = datetime(2024, 6, 10, tzinfo=UTC)
    metadata = catalog_services.ProductMetadata(
        mission="S1", platform="A", family=ProductFamily.S1_L1_SLICE, product_type="IW_SLC__1S",
        level=ProcessingLevel.L1, content_start=start, content_end=start + timedelta(seconds=25),
        attributes={"productType": "IW_SLC__1S"})
    return catalog_services.product_register(name=name, metadata=metadata, content_length=10, publish=True,
                                             storage_key=f"products/S1/L1_SLICE/{name}.zip")


def pending() -> list[Any]:
    from rs.subscriptions.models import Notification

    return list(Notification.objects.order_by("id"))


@pytest.mark.django_db
def test_a_push_survives_an_endpoint_that_fails_twice(client, alice, public_client, private_endpoints,
                                                      callback_factory):
    from rs.subscriptions.delivery import push_attempt
    from rs.subscriptions.push import SIGNATURE_HEADER

    callback = callback_factory(2)
    created = subscribe(client, alice, callback.url)
    product = publish("S1A_IW_SLC__1SDV_PUSHED.SAFE")
    events_deliver()
    (notification,) = pending()
    # the worker's task calls push_attempt, and again after each back-off it returns
    assert [push_attempt(notification_id=notification.pk) for _ in range(3)] == [0.0, 0.0, None]
    assert pending() == [] and len(callback.received) == 3
    last = callback.received[-1]
    body = json.loads(last["body"])
    assert list(body) == ["@odata.context", "SubscriptionEvent", "ProductId", "ProductName", "SubscriptionId",
                          "NotificationDate", "value"]
    assert (body["ProductId"], body["SubscriptionId"], body["SubscriptionEvent"]) == (
        str(product.id), created["Id"], "created")
    assert body["value"]["Locations"][0]["DownloadLink"] == f"http://testserver/odata/v1/Products({product.id})/$value"
    expected = hmac.new(created["NotificationSigningSecret"].encode(), last["body"], hashlib.sha256).hexdigest()
    assert last["headers"][SIGNATURE_HEADER] == f"sha256={expected}"
    assert last["headers"]["Authorization"] == "Basic " + base64.b64encode(b"hook:s3cret-of-the-hook").decode()
    assert last["headers"]["X-RS-Notification-Id"] == str(notification.pk)
    info = client.get("/odata/v1/Subscriptions/Info", **bearer(alice)).json()[0]
    assert (info["Status"], info["LastNotificationDate"] is not None) == ("running", True)


@pytest.mark.django_db
def test_the_back_off_doubles_and_repeated_failure_pauses_until_the_owner_resumes(
        client, alice, public_client, private_endpoints, callback_factory, settings):
    from rs.subscriptions.delivery import push_attempt
    from rs.subscriptions.models import Notification, Subscription

    settings.RS_SUBSCRIPTION_PUSH_BACKOFF_S = 5
    callback = callback_factory(4)
    created = subscribe(client, alice, callback.url)
    publish("S1A_IW_SLC__1SDV_FAILING.SAFE")
    events_deliver()
    (notification,) = pending()
    now = datetime.now(UTC)
    delays = []
    for attempt in range(4):
        delays.append(push_attempt(notification_id=notification.pk, now=now + timedelta(seconds=100 * attempt)))
    assert delays == [5.0, 10.0, 20.0, None]
    row = Subscription.objects.get(pk=created["Id"])
    assert row.status == "paused"
    assert row.paused_reason.endswith("4 POSTs of one notification failed, the last: the endpoint answered HTTP 503")
    assert Notification.objects.get().next_attempt_at is None  # parked, not lost
    resumed = client.patch(f"/odata/v1/Subscriptions({created['Id']})", json.dumps({"Status": "running"}),
                           content_type="application/json", **bearer(alice))
    assert resumed.json()["Status"] == "running"
    assert push_attempt(notification_id=notification.pk) is None
    assert (pending(), len(callback.received)) == ([], 5)


@pytest.mark.django_db
def test_private_addresses_are_refused_unless_allowed(client, alice, public_client, callback_factory, settings):
    from rs.subscriptions.delivery import push_attempt

    settings.RS_SUBSCRIPTION_PUSH_PRIVATE_NETWORKS = True
    callback = callback_factory(0)
    subscribe(client, alice, callback.url)
    settings.RS_SUBSCRIPTION_PUSH_PRIVATE_NETWORKS = False
    publish("S1A_IW_SLC__1SDV_PRIVATE.SAFE")
    events_deliver()
    (notification,) = pending()
    assert push_attempt(notification_id=notification.pk) == 10.0
    assert pending()[0].last_error == "127.0.0.1 resolves to 127.0.0.1, which is not a public address"
    assert callback.received == []


@pytest.mark.slow
def test_a_worker_delivers_the_push_through_two_failures(celery_worker_factory, client, alice, public_client,
                                                         callback_factory):
    callback = callback_factory(2)
    created = subscribe(client, alice, callback.url)
    worker = celery_worker_factory(queues="maintenance", extra_env={
        "RS_SUBSCRIPTION_PUSH_PRIVATE_NETWORKS": "true", "RS_SUBSCRIPTION_PUSH_BACKOFF_S": "1"})
    worker.start()
    product = publish("S1A_IW_SLC__1SDV_BY_A_WORKER.SAFE")  # committed: the event goes to the worker
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and (len(callback.received) < 3 or pending()):
        time.sleep(0.2)
    assert len(callback.received) == 3 and pending() == []
    bodies = [json.loads(r["body"]) for r in callback.received]
    assert {(b["ProductId"], b["SubscriptionId"]) for b in bodies} == {(str(product.id), created["Id"])}
