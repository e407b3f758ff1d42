"""Preparation benchmark: the cost of preparing one job, and of waking waiting jobs when an aux file arrives.

    set -a; . var/<your>.env; set +a
    .venv/bin/python bench/production/run.py [--jobs 100000] [--slices 100000] [--samples 200] [--database NAME]
    .venv/bin/python bench/production/run.py --reuse [--database NAME]    # again on the same data (migrated first)

Creates its own database `rs_bench_production` (or --database) on DATABASE_URL's server (dropped first; the test
and working databases are never touched), migrates it, and measures through the same code path as a preparation worker
(`catalog.services.event_deliver` of a product's `created` event to the production consumer):

1. a catalogue of a year of S1 data (`--slices` IW L0 slices and ~17,000 aux files of 11 types, duplicates
   included), and a rule whose Task Table has 10 inputs (9 aux, 7 different policies, an alternative chain);
   `--samples` new slices are catalogued and prepared one by one: target ≤ 50 ms per job;
2. `--jobs` waiting jobs (each missing one of 10 aux types, one window per job, spread over the year) written in
   bulk, then aux files of those types arrive with validities of 3 h, 6 h and 1 day: each arrival must find and
   re-evaluate only the jobs whose window it meets; target ≤ 100 ms for the typical (3 h) arrival.

The report (markdown) is printed and kept in bench/data/results/production-<time>.md, with the EXPLAIN ANALYZE of
the awaited-type lookup and of one selection query. Celery messages go to a filesystem broker under bench/data/.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import re
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from support import database_recreate, database_url

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "bench" / "data"
DATABASE = "rs_bench_production"
YEAR = datetime(2024, 1, 1, tzinfo=UTC)
WAIT_TYPES = [f"AUX_WT{n}" for n in range(10)]
# a job made ready is dispatched (queued) as its transaction commits: both states count as ready here
DISPATCHED = ("ready", "queued")


def environment(database: str) -> str:
    url = database_url(database)
    os.environ["CELERY_BROKER_URL"] = "filesystem://"  # nothing consumes the deliveries: keep them out of Redis
    os.environ["CELERY_RESULT_BACKEND"] = f"file://{DATA / 'production-var' / 'celery' / 'results'}"
    os.environ["RS_VAR_DIR"] = str(DATA / "production-var")
    return url


def alternative(order: int, file_type: str, policy: str, t0: float = 0, t1: float = 0) -> str:
    return (f"<Alternative><Order>{order}</Order><Origin>DB</Origin><Retrieval_Mode>{policy}</Retrieval_Mode>"
            f"<T0>{t0}</T0><T1>{t1}</T1><File_Type>{file_type}</File_Type>"
            "<File_Name_Type>Physical</File_Name_Type></Alternative>")


def table(name: str, inputs: list[tuple[str, bool, list[str]]]) -> bytes:
    body = "".join(f'<Input id="{ident}"><Mode>ALWAYS</Mode><Mandatory>{"Yes" if mandatory else "No"}</Mandatory>'
                   f"<List_of_Alternatives>{''.join(alts)}</List_of_Alternatives></Input>"
                   for ident, mandatory, alts in inputs)
    return (f"<Ipf_Task_Table><Processor_Name>{name}</Processor_Name><Version>1.0</Version><Test>No</Test>"
            "<Min_Disk_Space>100</Min_Disk_Space><Max_Time>0</Max_Time><List_of_Pools><Pool><Detached>false"
            "</Detached><Killing_Signal>15</Killing_Signal><List_of_Tasks><Task><Name>T</Name><Version>1.0</Version>"
            "<Critical>true</Critical><Criticality_Level>2</Criticality_Level><File_Name>/bin/true</File_Name>"
            f"<List_of_Inputs>{body}</List_of_Inputs><List_of_Outputs><Output><Destination>DB</Destination>"
            "<Mandatory>Yes</Mandatory><Type>IW_GRDH_1S</Type><File_Name_Type>Directory</File_Name_Type></Output>"
            "</List_of_Outputs></Task></List_of_Tasks></Pool></List_of_Pools></Ipf_Task_Table>").encode()


TEN_INPUTS = [
    ("L0", True, [alternative(1, "IW_RAW__0S", "LatestValCover")]),
    ("AUX_CAL", True, [alternative(1, "AUX_CAL", "LatestValCover")]),
    ("AUX_PP1", True, [alternative(1, "AUX_PP1", "LatestValCover")]),
    ("AUX_INS", True, [alternative(1, "AUX_INS", "LatestValCover")]),
    ("Orbit", False, [alternative(n, t, "LatestValCover", 0, 360)
                      for n, t in enumerate(("AUX_POE", "AUX_RES", "AUX_PRE"), start=1)]),
    ("AUX_ATT", False, [alternative(1, "AUX_ATT", "LatestValCover")]),
    ("AUX_WND", True, [alternative(1, "AUX_WND", "LatestValidityClosest")]),
    ("AUX_ECE", False, [alternative(1, "AUX_ECE", "ClosestStopValidity", 0, 86400)]),
    ("AUX_ICE", True, [alternative(1, "AUX_ICE", "ValIntersect")]),
    ("AUX_WAV", True, [alternative(1, "AUX_WAV", "ValIntersectWithoutDuplicates", 0, 10800)]),
]
WAITING = [("L0", True, [alternative(1, "IW_RAW__0S", "LatestValCover")]),
           ("AUX_CAL", True, [alternative(1, "AUX_CAL", "LatestValCover")])]


def product(product_type: str, start: datetime, stop: datetime | None, *, generated: datetime, aux: bool,
            platform_: str = "A") -> Any:
    from rs.catalog.models import Product

    name = f"S1{platform_}_{product_type}_{start:%Y%m%dT%H%M%S}_{uuid.uuid4().hex[:8]}"
    return Product(
        name=name, mission="S1", platform=platform_, family="AUXILIARY_FILE" if aux else "L0_SLICE",
        product_type=product_type, level="AUX" if aux else "L0", mode="" if aux else "IW", content_length=1,
        storage_key=f"bench/{name}", online=True, generation_date=generated, content_start=start,
        content_end=stop or start, validity_start=start if aux else None, validity_stop=stop if aux else None,
        instrument_configuration_id=6, timeliness="" if aux else "FAST24")


def catalogue_fill(slices: int) -> int:
    from rs.catalog.models import Product

    rows = []
    far = datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
    for month in range(12):
        start = YEAR + timedelta(days=30 * month - 30)
        for aux_type in ("AUX_CAL", "AUX_PP1", "AUX_INS"):
            rows.append(product(aux_type, start, far, generated=start - timedelta(days=3), aux=True))
    for n in range(366 * 8):  # every 3 h: restituted orbit and attitude, wave model (two generations: duplicates)
        start = YEAR + timedelta(hours=3 * n)
        rows.append(product("AUX_RESORB", start - timedelta(minutes=30), start + timedelta(hours=3, minutes=30),
                            generated=start + timedelta(hours=4), aux=True))
        rows.append(product("AUX_RESATT", start, start + timedelta(hours=3), generated=start + timedelta(hours=4),
                            aux=True))
        for generation in (5, 6):
            rows.append(product("AUX_WAV", start, start + timedelta(hours=3),
                                generated=start + timedelta(hours=generation), aux=True))
    for n in range(366 * 4):  # every 6 h: wind
        start = YEAR + timedelta(hours=6 * n)
        rows.append(product("AUX_WND", start, start + timedelta(hours=6), generated=start, aux=True))
    for day in range(366):
        start = YEAR + timedelta(days=day)
        rows.append(product("AMV_ERRMAT", start, start + timedelta(days=1), generated=start, aux=True))
        rows.append(product("AUX_ICE", start, start + timedelta(days=1), generated=start, aux=True))
        if day < 270:  # the precise orbit exists for the first nine months only
            rows.append(product("AUX_POEORB", start - timedelta(hours=1), start + timedelta(hours=25),
                                generated=start + timedelta(days=20), aux=True))
    aux_count = len(rows)
    step = timedelta(days=366) / slices
    for n in range(slices):
        start = YEAR + step * n
        rows.append(product("IW_RAW__0S", start, start + timedelta(seconds=25), generated=start, aux=False))
    for first in range(0, len(rows), 5000):
        Product.objects.bulk_create(rows[first:first + 5000])
    return aux_count


def percentiles(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return (f"p50 {statistics.median(ordered):.1f} ms, p95 {p95:.1f} ms, max {ordered[-1]:.1f} ms "
            f"(n={len(ordered)})")


HANDLER_MS: list[float] = []
HANDLER_CPU_MS: list[float] = []


def handler_timed() -> None:
    """Time the preparation handler alone (inside the delivery), beside the whole delivery."""
    from rs.production import services

    handler = services.preparation_event_handle

    def timed(**kwargs: Any) -> None:
        began, cpu = time.perf_counter(), time.process_time()
        handler(**kwargs)
        HANDLER_MS.append((time.perf_counter() - began) * 1000)
        HANDLER_CPU_MS.append((time.process_time() - cpu) * 1000)

    services.preparation_event_handle = timed


def prepare_one(start: datetime) -> tuple[float, str]:
    from rs.catalog import services as catalog_services
    from rs.catalog.models import CatalogEvent
    from rs.catalog.tests import factories
    from rs.production.consumers import PREPARATION_CONSUMER
    from rs.production.models import Job

    slice_ = factories.product(
        name=f"S1A_IW_RAW__0SDV_{uuid.uuid4().hex}", publish=False, product_type="IW_RAW__0S", family="L0_SLICE",
        level="L0", mode="IW", timeliness="FAST24", content_start=start, content_end=start + timedelta(seconds=25),
        instrument_configuration_id=6, storage_key="bench/new", attributes={})
    event = CatalogEvent.objects.get(product_id=slice_.id, kind="created")
    began = time.perf_counter()
    catalog_services.event_deliver(event_id=event.pk, consumer_name=PREPARATION_CONSUMER)
    elapsed = (time.perf_counter() - began) * 1000
    return elapsed, Job.objects.get(rule__name="bench-10", group_key=slice_.name).state


def waiting_jobs_fill(count: int) -> None:
    """`count` waiting jobs in bulk, each missing one of WAIT_TYPES over its own 25 s window."""
    from django.utils import timezone

    from rs.catalog.models import Product
    from rs.production import services
    from rs.production.models import Job, JobAwaitedType, JobInput, JobInputFile, ProductionRule

    versions, rules = [], []
    for wait_type in WAIT_TYPES:  # one processor per awaited type: each job misses one aux, one alternative
        waiting_table = [*WAITING[:2], ("AUX_W", True, [alternative(1, wait_type, "LatestValCover")])]
        versions.append(services.processor_import(data=table(f"BENCH_WAIT_{wait_type}", waiting_table)))
        rules.append(ProductionRule.objects.create(name=f"bench-wait-{wait_type}", processor_version=versions[-1],
                                                   product_types="IW_WAIT_0S", enabled=False))
    spacing = timedelta(days=366) / (count / len(WAIT_TYPES))
    now = timezone.now()
    cal = Product.objects.filter(product_type="AUX_CAL").first()
    for first in range(0, count, 5000):
        jobs = []
        for n in range(first, min(count, first + 5000)):
            start = YEAR + spacing * (n // len(WAIT_TYPES)) + timedelta(seconds=n % len(WAIT_TYPES))
            jobs.append(Job(rule=rules[n % len(WAIT_TYPES)], processor_version=versions[n % len(WAIT_TYPES)],
                            group_key=f"wait-{n}", mission="S1", platform="A",
                            timeliness="FAST24", acquisition_mode="IW", instrument_configuration_id=6,
                            queue="production-medium", interval_start=start,
                            interval_stop=start + timedelta(seconds=25), mandatory_deadline_at=now + timedelta(days=30),
                            next_check_at=now + timedelta(days=30), waiting_at=now,
                            evaluation_fingerprint="written-in-bulk"))
        Job.objects.bulk_create(jobs)
        inputs, files, awaited = [], [], []
        for n, job in enumerate(jobs, start=first):
            wait_type = WAIT_TYPES[n % len(WAIT_TYPES)]
            window = [job.interval_start.isoformat(), job.interval_stop.isoformat()]
            for position, key in enumerate(("L0", "AUX_CAL"), start=1):
                inputs.append(JobInput(job=job, key=key, position=position, mandatory=True, status="found",
                                       alternative_order=1, policy="LatestValCover",
                                       file_type="IW_RAW__0S" if key == "L0" else "AUX_CAL",
                                       file_name_type="Physical", attempts=[], evaluated_at=now))
            inputs.append(JobInput(job=job, key="AUX_W", position=3, mandatory=True, status="missing",
                                   policy="", attempts=[], deadline_at=job.mandatory_deadline_at,
                                   reason=f"waiting for {wait_type}", evaluated_at=now,
                                   awaited=[[wait_type, *window]]))
            awaited.append(JobAwaitedType(job=job, product_type=wait_type, window_start=job.interval_start,
                                          window_stop=job.interval_stop))
        JobInput.objects.bulk_create(inputs)
        for row in inputs:
            if row.status == "found":
                files.append(JobInputFile(job_input=row, position=1, product_id=cal.pk if cal else None,
                                          name=cal.name if cal else "x", start=row.job.interval_start, stop=None))
        JobInputFile.objects.bulk_create(files)
        JobAwaitedType.objects.bulk_create(awaited)


def wake(wait_type: str, start: datetime, hours: float) -> tuple[float, float, int, int]:
    """Catalogue an aux file of `wait_type` valid for `hours` from `start`.

    Returns (lookup ms, delivery ms, jobs found by the lookup, jobs made ready): the lookup tests overlap, so a
    job whose window straddles the file's end is re-evaluated and keeps waiting (its file must cover it)."""
    from rs.catalog import services as catalog_services
    from rs.catalog.models import CatalogEvent
    from rs.catalog.tests import factories
    from rs.production.consumers import PREPARATION_CONSUMER
    from rs.production.models import Job
    from rs.production.preparation import awaiting_jobs

    stop = start + timedelta(hours=hours)
    aux = factories.product(
        name=f"S1A_{wait_type}_{uuid.uuid4().hex}", publish=False, product_type=wait_type, family="AUXILIARY_FILE",
        level="AUX", mode="", timeliness="", content_start=start, content_end=stop, validity_start=start,
        validity_stop=stop, footprint=None, attributes={}, storage_key="bench/aux")
    began = time.perf_counter()
    affected = awaiting_jobs(aux)
    lookup = (time.perf_counter() - began) * 1000
    event = CatalogEvent.objects.get(product_id=aux.id, kind="created")
    ready_before = Job.objects.filter(state__in=DISPATCHED).count()
    began = time.perf_counter()
    catalog_services.event_deliver(event_id=event.pk, consumer_name=PREPARATION_CONSUMER)
    elapsed = (time.perf_counter() - began) * 1000
    made_ready = Job.objects.filter(state__in=DISPATCHED).count() - ready_before
    return lookup, elapsed, len(affected), made_ready


