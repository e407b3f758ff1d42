"""gunicorn hooks for Prometheus multiprocess mode: `gunicorn -c python:rs.monitoring.gunicorn_config …`.

With PROMETHEUS_MULTIPROC_DIR set, every worker writes its metric files there and /metrics sums them. When a worker
exits, its live gauges must stop counting (its counters and histograms stay: they are totals). The folder must be
emptied before the first process starts (scripts/run.sh, the container entrypoint), never while one runs.
"""

from __future__ import annotations

from typing import Any

from prometheus_client import multiprocess


def child_exit(server: Any, worker: Any) -> None:
    multiprocess.mark_process_dead(worker.pid)
