"""The Prometheus metrics this system writes as work happens (counters and histograms).

In multiprocess mode (PROMETHEUS_MULTIPROC_DIR set in the environment before the process starts: gunicorn, Celery
workers) each process writes its values to files in that folder and a scrape sums them (see exposition.py). Gauges
of the current state (catalog size, queue depths, jobs) are not here: they are computed at scrape time.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

PRODUCTS_INGESTED = Counter(
    "rs_products_ingested", "Products catalogued (catalog 'created' events), by family.", ["family"]
)
PRODUCTS_INGESTED_BYTES = Counter(
    "rs_products_ingested_bytes", "Bytes of the products catalogued (content length), by family.", ["family"]
)
PRODUCTS_EVICTED = Counter(
    "rs_products_evicted", "Products evicted (catalog 'evicted' events), by family and cause.", ["family", "cause"]
)
REQUEST_DURATION = Histogram(
    "rs_http_request_duration_seconds",
    "Duration of HTTP requests by route name (never the raw path), method and status class.",
    ["route", "method", "status"],
    # OData searches range from a few ms (keyset page) to seconds (large areas); downloads stream for longer.
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0),
)
DOWNLOAD_BYTES = Counter(
    "rs_download_bytes", "Bytes sent by the download endpoints (Content-Length of 200/206 answers).", ["route"]
)

# Production: observed in the process that ends a run (the execution worker, the reaper, an operator's request).
_LONG_WORK_BUCKETS = (1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1200.0, 1800.0, 3600.0, 7200.0, 14400.0,
                      43200.0)
JOB_DURATION = Histogram(
    "rs_job_duration_seconds",
    "Wall-clock time of a job's run, from its claim to the state it left running for (succeeded, failed, "
    "retrying, cancelled), by processor.",
    ["processor", "state"], buckets=_LONG_WORK_BUCKETS,
)
TASK_WALL = Histogram(
    "rs_task_wall_seconds", "Wall-clock time of a Task Table task's process, by processor and task.",
    ["processor", "task"], buckets=_LONG_WORK_BUCKETS,
)
TASK_CPU = Histogram(
    "rs_task_cpu_seconds",
    "CPU time (user + system, its children included) of a task's process, by processor and task.",
    ["processor", "task"], buckets=_LONG_WORK_BUCKETS,
)
TASK_PEAK_MEMORY = Histogram(
    "rs_task_peak_memory_bytes", "Peak resident memory of a task's process (ru_maxrss), by processor and task.",
    ["processor", "task"],
    buckets=tuple(float(mib << 20) for mib in (16, 64, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536)),
)
