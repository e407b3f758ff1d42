from __future__ import annotations

import io
import json
import logging
import uuid
from collections.abc import Iterator

import pytest
from pythonjsonlogger.json import JsonFormatter

from rs.catalog.choices import EventKind
from rs.catalog.models import CatalogEvent
from rs.catalog.tasks import event_deliver_task
from rs.catalog.tests import factories
from rs.monitoring.consumers import METRICS_CONSUMER
from rs.monitoring.tracing import TRACE_HEADER, TraceIdFilter, current_trace_id, trace_context

pytestmark = pytest.mark.django_db


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    """The project's JSON log lines (settings.LOGGING's formatter) with the trace filter, for two loggers."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    handler.addFilter(TraceIdFilter())
    loggers = [logging.getLogger("django.request"), logging.getLogger("rs.monitoring.consumers")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
    yield stream
    for logger, level in zip(loggers, levels, strict=True):
        logger.removeHandler(handler)
        logger.setLevel(level)


def _records(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


@pytest.mark.urls("rs.monitoring.tests.urls")
def test_a_request_logs_under_the_callers_trace_id_and_echoes_it(client, settings, json_log):
    trace = str(uuid.uuid4())

    response = client.get("/no-such-page", headers={TRACE_HEADER: trace})

    assert response.status_code == 404
    assert response[TRACE_HEADER] == trace
    assert [(r["name"], r["trace_id"]) for r in _records(json_log)] == [("django.request", trace)]
    assert current_trace_id() == ""


@pytest.mark.urls("rs.monitoring.tests.urls")
def test_a_request_without_a_usable_trace_id_gets_a_new_one(client, settings):

    response = client.get("/readyz", headers={TRACE_HEADER: "not-a-uuid"})

    assert uuid.UUID(response[TRACE_HEADER]).version == 4


def test_an_event_delivery_logs_under_the_trace_id_of_the_event(json_log):
    trace = uuid.uuid4()
    product = factories.product(trace_id=trace)
    event = CatalogEvent.objects.get(product_id=product.id, kind=EventKind.CREATED)

    # the delivery task run in this process, with Celery's task signals
    assert event_deliver_task.apply(args=(event.pk, METRICS_CONSUMER)).get() is True

    records = [r for r in _records(json_log) if r["name"] == "rs.monitoring.consumers"]
    assert [(r["levelname"], r["trace_id"]) for r in records] == [("DEBUG", str(trace))]
    assert current_trace_id() == ""


def test_records_outside_any_trace_carry_an_empty_trace_id():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "m", None, None)
    assert TraceIdFilter().filter(record) is True
    assert record.trace_id == ""  # type: ignore[attr-defined]
    with trace_context("abc"):
        record2 = logging.LogRecord("x", logging.INFO, __file__, 1, "m", None, None)
        TraceIdFilter().filter(record2)
    assert record2.trace_id == "abc"  # type: ignore[attr-defined]
