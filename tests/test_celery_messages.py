"""Tasks travel as JSON, are acknowledged after they ran, and carry ids only (the database row is the truth)."""

from __future__ import annotations

import base64
import json

import pytest
import redis
from django.conf import settings

from rs.catalog.tasks import ping_task
from rs.celery import app


def test_the_application_serialises_json_only_and_acknowledges_late() -> None:
    assert (app.conf.task_serializer, app.conf.result_serializer, list(app.conf.accept_content)) == (
        "json", "json", ["json"])
    assert (app.conf.task_acks_late, app.conf.task_reject_on_worker_lost) == (True, True)
    assert app.conf.worker_prefetch_multiplier == 1
    assert (ping_task.acks_late, ping_task.serializer) == (True, "json")


@pytest.mark.skipif(not settings.CELERY_BROKER_URL.startswith("redis"), reason="reads the message off Redis")
def test_a_sent_task_is_a_json_message_on_its_queue() -> None:
    queue = "test-wire-format"
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    broker.delete(queue)
    try:
        ping_task.apply_async(args=["pong"], queue=queue)
        raw = broker.lpop(queue)
        assert raw is not None
        message = json.loads(raw)
        assert (message["content-type"], message["content-encoding"]) == ("application/json", "utf-8")
        assert message["headers"]["task"] == ping_task.name
        args, kwargs, _embed = json.loads(base64.b64decode(message["body"]))
        assert (args, kwargs) == (["pong"], {})
    finally:
        broker.delete(queue)
