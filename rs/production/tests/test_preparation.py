"""Preparation: catalog events create or complete jobs, inputs resolve with their policies, waiting jobs wake up only
for the products they await, timeouts end the waiting, and the same event twice changes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from rs.catalog.models import CatalogEvent
from rs.production import services
from rs.production.choices import InputStatus, JobState
from rs.production.models import InputTimeout, Job, JobAwaitedType, JobInput, JobTransition
from rs.production.tests import builders
from rs.production.tests.builders import at, aux, level
from rs.production.tests.tables import table_xml

pytestmark = pytest.mark.django_db


@pytest.fixture
def version():
    return services.processor_import(data=table_xml())


@pytest.fixture
def rule(version):
    return builders.rule(version, name="test-l1", mission="S1", product_types="IW_RAW__0S")


def slice_(start: float = 0, **kwargs):
    return level("IW_RAW__0S", start=at(start), stop=at(start + 25), **kwargs)


def snapshot(job: Job) -> tuple:
    job.refresh_from_db()
    inputs = [(i.key, i.status, i.file_type, [f.name for f in i.files.all()], i.deadline_at, i.evaluated_at)
              for i in job.inputs.order_by("position")]
    awaited = sorted(JobAwaitedType.objects.filter(job=job).values_list("product_type", "window_start",
                                                                        "window_stop"))
    return (job.state, job.updated_at, job.joborder, job.evaluation_fingerprint, inputs, awaited,
            JobTransition.objects.filter(job=job).count())


def test_a_slice_creates_one_job_waiting_for_its_missing_inputs(rule, deliver):
    product = slice_()
    deliver(product)
    job = Job.objects.get()
    assert (job.rule, job.group_key, job.state, job.queue) == (rule, product.name, JobState.WAITING_INPUTS,
                                                                "production-medium")
    assert (job.interval_start, job.interval_stop) == (at(0), at(25))
    statuses = list(job.inputs.order_by("position").values_list("key", "status"))
    assert statuses == [("1.1.1", InputStatus.FOUND), ("AUX_CAL", InputStatus.MISSING),
                        ("Orbit", InputStatus.TIMED_OUT)]  # optional, no timeout configured: dropped at once
    assert set(JobAwaitedType.objects.values_list("product_type", flat=True)) == {"AUX_CAL"}
    assert job.next_check_at == job.mandatory_deadline_at


def test_the_same_event_twice_changes_nothing(rule):
    product = slice_()
    event = CatalogEvent.objects.get(product_id=product.id, kind="created")
    services.preparation_event_handle(event=event)
    job = Job.objects.get()
    before = snapshot(job)
    services.preparation_event_handle(event=event)
    assert Job.objects.count() == 1
    assert snapshot(job) == before


def test_an_arriving_aux_file_completes_the_waiting_job(rule, deliver):
    deliver(slice_())
    job = Job.objects.get()
    # when the missing AUX_CAL arrives
    deliver(aux("AUX_CAL", start=at(-1000), stop=None))
    job.refresh_from_db()
    # then the job is ready with its JobOrder and awaits nothing any more
    assert job.state == JobState.READY and job.ready_at is not None
    assert job.inputs.get(key="AUX_CAL").status == InputStatus.FOUND
    assert "<File_Type>AUX_CAL</File_Type>" in job.joborder
    assert not JobAwaitedType.objects.filter(job=job).exists()
    assert list(JobTransition.objects.filter(job=job).values_list("from_state", "to_state")) == [
        ("", JobState.WAITING_INPUTS), (JobState.WAITING_INPUTS, JobState.READY)]


def test_the_awaited_lookup_ignores_products_outside_the_window_or_of_other_types(rule, deliver):
    deliver(slice_())
    job = Job.objects.get()
    before = snapshot(job)
    deliver(aux("AUX_CAL", start=at(5_000), stop=at(6_000)))  # after the job: cannot cover it
    deliver(aux("AUX_INS", start=at(-1000), stop=None))  # a type nobody waits for
    assert snapshot(job) == before


def test_a_waiting_job_is_found_by_one_indexed_lookup_not_a_scan(rule, deliver):
    deliver(slice_())
    cal = aux("AUX_CAL", start=at(-1000), stop=None)
    from rs.production.preparation import awaiting_jobs

    job = Job.objects.get()
    with CaptureQueriesContext(connection) as queries:
        assert awaiting_jobs(cal) == [job.pk]
    assert len(queries) == 1
    assert "production_jobawaitedtype" in queries[0]["sql"] and "production_job\"" not in queries[0]["sql"]


def test_a_better_alternative_arriving_before_the_job_is_queued_replaces_the_chosen_one(rule, deliver):
    aux("AUX_CAL", start=at(-1000), stop=None)
    aux("AUX_RESORB", start=at(-3600), stop=at(3600))
    deliver(slice_())
    job = Job.objects.get()
    assert job.state == JobState.READY and job.inputs.get(key="Orbit").file_type == "AUX_RES"
    assert list(JobAwaitedType.objects.filter(job=job).values_list("product_type", flat=True)) == ["AUX_POEORB"]
    # when the precise orbit arrives
    deliver(aux("AUX_POEORB", start=at(-86400), stop=at(86400)))
    job.refresh_from_db()
    assert job.inputs.get(key="Orbit").file_type == "AUX_POE"
    assert "<File_Type>AUX_POE</File_Type>" in job.joborder


def test_a_missing_mandatory_input_fails_the_job_at_its_deadline_with_the_reason(rule, deliver):
    deliver(slice_())
    job = Job.objects.get()
    # nothing changes before the deadline
    assert services.jobs_timeouts_check(now=job.mandatory_deadline_at - timedelta(seconds=1)) == 0
    # at the deadline the sweep fails it, with the reason, and it no longer waits for anything
    assert services.jobs_timeouts_check(now=job.mandatory_deadline_at) == 1
    job.refresh_from_db()
    assert job.state == JobState.FAILED
    assert job.reason == "missing mandatory input AUX_CAL (AUX_CAL)"
    assert job.failed_at is not None and job.next_check_at is None
    assert not JobAwaitedType.objects.filter(job=job).exists()
    assert services.jobs_timeouts_check(now=job.mandatory_deadline_at + timedelta(days=1)) == 0


def test_an_optional_input_is_waited_for_until_its_configured_timeout(rule, deliver):
    InputTimeout.objects.create(processor_pattern="TEST_.*", input_pattern="Orbit", wait_from_creation_s=1800)
    aux("AUX_CAL", start=at(-1000), stop=None)
    deliver(slice_())
    job = Job.objects.get()
    orbit = job.inputs.get(key="Orbit")
    assert (job.state, orbit.status) == (JobState.WAITING_INPUTS, InputStatus.MISSING)
    assert orbit.deadline_at == job.created_at + timedelta(seconds=1800) == job.next_check_at
    assert services.jobs_timeouts_check(now=orbit.deadline_at) == 1
    job.refresh_from_db()
    assert job.state == JobState.READY
    assert job.inputs.get(key="Orbit").status == InputStatus.TIMED_OUT
    assert "AUX_RES" not in job.joborder and "AUX_POE" not in job.joborder


def test_the_optional_timeout_counts_from_sensing_time_too(rule, deliver):
    # sensing in the past: min(created + 1800, sensing start + 60) is already over → dropped at once
    InputTimeout.objects.create(input_pattern="Orbit", wait_from_creation_s=1800, wait_from_sensing_s=60)
    aux("AUX_CAL", start=at(-1000), stop=None)
    deliver(slice_())
    assert Job.objects.get().state == JobState.READY


def test_an_operator_can_extend_the_mandatory_deadline_or_retry(rule, deliver):
    deliver(slice_())
    job = Job.objects.get()
    deadline = job.mandatory_deadline_at
    services.job_deadline_extend(job_id=job.pk, seconds=3600)
    job.refresh_from_db()
    assert job.mandatory_deadline_at == deadline + timedelta(seconds=3600) == job.next_check_at
    services.jobs_timeouts_check(now=job.mandatory_deadline_at)
    assert Job.objects.get().state == JobState.FAILED
    aux("AUX_CAL", start=at(-1000), stop=None)
    services.job_retry(job_id=job.pk)
    job.refresh_from_db()
    assert (job.state, job.attempts) == (JobState.READY, 1)


def test_priority_follows_timeliness(version, deliver):
    builders.rule(version, name="prio", product_types="IW_RAW__0S", priority="low",
                  priority_by_timeliness={"NRT": "high"})
    deliver(slice_(timeliness="NRT"))
    deliver(slice_(start=100, timeliness="FAST24"))
    assert sorted(Job.objects.values_list("timeliness", "queue")) == [("FAST24", "production-low"),
                                                                      ("NRT", "production-high")]


def test_rules_match_on_mission_platform_type_and_timeliness(version, deliver):
    builders.rule(version, name="only-b-nrt", product_types="IW_RAW__0S", platform="B", timeliness="NRT")
    deliver(slice_(timeliness="NRT"))  # unit A
    deliver(slice_(start=50, platform="B", timeliness="FAST24"))
    assert Job.objects.count() == 0
    deliver(slice_(start=100, platform="B", timeliness="NRT"))
    assert Job.objects.count() == 1


def test_disabled_rules_and_other_scopes_trigger_nothing(rule, deliver):
    deliver(slice_(scope="campaign-1"))
    rule.enabled = False
    rule.save()
    deliver(slice_(start=100))
    assert Job.objects.count() == 0


def test_a_deleted_product_is_skipped(rule):
    product = slice_()
    event = CatalogEvent.objects.get(product_id=product.id, kind="created")
    from rs.catalog import services as catalog_services

    catalog_services.product_delete(product_id=product.id)
    services.preparation_event_handle(event=event)
    assert Job.objects.count() == 0


def test_ten_inputs_are_prepared_in_a_bounded_number_of_queries(version, deliver):
    big = services.processor_import(data=table_xml(name="TEST_BIG", main="IW_RAW__0X", extra_inputs=7))
    builders.rule(big, name="ten-inputs", product_types="IW_RAW__0X")
    aux("AUX_CAL", start=at(-1000), stop=None)
    for n in range(7):
        aux(f"AUX_E{n:02d}", start=at(-1000), stop=None)
    product = level("IW_RAW__0X", start=at(0), stop=at(25))
    event = CatalogEvent.objects.get(product_id=product.id, kind="created")
    from rs.production.registry import tasktable_of

    tasktable_of(big)  # the table is cached per process after its first use
    with CaptureQueriesContext(connection) as queries:
        services.preparation_event_handle(event=event)
    job = Job.objects.get()
    assert job.state == JobState.READY and job.inputs.count() == 10
    # product, rules, attributes, job (4: savepoint, insert, transition, release), member, the selections in one
    # round trip per alternative rank (2: the optional Orbit tries AUX_POE, then AUX_RES), timeouts (read because
    # Orbit is missing), inputs and files (2), rule parameters, job update + transition (2), awaited lookup
    assert len(queries) == 17, [q["sql"][:120] for q in queries]
    selections = [q["sql"] for q in queries if q["sql"].startswith("SELECT 0, c1")]
    # first round: one derived table per input (10), each aux query with its own open-stop UNION ALL branch (9);
    # second round: Orbit alone
    assert [s.count(" AS b (c1, c2, c3, c4, c5, c6)") for s in selections] == [10, 1]
    assert [s.count(") UNION ALL (SELECT") for s in selections] == [9, 1]


def test_inputs_keep_the_query_and_what_it_found(rule, deliver):
    cal = aux("AUX_CAL", start=at(-1000), stop=None)
    deliver(slice_())
    row = JobInput.objects.get(key="AUX_CAL")
    attempt = row.attempts[0]
    assert (attempt["policy"], attempt["file_type"], attempt["found"]) == ("LatestValCover", "AUX_CAL", [cal.name])
    assert attempt["window"] == [at(0).isoformat(), at(25).isoformat()]
    assert attempt["queries"][0].startswith("(SELECT ") and " UNION ALL " in attempt["queries"][0]
    assert [f.name for f in row.files.all()] == [cal.name]


def test_a_job_that_cannot_write_its_parameters_fails_with_the_reason(rule, deliver):
    rule.parameters.create(name="Slice_Number", value="{attr[sliceNumber]}")
    aux("AUX_CAL", start=at(-1000), stop=None)
    deliver(slice_())
    job = Job.objects.get()
    assert job.state == JobState.FAILED
    assert job.reason == ("JobOrder parameter: '{attr[sliceNumber]}': the triggering product has no attribute "
                          "'sliceNumber'")


def test_the_timeout_sweep_skips_jobs_not_due(rule, deliver):
    deliver(slice_())
    assert services.jobs_timeouts_check(now=timezone.now()) == 0


def test_an_evicted_input_sends_a_ready_job_back_to_waiting(rule, deliver):
    from rs.catalog import services as catalog_services

    cal = aux("AUX_CAL", start=at(-1000), stop=None)
    deliver(slice_())
    job = Job.objects.get()
    assert job.state == JobState.READY
    catalog_services.product_evict(product_id=cal.id)
    event = CatalogEvent.objects.get(product_id=cal.id, kind="evicted")
    from rs.catalog.services import event_deliver
    from rs.production.consumers import PREPARATION_CONSUMER

    assert event_deliver(event_id=event.pk, consumer_name=PREPARATION_CONSUMER) is True
    job.refresh_from_db()
    assert (job.state, job.joborder) == (JobState.WAITING_INPUTS, "")
    assert job.inputs.get(key="AUX_CAL").status == InputStatus.MISSING
    # and a replacement completes it again
    deliver(aux("AUX_CAL", start=at(-500), stop=None))
    assert Job.objects.get().state == JobState.READY


def test_a_table_is_kept_in_its_declared_encoding():
    comment = "<Name>T1</Name><!-- é -->".encode("latin-1")
    data = table_xml().replace(b'encoding="UTF-8"', b'encoding="ISO-8859-1"').replace(b"<Name>T1</Name>", comment)
    version = services.processor_import(data=data)
    assert "<!-- é -->" in version.table_xml
