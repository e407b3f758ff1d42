"""The completion webhook of an order end to end: jobs driven to their final states through the job state machine,
the notification sent by a real Celery worker to a local HTTP server thread, signed with the order's secret, after
a first failed POST retried by the worker."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from rs.production import services
from rs.production.models import Job, ProductionOrder
from rs.production.tests import builders
from rs.production.tests.builders import at, aux, level
from rs.production.tests.tables import table_xml
from rs.production.transitions import job_transition
from rs.webhooks import SIGNATURE_HEADER


class Callback:
    """An endpoint answering the first `failures` POSTs with 503, then 200, keeping what it received."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.received: list[dict[str, Any]] = []
        callback = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                callback.received.append({"headers": self.headers, "body": body, "path": self.path})
                self.send_response(503 if len(callback.received) <= callback.failures else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/orders/done"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def wait_for(condition: Any, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError("timed out")


@pytest.mark.django_db(transaction=True)
def test_the_completion_webhook_is_signed_and_retried_by_a_worker(celery_worker_factory):
    worker = celery_worker_factory(queues="maintenance", extra_env={
        "RS_PRODUCTION_ORDER_WEBHOOK_PRIVATE_NETWORKS": "true", "RS_PRODUCTION_ORDER_NOTIFY_BACKOFF_S": "0"})
    worker.start()
    callback = Callback(failures=1)
    try:
        version = services.processor_import(data=table_xml())
        builders.rule(version, name="test-l1", product_types="IW_RAW__0S")
        aux("AUX_CAL", start=at(-1000), stop=None)
        first = level("IW_RAW__0S", start=at(0), stop=at(25), name="S1A_HOOK_0")
        second = level("IW_RAW__0S", start=at(100), stop=at(125), name="S1A_HOOK_100")
        user = get_user_model().objects.create_user("operator", password="x-operator-password", is_staff=True)
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
        created = api.post("/api/v1/production/orders/", {
            "processor_version": version.pk, "name": "hooked", "product_ids": [str(first.id), str(second.id)],
            "notify_url": callback.url}, format="json").json()
        secret = created["notify_secret"]
        jobs = list(Job.objects.filter(rule__order__id=created["id"]).order_by("interval_start"))
        assert [job.state for job in jobs] == ["queued", "queued"]  # dispatched once the order committed
        for state in ("running", "succeeded"):
            job_transition(job=jobs[0], to=state)
        for state in ("running", "failed"):
            job_transition(job=jobs[1], to=state)

        wait_for(lambda: ProductionOrder.objects.get().webhook_sent_at is not None)

        assert len(callback.received) == 2  # the 503, then the retry the worker scheduled
        last = callback.received[-1]
        assert last["body"] == callback.received[0]["body"]
        expected = hmac.new(secret.encode(), last["body"], hashlib.sha256).hexdigest()
        assert last["headers"][SIGNATURE_HEADER] == f"sha256={expected}"
        assert (last["headers"]["X-RS-Order-Id"], last["headers"]["X-RS-Order-State"], last["path"]) == (
            str(created["id"]), "partially_failed", "/orders/done")
        order = ProductionOrder.objects.get()
        assert json.loads(last["body"]) == {
            "order": created["id"], "name": "hooked", "state": "partially_failed", "processor": "TEST_L1",
            "version": "1.0", "created_at": order.created_at.isoformat(),
            "finished_at": order.finished_at.isoformat(),
            "jobs": {"waiting_inputs": 0, "ready": 0, "queued": 0, "running": 0, "succeeded": 1, "failed": 1,
                     "cancelled": 0, "retrying": 0, "total": 2},
            "url": f"/api/v1/production/orders/{created['id']}/"}
        assert (order.notify_attempts, order.notify_next_at, order.notify_error) == (1, None, "")
        detail = api.get(f"/api/v1/production/orders/{created['id']}/").json()
        assert detail["notification"]["webhook_sent_at"] == order.webhook_sent_at.isoformat()
        assert "notify_secret" not in detail
    finally:
        callback.close()
