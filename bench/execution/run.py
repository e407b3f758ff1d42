"""Execution benchmark: scheduling overhead from catalog event to processor start, and many short jobs through two
real workers with no loss and no duplicate.

    set -a; . var/<your>.env; set +a
    .venv/bin/python bench/execution/run.py [--samples 40] [--jobs 1000] [--workers 2]

Creates its own database `rs_bench_execution` on DATABASE_URL's server (dropped first) and its own bucket
`<RS_S3_BUCKET>-bench` (emptied at the end), starts `--workers` Celery workers (concurrency 1 each) on every queue
of the flow (preparation, production-*, maintenance), and drives everything through the catalogue:

1. overhead: `--samples` OLCI L0 products are catalogued one at a time (each waits for the previous job); for
   each, catalog event `created` → processor start (TaskRun.started_at) is measured, with its parts (event →
   queued: delivery + preparation; queued → running: broker + claim; running → start: staging the input from S3
   and writing the JobOrder). Target: p95 ≤ 1 s with 2 workers.
2. throughput: `--jobs` products are catalogued as fast as possible; every job must succeed exactly once (one
   run, one task run, one registered output per job, one object per output). Jobs/min is reported.

The processor is the tests' `sim_ipf.py` (reads its JobOrder and input manifest, writes one OL_1_EFR___ product
and a .LIST). The report (markdown) is printed and kept in bench/data/results/execution-<time>.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from support import database_recreate, database_url

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "bench" / "data"
DATABASE = "rs_bench_execution"
QUEUES = "preparation,production-high,production-medium,production-low,maintenance"


def environment() -> str:
    if os.environ.get("RS_STORAGE") != "s3" or not os.environ.get("CELERY_BROKER_URL", "").startswith("redis"):
        sys.exit("the benchmark runs on S3 (RS_STORAGE=s3) and a Redis broker: source your env file first")
    url = database_url(DATABASE)
    os.environ["RS_S3_BUCKET"] = (os.environ.get("RS_S3_BUCKET", "rs") + "-bench")[:63]
    os.environ["RS_VAR_DIR"] = str(DATA / "execution-var")
    os.environ["RS_WORKDIR_ROOT"] = str(DATA / "execution-var" / "workdirs")
    os.environ["RS_PROCESSOR_ROOT"] = str(ROOT / "rs" / "production" / "tests" / "processor")
    return url


def worker_start(log: Path) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "rs", "worker", "-Q", QUEUES, "--pool", "prefork", "--concurrency",
         "1", "--hostname", f"bench-{uuid.uuid4().hex[:6]}@%h", "--loglevel", "WARNING", "--without-gossip",
         "--without-mingle"], cwd=ROOT, env=os.environ.copy(), stdout=log.open("wb"), stderr=subprocess.STDOUT,
        start_new_session=True)
    return process


def broker_purge() -> None:
    from django.conf import settings

    from rs.celery import app

    with app.connection_for_write() as connection:
        for queue in settings.RS_QUEUES:
            try:
                connection.default_channel.queue_purge(queue)
            except Exception:  # noqa: S112 - never declared: nothing to purge
                continue


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=40)
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    url = environment()
    load_before = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    database_recreate(url)

    import django

    django.setup()
    from django.db.models import Count

    from rs.catalog.models import CatalogEvent, Product
    from rs.catalog.storage import object_store
    from rs.production.choices import JobState
    from rs.production.models import Job, JobOutput, TaskRun
    from rs.production.tests.execution_support import l0_input, sim_rule

    store = object_store()
    store.ensure_bucket()
    broker_purge()
    rule = sim_rule(name="bench-ol1")
    logs = DATA / "execution-var" / "log"
    logs.mkdir(parents=True, exist_ok=True)
    workers = [worker_start(logs / f"worker-{n}.log") for n in range(args.workers)]
    time.sleep(8)  # workers ready (no mingle/gossip): their first message would otherwise wait for them
    scratch = Path(tempfile.mkdtemp(prefix="bench-execution-"))
    sample = 0

    def catalogue() -> Product:
        nonlocal sample
        sample += 1
        return l0_input(scratch / str(sample), n=2 * sample)  # 3-minute products 3 minutes apart: one input each

    def finished(count: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while Job.objects.filter(rule=rule, state__in=[JobState.SUCCEEDED, JobState.FAILED]).count() < count:
            if time.monotonic() > deadline:
                states = dict(Job.objects.filter(rule=rule).values_list("state").annotate(n=Count("pk")))
                raise SystemExit(f"timed out waiting for {count} finished jobs: {states}")
            time.sleep(0.02)

    try:
        # 1. scheduling overhead, one job at a time (a warm-up job first: worker processes import lazily)
        catalogue()
        finished(1, 120)
        overhead: list[tuple[float, float, float, float]] = []
        for _ in range(args.samples):
            product = catalogue()
            finished(sample, 60)
            event = CatalogEvent.objects.get(product_id=product.id, kind="created")
            job = Job.objects.get(trigger_product_id=product.id)
            task = TaskRun.objects.get(job=job)
            assert job.queued_at and job.running_at
            overhead.append(((task.started_at - event.created_at).total_seconds(),
                             (job.queued_at - event.created_at).total_seconds(),
                             (job.running_at - job.queued_at).total_seconds(),
                             (task.started_at - job.running_at).total_seconds()))
        # 2. throughput
        before = sample
        began = time.perf_counter()
        for _ in range(args.jobs):
            catalogue()
        catalogued_s = time.perf_counter() - began
        finished(before + args.jobs, 3600)
        elapsed = time.perf_counter() - began
        jobs = Job.objects.filter(rule=rule)
        states = dict(jobs.values_list("state").annotate(n=Count("pk")))
        runs = list(jobs.values_list("run", flat=True))
        task_runs = TaskRun.objects.filter(job__rule=rule).count()
        outputs = JobOutput.objects.filter(job__rule=rule, registered_at__isnull=False).count()
        products = Product.objects.filter(job_id__in=jobs.values("pk")).count()
        objects = sum(1 for _ in store.list_keys("products/S3/S3_L1_NRT/"))
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(30)
    total = sample
    lines = [
        f"# Execution benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        "",
        f"Machine: {platform.node()}, {os.cpu_count()} cores shared with other developers working at the same "
        f"time (loaded); Python {platform.python_version()}; PostgreSQL+PostGIS, Redis broker, SeaweedFS S3, "
        f"{args.workers} workers with concurrency 1. Load average before: {load_before}.",
        f"Command: `make bench B=execution ARGS=\"--samples {args.samples} --jobs {args.jobs}\"`",
        "",
        f"## 1. Catalog event → processor start ({len(overhead)} jobs, one at a time)",
        "",
        "| | p50 (s) | p95 (s) | max (s) |",
        "|---|---|---|---|",
    ]
    for index, label in enumerate(("event → processor start", "event → queued (delivery + preparation)",
                                   "queued → running (broker + claim)", "running → start (staging + JobOrder)")):
        values = [row[index] for row in overhead]
        lines.append(f"| {label} | {statistics.median(values):.3f} | {percentile(values, 0.95):.3f} | "
                     f"{max(values):.3f} |")
    lines += [
        "",
        f"## 2. {args.jobs} short jobs through {args.workers} workers",
        "",
        f"- catalogued in {catalogued_s:.1f} s; all finished {elapsed:.1f} s after the first was catalogued: "
        f"**{args.jobs / elapsed * 60:.0f} jobs/min**",
        f"- jobs by state: {states} (expected {{'succeeded': {total}}})",
        f"- runs per job: max {max(runs)} (1 = no job ran twice); task runs {task_runs}, registered outputs "
        f"{outputs}, catalogued products {products}, stored objects {objects} (each expected {total})",
        "",
        f"Load average after: {' '.join(Path('/proc/loadavg').read_text().split()[:3])}",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    (DATA / "results").mkdir(parents=True, exist_ok=True)
    (DATA / "results" / f"execution-{datetime.now(UTC):%Y%m%dT%H%M%S}.md").write_text(text)
    for key, _size in list(store.list_keys("")):
        store.delete(key)


if __name__ == "__main__":
    main()
