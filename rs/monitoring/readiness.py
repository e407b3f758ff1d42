"""Readiness of the dependencies of this process: the database, the broker and the object storage.

Each check returns a DependencyStatus; the broker and storage checks run in threads so one slow dependency cannot
hold the probe longer than READINESS_TIMEOUT_S (the database has its own connect timeout and runs on the request's
connection, so it sees what the request would see).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection
from kombu import Connection, Queue

from rs.catalog.storage import object_store
from rs.monitoring.constants import READINESS_BROKER_QUEUE, READINESS_STORAGE_PREFIX, READINESS_TIMEOUT_S

OK = "ok"
ERROR = "error"


@dataclass(frozen=True)
class DependencyStatus:
    status: str  # OK or ERROR
    ms: float
    detail: str = ""
    extra: dict[str, object] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        payload: dict[str, object] = {"status": self.status, "ms": round(self.ms, 1), **self.extra}
        if self.detail:
            payload["detail"] = self.detail
        return payload


def database_check() -> dict[str, object]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {}


def broker_check(*, timeout_s: float = READINESS_TIMEOUT_S) -> dict[str, object]:
    """A connection to the broker and a passive declaration of the maintenance queue.

    An absent queue is not a failure: Redis only keeps a queue while it holds messages, so an idle broker has none.
    """
    # The configured transport options first (the filesystem broker's folders), then the probe's own timeouts.
    options = {**getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {}),
               "socket_timeout": timeout_s, "socket_connect_timeout": timeout_s, "max_retries": 0}
    with Connection(settings.CELERY_BROKER_URL, connect_timeout=timeout_s, transport_options=options) as broker:
        broker.ensure_connection(max_retries=1, timeout=math.ceil(timeout_s))
        channel = broker.channel()
        try:
            Queue(READINESS_BROKER_QUEUE, channel=channel).queue_declare(passive=True)  # type: ignore[attr-defined]
            queue = "present"
        except broker.channel_errors:  # type: ignore[attr-defined]  # kombu's stubs lack it
            queue = "absent"
        finally:
            channel.close()
    return {"queue": queue}


def storage_check() -> dict[str, object]:
    """Lists at most one key: on S3 a missing bucket or bad credentials raise, on the filesystem a missing root."""
    next(iter(object_store().list_keys(READINESS_STORAGE_PREFIX)), None)
    return {}


def _timed(check: Callable[[], dict[str, object]]) -> DependencyStatus:
    started = time.monotonic()
    try:
        extra = check()
    except Exception as exc:  # any failure of a dependency is its "error" status, reported with its text
        return DependencyStatus(ERROR, (time.monotonic() - started) * 1000, detail=f"{type(exc).__name__}: {exc}")
    return DependencyStatus(OK, (time.monotonic() - started) * 1000, extra=extra)


def readiness(*, timeout_s: float = READINESS_TIMEOUT_S) -> dict[str, DependencyStatus]:
    """The status of every dependency, by name, each bounded by timeout_s."""
    pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="readyz")
    started = time.monotonic()
    futures = {
        "broker": pool.submit(_timed, lambda: broker_check(timeout_s=timeout_s)),
        "storage": pool.submit(_timed, storage_check),
    }
    results = {"database": _timed(database_check)}
    for name, future in futures.items():
        remaining = max(0.0, timeout_s - (time.monotonic() - started))
        try:
            results[name] = future.result(timeout=remaining)
        except FutureTimeout:
            results[name] = DependencyStatus(ERROR, timeout_s * 1000, detail=f"no answer within {timeout_s} s")
    # a hung thread is left to finish on its own: waiting for it would be the hang the timeout prevents
    pool.shutdown(wait=False)
    return {"database": results["database"], "broker": results["broker"], "storage": results["storage"]}
