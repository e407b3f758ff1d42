"""gunicorn hooks for Prometheus multiprocess mode: `gunicorn -c python:rs.monitoring.gunicorn_config …`.

With PROMETHEUS_MULTIPROC_DIR set, every worker writes its metric files there and /metrics sums them. When a worker
exits, its live gauges must stop counting (its counters and histograms stay: they are totals). The folder must be
emptied before the first process starts (scripts/run.sh; in compose a tmpfs, empty at every container start), never
while one runs. Without the variable a process keeps its metrics in memory and the hook has nothing to do.
"""

from __future__ import annotations

import os
from typing import Any

from prometheus_client import multiprocess

# gunicorn reads this module before Django is set up: nothing of the project is imported here.


def child_exit(server: Any, worker: Any) -> None:
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")
    if folder:
        multiprocess.mark_process_dead(worker.pid, path=folder)
