"""What a scrape of /metrics returns: the written metrics (summed over processes in multiprocess mode) plus gauges
of the current state computed now, each from one cheap query (no scan of the catalogue)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import redis
from django.conf import settings
from django.db import connection
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from rs.catalog import selectors as catalog_selectors
from rs.monitoring import jobs_source
from rs.monitoring.constants import QUEUE_DEPTH_TIMEOUT_S, REDIS_PRIORITY_SEPARATOR, REDIS_PRIORITY_STEPS


def table_rows_estimate(table: str) -> int:
    """PostgreSQL's planner estimate (pg_class.reltuples, kept by autovacuum/ANALYZE): no scan. -1 (never analysed)
    is reported as 0. SpatiaLite (embedded demo) has no estimate; its tables are small, so it counts."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass", [table])
        else:
            cursor.execute(f'SELECT COUNT(*) FROM "{table}"')  # noqa: S608 - the name is a model's db_table
        row = cursor.fetchone()
    return max(int(row[0]), 0) if row else 0


def queue_depths() -> dict[str, int]:
    """Messages waiting per Celery queue: LLEN of the queue's Redis lists (one per priority step). Empty when the
    broker is not Redis (the filesystem transport of the embedded runtime has no cheap count)."""
    url = settings.CELERY_BROKER_URL
    if not url.startswith(("redis://", "rediss://")):
        return {}
    client = redis.Redis.from_url(url, socket_timeout=QUEUE_DEPTH_TIMEOUT_S,
                                  socket_connect_timeout=QUEUE_DEPTH_TIMEOUT_S)
    try:
        with client.pipeline(transaction=False) as pipe:
            for queue in settings.RS_QUEUES:
                pipe.llen(queue)
                for step in REDIS_PRIORITY_STEPS:
                    pipe.llen(f"{queue}{REDIS_PRIORITY_SEPARATOR}{step}")
            lengths = pipe.execute()
    finally:
        client.close()
    per_queue = 1 + len(REDIS_PRIORITY_STEPS)
    return {queue: sum(lengths[i * per_queue:(i + 1) * per_queue]) for i, queue in enumerate(settings.RS_QUEUES)}


class StateCollector(Collector):
    """Gauges of the current state, computed at scrape time."""

    def collect(self) -> Iterator[Metric]:
        catalog = GaugeMetricFamily("rs_catalog_rows_estimate", "Catalog rows (planner estimate), by table.",
                                    labels=["table"])
        for entity, table in catalog_selectors.catalog_tables().items():
            catalog.add_metric([entity], table_rows_estimate(table))
        yield catalog

        depth = GaugeMetricFamily("rs_queue_depth", "Messages waiting in each Celery queue.", labels=["queue"])
        up = GaugeMetricFamily("rs_queue_depth_up", "1 when the queue depths could be read from the broker.")
        try:
            depths = queue_depths()
        except redis.RedisError:
            up.add_metric([], 0)
        else:
            up.add_metric([], 1)
            for queue, messages in depths.items():
                depth.add_metric([queue], messages)
        yield depth
        yield up

        jobs = GaugeMetricFamily("rs_jobs", "Production jobs by state and processor.", labels=["state", "processor"])
        for (state, processor), count in sorted(jobs_source.jobs_by_state_and_processor().items()):
            jobs.add_metric([state, processor], count)
        yield jobs


def multiproc_dir() -> str:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")


def metrics_text() -> bytes:
    """The exposition of one scrape: in multiprocess mode the files of every process (live and dead) summed."""
    registry = CollectorRegistry(auto_describe=True)
    folder = multiproc_dir()
    if folder:
        MultiProcessCollector(registry, path=folder)
        text = generate_latest(registry)
    else:
        text = generate_latest(REGISTRY)
    state = CollectorRegistry(auto_describe=True)
    state.register(StateCollector())
    return text + generate_latest(state)
