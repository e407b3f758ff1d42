"""The dry run applies every gate preparation applies: for each, the planned job's state and reason are what
preparation then records for the same product, and the dry run writes nothing (no job, no event consumed)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from rs.catalog.models import CatalogEvent, Product
from rs.ingestion.tests.ingestion_support import directory_inbox, ingest_now
from rs.production import services
from rs.production.models import Job, RuleParameter
from rs.production.planning import Plan, PlannedJob, plan_for_product, plan_for_window
from rs.production.tests import builders
from rs.production.tests.builders import at, aux, level
from rs.production.tests.tables import table_xml
from rs.production.tests.test_session_jobs import DSIB, SESSION_ID, delivery, session_rule  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db

WRITES = ("INSERT", "UPDATE", "DELETE")


@pytest.fixture
def version():
    return services.processor_import(data=table_xml(main="IW_RAW__0S", main_policy="ValIntersect"))


def dry_run(plan: Callable[[], Plan]) -> Plan:
    """The plan, asserting it wrote nothing (no row inserted, updated or deleted, no event consumed) and locked
    nothing."""
    pending = CatalogEvent.objects.count()
    with CaptureQueriesContext(connection) as queries:
        answer = plan()
    writes = [q["sql"] for q in queries.captured_queries if q["sql"].lstrip().upper().startswith(WRITES)]
    assert writes == []
    assert [q["sql"] for q in queries.captured_queries if "FOR UPDATE" in q["sql"].upper()] == []  # locks nothing
    assert CatalogEvent.objects.count() == pending
    return answer


def planned_for(product: Product) -> PlannedJob:
    (job,) = dry_run(lambda: plan_for_product(product_id=product.id)).jobs
    return job


def recorded(job: PlannedJob, product: Product, deliver) -> Job:
    """Prepare the product as its catalog event does and return the job the plan spoke of."""
    deliver(product)
    return Job.objects.get(rule=job.rule, group_key=job.group_key)


def segment(start: float, stop: float, *, datatake: int = 0x021735, **kwargs):
    return level("IW_RAW__0S", start=at(start), stop=at(stop), family="L0_SEGMENT",
                 attributes={"datatakeID": datatake}, **kwargs)


def granule(start: float, stop: float):
    return level("IW_RAW__0S", start=at(start), stop=at(stop), family="L0_SEGMENT")


def test_a_settling_group_waits_in_the_plan_as_preparation_leaves_it(version, deliver):
    aux("AUX_CAL", start=at(-1000))
    builders.rule(version, name="asp", grouping="datatake", settle_s=300)
    product = segment(0, 60)
    job = planned_for(product)
    assert (job.state, job.reason) == ("waiting_inputs", "")
    assert job.settle_until is not None and all(r.status == "found" for r in job.resolutions if r.mandatory)
    assert Job.objects.count() == 0
    real = recorded(job, product, deliver)
    assert (real.state, real.reason) == (job.state, job.reason)


def test_a_granule_gap_holds_the_planned_job_with_the_reason_preparation_records(version, deliver):
    aux("AUX_CAL", start=at(-1000))
    builders.rule(version, name="granules", grouping="granule_window", window_s=180, granule_gap_s=1)
    first = granule(0, 60)
    job = planned_for(first)
    assert (job.state, job.reason) == (
        "waiting_inputs", f"waiting for granules: no granule from {at(60).isoformat()} to {at(180).isoformat()}")
    real = recorded(job, first, deliver)
    assert (real.state, real.reason) == (job.state, job.reason)

    # a granule joining the existing job: its planned members are the recorded ones plus this one
    last = granule(120, 180)
    job = planned_for(last)
    assert job.existing == real
    assert (job.state, job.reason) == (
        "waiting_inputs", f"waiting for granules: no granule from {at(60).isoformat()} to {at(120).isoformat()}")
    real = recorded(job, last, deliver)
    assert (real.state, real.reason) == (job.state, job.reason)

    hole = granule(60, 120)
    job = planned_for(hole)
    assert (job.state, job.reason) == ("ready", "")
    real = recorded(job, hole, deliver)
    assert (real.state, real.reason) == (job.state, job.reason)


def test_an_incomplete_granule_window_at_its_mandatory_deadline_fails_in_the_plan_as_in_preparation(version,
                                                                                                     deliver):
    aux("AUX_CAL", start=at(-1000))
    builders.rule(version, name="granules", grouping="granule_window", window_s=180, granule_gap_s=1,
                  mandatory_timeout_s=0)
    product = granule(0, 60)
    job = planned_for(product)
    assert (job.state, job.reason) == (
        "failed", f"granule window incomplete: no granule from {at(60).isoformat()} to {at(180).isoformat()}")
    real = recorded(job, product, deliver)
    assert (real.state, real.reason) == (job.state, job.reason)


@pytest.fixture
def land(delivery: dict[str, Path], tmp_path: Path) -> Callable[[list[str]], None]:  # noqa: F811
    """The named session files are ingested; their `created` events are not delivered yet."""
    inbox_dir = tmp_path / "inbox"
    inbox = directory_inbox(inbox_dir)

    def landing(names: list[str]) -> None:
        for name in names:
            target = inbox_dir / delivery[name].relative_to(tmp_path / "staging")
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(delivery[name], target)
        ingest_now(inbox)

    return landing


def test_an_incomplete_session_holds_the_planned_job_as_preparation_does(land, session_rule, deliver):  # noqa: F811
    land([DSIB[0]])
    product = Product.objects.get(name=DSIB[0])
    job = planned_for(product)
    chunks = ", ".join(f"DCS_02_{SESSION_ID}_ch1_DSDB_{n:05d}.raw" for n in (1, 2))
    assert (job.state, job.reason) == ("waiting_inputs", f"waiting for the session: session {SESSION_ID} incomplete: "
                                                         f"missing DSIB of channel 2; 2 chunks ({chunks})")
    real = recorded(job, product, deliver)
    assert (real.state, real.reason) == (job.state, job.reason)


def test_a_job_no_longer_preparing_only_records_the_product_and_the_plan_says_it_stays_as_it_is(version, deliver):
    aux("AUX_CAL", start=at(-1000))
    builders.rule(version, name="asp", grouping="datatake")
    deliver(segment(0, 60))
    cancelled = services.job_cancel(job_id=Job.objects.get().pk)
    later = segment(60, 120)
    job = planned_for(later)
    assert (job.existing, job.state, job.reason) == (cancelled, "cancelled", "cancelled by an operator")
    assert (job.start, job.stop) == (at(0), at(120))
    real = recorded(job, later, deliver)
    assert (real.state, real.reason) == (job.state, job.reason)
    assert real.members.count() == 2


def test_a_job_whose_parameters_cannot_be_rendered_fails_in_the_plan_as_in_preparation(version, deliver):
    aux("AUX_CAL", start=at(-1000))
    rule = builders.rule(version, name="asp", grouping="datatake")
    RuleParameter.objects.create(rule=rule, position=0, name="Mode", value="{attr[beamMode]}")
    product = segment(0, 60)
    job = planned_for(product)
    assert (job.state, job.reason) == (
        "failed", "JobOrder parameter: '{attr[beamMode]}': the triggering product has no attribute 'beamMode'")
    real = recorded(job, product, deliver)
    assert (real.state, real.reason) == (job.state, job.reason)


def test_a_product_of_another_scope_is_skipped_by_the_plan_as_preparation_ignores_it(version, deliver):
    builders.rule(version, name="asp", grouping="datatake")
    product = segment(0, 60, scope="campaign-7")
    plan = dry_run(lambda: plan_for_product(product_id=product.id))
    assert (plan.jobs, plan.skipped) == ([], [{"product": product.name, "rule": "",
                                               "reason": "scope campaign-7: only operational products trigger rules"}])
    deliver(product)
    assert Job.objects.count() == 0


def test_an_input_arriving_wakes_the_waiting_job_in_the_plan_as_in_preparation(version, deliver):
    builders.rule(version, name="asp", grouping="datatake")
    deliver(segment(0, 60))
    waiting = Job.objects.get()
    assert waiting.state == "waiting_inputs"  # no AUX_CAL yet
    calibration = aux("AUX_CAL", start=at(-1000))
    job = planned_for(calibration)
    assert (job.existing, job.members, job.state, job.reason) == (waiting, [], "ready", "")
    assert {r.key: r.status for r in job.resolutions}["AUX_CAL"] == "found"
    deliver(calibration)
    waiting.refresh_from_db()
    assert (waiting.state, waiting.reason) == (job.state, job.reason)


def test_a_window_plan_writes_nothing_and_joins_its_products_as_their_events_would(version, deliver):
    aux("AUX_CAL", start=at(-1000))
    builders.rule(version, name="granules", grouping="granule_window", window_s=180, granule_gap_s=1)
    products = [granule(0, 60), granule(120, 180)]
    plan = dry_run(lambda: plan_for_window(start=at(-10), stop=at(200)))
    (job,) = plan.jobs
    assert (job.members, job.state, job.reason) == (
        [p.name for p in products], "waiting_inputs",
        f"waiting for granules: no granule from {at(60).isoformat()} to {at(120).isoformat()}")
    for product in products:
        deliver(product)
    real = Job.objects.get()
    assert (real.state, real.reason, real.interval_start, real.interval_stop) == (
        job.state, job.reason, job.start, job.stop)