def explain(sql: str, params: Any) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=100_000)
    parser.add_argument("--slices", type=int, default=100_000)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--reuse", action="store_true",
                        help="measure again on the database of an earlier run (no drop, no fill; migrated first)")
    parser.add_argument("--database", default=DATABASE,
                        help=f"database to create (or reuse) on DATABASE_URL's server (default {DATABASE})")
    args = parser.parse_args()
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", args.database):
        sys.exit("--database: lower-case letters, digits and underscores only")
    url = environment(args.database)
    load_before = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    began = time.perf_counter()
    if not args.reuse:
        database_recreate(url)
    else:  # the code may have gained migrations since the database was filled
        subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, check=True, env=os.environ.copy())
    import django

    django.setup()
    from django.db import connection

    from rs.production import services
    from rs.production.models import ProductionRule
    from rs.production.selection import SelectionContext, _Query

    report = [f"# Preparation benchmark {datetime.now(UTC):%Y-%m-%dT%H:%M:%SZ}", "",
              f"Machine: {os.cpu_count()} CPUs, {platform.platform()}; load average before {load_before}",
              f"Command: `{' '.join([Path(sys.executable).name, *sys.argv])}`", ""]
    from rs.catalog.models import Product

    if not args.reuse:
        catalogue_fill(args.slices)
        version = services.processor_import(data=table("BENCH_10", TEN_INPUTS))
        ProductionRule.objects.create(name="bench-10", processor_version=version, product_types="IW_RAW__0S")
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE catalog_product")
    slices = Product.objects.filter(product_type="IW_RAW__0S").count()
    report.append(f"Catalogue: {slices} IW_RAW__0S slices and {Product.objects.filter(level='AUX').count()} aux "
                  f"files over 2024 (set up in {time.perf_counter() - began:.0f} s)")
    rng = random.Random(time.time_ns() if args.reuse else 1)
    timings, states = [], []
    handler_timed()
    for n in range(args.samples + 10):
        elapsed, state = prepare_one(YEAR + timedelta(days=10 + rng.random() * 240))
        if n >= 10:  # the first ones warm the process (table cache, connections)
            timings.append(elapsed)
            states.append(state)
    report += ["", "## 1. Preparing a job with 10 inputs", "",
               f"Delivery of a new slice's `created` event (rule match, job creation, 10 inputs through 7 "
               f"policies, JobOrder, and the catalog's delivery bookkeeping and commit): **{percentiles(timings)}**; "
               f"target ≤ 50 ms. The preparation handler alone: {percentiles(HANDLER_MS[10:])}, of which the "
               f"worker's own CPU {percentiles(HANDLER_CPU_MS[10:])} (the rest is waiting for PostgreSQL). "
               f"Jobs ready: {sum(state in DISPATCHED for state in states)}/{len(states)}."]

    began = time.perf_counter()
    from rs.production.models import Job

    if not args.reuse:
        waiting_jobs_fill(args.jobs)
        with connection.cursor() as cursor:
            for name in ("production_job", "production_jobinput", "production_jobinputfile",
                         "production_jobawaitedtype"):
                cursor.execute(f"VACUUM ANALYZE {name}")
    count = Job.objects.filter(state="waiting_inputs", group_key__startswith="wait-").count()
    spacing = timedelta(days=366) / (Job.objects.filter(group_key__startswith="wait-").count() / len(WAIT_TYPES))
    report += ["", "## 2. Waking waiting jobs", "",
               f"{count} waiting jobs, each missing one of {len(WAIT_TYPES)} aux types over a 25 s window, one job "
               f"per type every {spacing.total_seconds() / 60:.0f} min over the year (written in "
               f"{time.perf_counter() - began:.0f} s).", "",
               "| aux validity | jobs re-evaluated (made ready) | lookup of the affected jobs | whole delivery "
               "(lookup, locks, re-evaluation, JobOrders) | per re-evaluated job |", "|---|---|---|---|---|"]
    for hours in (3, 6, 24):
        lookups, deliveries, found, ready = [], [], [], []
        for n in range(20):
            wait_type = WAIT_TYPES[n % len(WAIT_TYPES)]
            offset = timedelta(days=20 + 15 * n, hours=hours) + (timedelta(hours=rng.random() * 200) if args.reuse
                                                                 else timedelta(0))
            lookup, elapsed, affected, made_ready = wake(wait_type, YEAR + offset, hours)
            lookups.append(lookup)
            deliveries.append(elapsed)
            found.append(affected)
            ready.append(made_ready)
        per_job = sum(deliveries) / max(1, sum(found))
        report.append(f"| {hours} h | {min(found)}-{max(found)}, mean {statistics.mean(found):.1f} "
                      f"({sum(ready)} of {sum(found)} made ready) | {percentiles(lookups)} | "
                      f"{percentiles(deliveries)} | {per_job:.1f} ms |")
    none = wake(WAIT_TYPES[0], datetime(2030, 1, 1, tzinfo=UTC), 3)
    report += ["", f"An aux file that no job awaits (2030): lookup {none[0]:.1f} ms, delivery {none[1]:.1f} ms, "
               f"{none[2]} jobs.", "", "Target: ≤ 100 ms for the typical (3 h) arrival; the lookup does not grow "
               "with the number of waiting jobs (EXPLAIN below)."]

    from rs.catalog.models import Product
    from rs.production.preparation import awaiting_jobs

    probe = Product(product_type=WAIT_TYPES[3], validity_start=YEAR + timedelta(days=100),
                    validity_stop=YEAR + timedelta(days=100, hours=3), content_start=YEAR + timedelta(days=100))
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        awaiting_jobs(probe)
    lookup_sql = captured[0]["sql"]
    query = _Query("AUX_RES", SelectionContext(mission="S1", platform="A"), YEAR + timedelta(days=100),
                   YEAR + timedelta(days=100, seconds=385))
    selection_sql, selection_params = query.combined(query.cover(), *query.newest())[:1].query.sql_with_params()
    report += ["", "## Plans", "", "Awaited-type lookup:", "```", explain(lookup_sql, ()), "```", "",
               "LatestValCover AUX_RES (0, 360):", "```", explain(selection_sql, selection_params), "```", "",
               f"Load average after: {' '.join(Path('/proc/loadavg').read_text().split()[:3])}"]
    text = "\n".join(report) + "\n"
    (DATA / "results").mkdir(parents=True, exist_ok=True)
    path = DATA / "results" / f"production-{datetime.now(UTC):%Y%m%dT%H%M%S}.md"
    path.write_text(text)
    print(text)
    print(f"(kept in {path.relative_to(ROOT)})")


if __name__ == "__main__":
    main()
