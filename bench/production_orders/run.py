"""Ad-hoc production benchmark: the cost of creating an order (its rule and all its jobs in one transaction), and
what the order hook adds to a job's transition into a final state.

    set -a; . var/<your>.env; set +a
    .venv/bin/python bench/production_orders/run.py [--slices 3000] [--samples 200]

Creates its own database `rs_bench_orders` on DATABASE_URL's server (dropped first; the test and working databases
are never touched), migrates it, catalogues `--slices` IW L0 slices (one every 25 s) and their AUX_CAL, imports a
two-input Task Table and a template rule, then:

1. orders windows of 10, 100, 500 and 1,000 slices through `orders.services.order_create` (the API's code path):
   wall time of the whole transaction and per job;
2. ends `--samples` running jobs (succeeded) of three kinds: a systematic job (no order), an order's job that is not
   its last, an order's last job (the order ends, its notification row is written): p50/p95 of `job_transition`.

The report (markdown) is printed and kept in bench/data/results/production-orders-<time>.md. Celery messages go to a
filesystem broker under bench/data/.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
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
DATABASE = "rs_bench_orders"
T0 = datetime(2024, 3, 1, tzinfo=UTC)
SLICE_S = 25


def environment() -> str:
    url = database_url(DATABASE)
    os.environ["CELERY_BROKER_URL"] = "filesystem://"  # nothing consumes the messages: keep them out of Redis
    os.environ["CELERY_RESULT_BACKEND"] = f"file://{DATA / 'orders-var' / 'celery' / 'results'}"
    os.environ["RS_VAR_DIR"] = str(DATA / "orders-var")
    # Every measured order planned in one transaction (as the background steps do, chunk by chunk): the cost per job
    os.environ["RS_PRODUCTION_ORDER_SYNC_MAX_PRODUCTS"] = "100000"
    return url


TABLE = b"""<Ipf_Task_Table><Processor_Name>BENCH_L1</Processor_Name><Version>1.0</Version><Test>No</Test>
<Min_Disk_Space>100</Min_Disk_Space><Max_Time>0</Max_Time>
<List_of_Dyn_ProcParam><Dyn_ProcParam><Param_Name>Mission_Id</Param_Name><Param_Type>String</Param_Type>
<Param_Default>S1A</Param_Default></Dyn_ProcParam></List_of_Dyn_ProcParam>
<List_of_Pools><Pool><Detached>false</Detached><Killing_Signal>15</Killing_Signal><List_of_Tasks><Task><Name>T</Name>
<Version>1.0</Version><Critical>true</Critical><Criticality_Level>2</Criticality_Level><File_Name>/bin/true</File_Name>
<List_of_Inputs>
<Input id="L0"><Mode>ALWAYS</Mode><Mandatory>Yes</Mandatory><List_of_Alternatives><Alternative><Order>1</Order>
<Origin>DB</Origin><Retrieval_Mode>LatestValCover</Retrieval_Mode><T0>0</T0><T1>0</T1><File_Type>IW_RAW__0S</File_Type>
<File_Name_Type>Physical</File_Name_Type></Alternative></List_of_Alternatives></Input>
<Input id="AUX_CAL"><Mode>ALWAYS</Mode><Mandatory>Yes</Mandatory><List_of_Alternatives><Alternative><Order>1</Order>
<Origin>DB</Origin><Retrieval_Mode>LatestValCover</Retrieval_Mode><T0>0</T0><T1>0</T1><File_Type>AUX_CAL</File_Type>
<File_Name_Type>Physical</File_Name_Type></Alternative></List_of_Alternatives></Input>
</List_of_Inputs><List_of_Outputs><Output><Destination>DB</Destination><Mandatory>Yes</Mandatory><Type>IW_GRDH_1S</Type>
<File_Name_Type>Directory</File_Name_Type></Output></List_of_Outputs></Task></List_of_Tasks></Pool></List_of_Pools>
</Ipf_Task_Table>"""


def catalogue_fill(slices: int) -> None:
    from rs.catalog.models import Product

    far = datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
    rows = [Product(name="S1A_AUX_CAL_BENCH", mission="S1", platform="A", family="AUXILIARY_FILE",
                    product_type="AUX_CAL", level="AUX", mode="", content_length=1, storage_key="bench/cal",
                    online=True, content_start=T0 - timedelta(days=30), content_end=far,
                    validity_start=T0 - timedelta(days=30), validity_stop=far)]
    for n in range(slices):
        start = T0 + timedelta(seconds=SLICE_S * n)
        name = f"S1A_IW_RAW__0SDV_{start:%Y%m%dT%H%M%S}_{uuid.uuid4().hex[:8]}"
        rows.append(Product(name=name, mission="S1", platform="A", family="L0_SLICE", product_type="IW_RAW__0S",
                            level="L0", mode="IW", content_length=1, storage_key=f"bench/{name}", online=True,
                            content_start=start, content_end=start + timedelta(seconds=SLICE_S),
                            timeliness="FAST24"))
    Product.objects.bulk_create(rows, batch_size=2000)


def percentiles(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"p50 {statistics.median(ordered):.2f} ms, p95 {p95:.2f} ms (n={len(ordered)})"


def order_window(version_id: int, first: int, count: int) -> tuple[float, Any]:
    from rs.production.orders.services import order_create
    from rs.production.orders.validation import OrderRequest

    start = T0 + timedelta(seconds=SLICE_S * first)
    stop = start + timedelta(seconds=SLICE_S * count)
    began = time.perf_counter()
    order, _ = order_create(request=OrderRequest(processor_version_id=version_id, rule_name="bench-l1",
                                                 start=start, stop=stop, parameters={"Mission_Id": "{mission_id}"}))
    return (time.perf_counter() - began) * 1000, order


def end_timed(job_ids: list[int]) -> list[float]:
    from django.db import transaction

    from rs.production.models import Job
    from rs.production.transitions import job_transition

    timings = []
    for job_id in job_ids:
        with transaction.atomic():
            job = Job.objects.select_for_update().get(pk=job_id)
            began = time.perf_counter()
            job_transition(job=job, to="succeeded")
            timings.append((time.perf_counter() - began) * 1000)
    return timings


def running(job_ids: list[int]) -> None:
    from rs.production.models import Job
    from rs.production.transitions import job_transition

    for job in Job.objects.filter(pk__in=job_ids):
        job_transition(job=job, to="queued")
        job_transition(job=job, to="running")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--slices", type=int, default=3000)
    parser.add_argument("--samples", type=int, default=200)
    args = parser.parse_args()
    url = environment()
    database_recreate(url)
    import django

    django.setup()
    from rs.catalog.models import Product
    from rs.production import services
    from rs.production.models import Job, ProductionRule

    catalogue_fill(args.slices)
    version = services.processor_import(data=TABLE)
    ProductionRule.objects.create(name="bench-l1", processor_version=version, product_types="IW_RAW__0S")
    lines = [f"# Production orders — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC", "",
             f"Machine: {platform.node()} {platform.machine()}, {os.cpu_count()} cores, load before "
             f"{os.getloadavg()[0]:.2f} (shared machine); catalogue {args.slices} slices.", "",
             "| Order | Jobs | Transaction | Per job |", "|---|---|---|---|"]
    offset = 0
    for size in (10, 100, 500, 1000):
        if offset + size > args.slices:
            break
        elapsed, order = order_window(version.pk, offset, size)
        offset += size
        jobs = Job.objects.filter(rule_id=order.rule_id).count()
        lines.append(f"| window of {size} slices | {jobs} | {elapsed:.0f} ms | {elapsed / jobs:.2f} ms |")
    # job endings: systematic jobs (prepared by the template rule), an order's not-last jobs, an order's last jobs
    systematic_rule = ProductionRule.objects.get(name="bench-l1")
    spare = list(Product.objects.filter(product_type="IW_RAW__0S")
                 .order_by("content_start")[offset:offset + args.samples])
    for product in spare:
        services.product_prepare(product=product, rules=[systematic_rule])
    systematic = list(Job.objects.filter(rule=systematic_rule).values_list("pk", flat=True))
    running(systematic)
    not_last_order = order_window(version.pk, offset, args.samples + 1)[1]
    not_last = list(Job.objects.filter(rule_id=not_last_order.rule_id).order_by("pk").values_list("pk", flat=True))
    running(not_last)
    last_orders = [order_window(version.pk, offset + n, 1)[1] for n in range(min(args.samples, 50))]
    last = [Job.objects.get(rule_id=o.rule_id).pk for o in last_orders]
    running(last)
    lines += ["", "| Job → succeeded | job_transition |", "|---|---|",
              f"| systematic job (no order) | {percentiles(end_timed(systematic))} |",
              f"| an order's job, not its last | {percentiles(end_timed(not_last[:-1]))} |",
              f"| an order's last job (the order ends) | {percentiles(end_timed(last))} |",
              "", f"Load after: {os.getloadavg()[0]:.2f}."]
    report = "\n".join(lines) + "\n"
    print(report)
    results = DATA / "results"
    results.mkdir(parents=True, exist_ok=True)
    (results / f"production-orders-{datetime.now(UTC):%Y%m%dT%H%M%S}.md").write_text(report)


if __name__ == "__main__":
    main()
