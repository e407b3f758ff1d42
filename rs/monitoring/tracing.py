"""The trace id of the work in progress, carried into every log record.

A catalog event's trace id follows a product from reception to publication and eviction. It is set here
 * by TraceIdMiddleware for a request (the caller's `X-Trace-Id` when it is a UUID, else a new one, echoed back);
 * by the Celery signals below for a delivery of one catalog event (`event_deliver_task(event_id, consumer)`).
TraceIdFilter copies it onto each log record as `trace_id`; the JSON formatter of settings.LOGGING writes it.
"""

from __future__ import annotations

import contextvars
import logging
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.http import HttpRequest, HttpResponse

TRACE_HEADER = "X-Trace-Id"
EVENT_DELIVER_TASK = "rs.catalog.tasks.event_deliver_task"

_trace_id: contextvars.ContextVar[str] = contextvars.ContextVar("rs_trace_id", default="")
_task_tokens: dict[str, contextvars.Token[str]] = {}


def current_trace_id() -> str:
    return _trace_id.get()


@contextmanager
def trace_context(trace_id: uuid.UUID | str) -> Iterator[None]:
    """Log under `trace_id` inside the block (e.g. around a consumer call in the catalog's event delivery)."""
    token = _trace_id.set(str(trace_id))
    try:
        yield
    finally:
        _trace_id.reset(token)


class TraceIdFilter(logging.Filter):
    """Adds `trace_id` (empty outside any trace) to every record; never drops one."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "trace_id", ""):
            record.trace_id = _trace_id.get()
        return True


def _trace_of_header(value: str) -> str:
    try:
        return str(uuid.UUID(value))
    except ValueError:  # a foreign format is not ours to log as a trace id
        return str(uuid.uuid4())


class TraceIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        header = request.headers.get(TRACE_HEADER, "")
        trace_id = _trace_of_header(header) if header else str(uuid.uuid4())
        # Not reset on the way out: Django logs 4xx/5xx answers (django.request) after the middleware chain. The
        # request_finished signal clears it once the response is closed.
        _trace_id.set(trace_id)
        response = self.get_response(request)
        response[TRACE_HEADER] = trace_id
        return response


def request_trace_end(**_: Any) -> None:
    """django request_finished: the thread or task serves no request any more."""
    _trace_id.set("")


def task_trace_start(*, task_id: str, task: Any, args: Any = (), **_: Any) -> None:
    """celery task_prerun: a single-event delivery logs under the event's trace id (one indexed read)."""
    if getattr(task, "name", "") != EVENT_DELIVER_TASK or not args:
        return
    from rs.catalog import selectors as catalog_selectors  # imported late: logging is configured before the apps load

    trace_id = catalog_selectors.event_trace_id(event_id=args[0])
    if trace_id is not None:
        _task_tokens[task_id] = _trace_id.set(str(trace_id))


def task_trace_end(*, task_id: str, **_: Any) -> None:
    """celery task_postrun: back to no trace."""
    token = _task_tokens.pop(task_id, None)
    if token is not None:
        _trace_id.reset(token)
