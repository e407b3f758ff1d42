"""/api/v1/production/jobs/{id}/ execution endpoints: runs, log, outputs, retry, cancel, resubmit; refusals."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from rest_framework.test import APIClient

from rs.catalog.models import CatalogEvent
from rs.catalog.services import event_deliver
from rs.production.choices import JobState
from rs.production.consumers import PREPARATION_CONSUMER
from rs.production.models import Job, JobLogLine, JobMissingOutput, TaskRun
from rs.production.tests.execution_support import l0_input, sim_rule
from rs.production.tests.test_api import client_for
from rs.production.transitions import job_transition

pytestmark = pytest.mark.django_db
AT = datetime(2024, 6, 4, 12, 0, tzinfo=UTC)


@pytest.fixture
def staff_api() -> APIClient:
    return client_for(staff=True)


@pytest.fixture
def ready_job(tmp_path: Path) -> Job:
    rule = sim_rule()
    product = l0_input(tmp_path)
    event_deliver(event_id=CatalogEvent.objects.get(product_id=product.id, kind="created").pk,
                  consumer_name=PREPARATION_CONSUMER)
    job = Job.objects.get(rule=rule)
    assert job.state == JobState.READY
    return job


def move(job: Job, *states: str) -> Job:
    for state in states:
        job_transition(job=job, to=state, fields={"run": job.run + 1} if state == JobState.RUNNING else None)
    return job


def test_illegal_requests_get_precise_4xx(staff_api: APIClient, ready_job: Job) -> None:
    base = f"/api/v1/production/jobs/{ready_job.pk}"
    assert staff_api.post("/api/v1/production/jobs/999999/retry/").status_code == 404
    assert staff_api.post("/api/v1/production/jobs/abc/resubmit/").status_code == 404
    response = staff_api.post(f"{base}/resubmit/")
    assert response.status_code == 409
    assert response.json()["error"]["message"] == (
        f"job {ready_job.pk} is ready: only a succeeded, failed or cancelled job is resubmitted "
        f"(retry or cancel it instead)")
    for query, field in (("levels=X", "levels"), ("run=0", "run"), ("limit=5000", "limit"), ("after=-1", "after")):
        response = staff_api.get(f"{base}/log/?{query}")
        assert response.status_code == 400, query
        assert list(response.json()["error"]["details"]) == [field], query
    assert client_for(staff=False).post(f"{base}/cancel/").status_code == 403
    move(ready_job, JobState.QUEUED, JobState.RUNNING, JobState.SUCCEEDED)
    response = staff_api.post(f"{base}/cancel/")
    assert response.status_code == 409
    assert response.json()["error"]["message"].startswith(f"job {ready_job.pk}: succeeded → cancelled is not allowed")
    assert staff_api.post(f"{base}/retry/").status_code == 409
    assert Job.objects.get(pk=ready_job.pk).state == JobState.SUCCEEDED  # nothing half-written


def test_runs_log_and_outputs_of_a_failed_job(staff_api: APIClient, ready_job: Job) -> None:
    job = move(ready_job, JobState.QUEUED, JobState.RUNNING)
    TaskRun.objects.create(job=job, run=1, pool=0, position=0, name="OL1_SIM", version="1.0", executable="/x",
                           critical=True, worker="w@h", started_at=AT, finished_at=AT, exit_code=130,
                           outcome="error", wall_s=1.5, cpu_user_s=0.25, cpu_system_s=0.5, max_rss_kib=2048)
    for seq, level in enumerate("IWEI", start=1):
        JobLogLine.objects.create(job=job, run=1, seq=seq, task="OL1_SIM", stream="stdout", at=AT, level=level,
                                  message=f"line {seq}")
    job_transition(job=job, to=JobState.FAILED, reason="task OL1_SIM failed (exit code 130)")
    JobMissingOutput.objects.create(job=job, product_type="OL_1_EFR___", mandatory=True, recorded_at=AT)
    base = f"/api/v1/production/jobs/{job.pk}"

    runs = staff_api.get(f"{base}/runs/").json()
    assert [(r["name"], r["exit_code"], r["outcome"], r["wall_s"], r["max_rss_kib"]) for r in runs] == [
        ("OL1_SIM", 130, "error", 1.5, 2048)]
    page = staff_api.get(f"{base}/log/?levels=WE").json()
    assert [(line["seq"], line["level"], line["message"]) for line in page["lines"]] == [
        (2, "W", "line 2"), (3, "E", "line 3")]
    assert page["next_after"] == 3
    assert [line["seq"] for line in staff_api.get(f"{base}/log/?after=2&limit=1").json()["lines"]] == [3]
    assert staff_api.get(f"{base}/outputs/").json() == {
        "job": job.pk, "state": "failed", "run": 1, "workdir_archive_key": "", "outputs": [],
        "missing": [{"product_type": "OL_1_EFR___", "mandatory": True, "expected_count": 1}]}


def test_retry_of_a_failed_job_prepares_it_again_with_a_fresh_retry_budget(staff_api: APIClient,
                                                                          ready_job: Job) -> None:
    job = move(ready_job, JobState.QUEUED, JobState.RUNNING)
    job_transition(job=job, to=JobState.FAILED, reason="boom", fields={"automatic_retries": 3})
    response = staff_api.post(f"/api/v1/production/jobs/{job.pk}/retry/")
    assert response.status_code == 200
    assert (response.json()["state"], response.json()["automatic_retries"]) == ("ready", 0)


def test_retry_of_a_retrying_job_sends_it_now(staff_api: APIClient, ready_job: Job) -> None:
    job = move(ready_job, JobState.QUEUED, JobState.RUNNING)
    job_transition(job=job, to=JobState.RETRYING, reason="storage down",
                   fields={"automatic_retries": 2, "retry_at": datetime(2100, 1, 1, tzinfo=UTC)})
    response = staff_api.post(f"/api/v1/production/jobs/{job.pk}/retry/")
    assert response.status_code == 200
    job.refresh_from_db()
    assert job.automatic_retries == 0 and job.retry_at is not None and job.retry_at.year < 2100


def test_resubmit_makes_a_new_job_over_the_same_products(staff_api: APIClient, ready_job: Job) -> None:
    job = move(ready_job, JobState.QUEUED, JobState.RUNNING, JobState.SUCCEEDED)
    first = staff_api.post(f"/api/v1/production/jobs/{job.pk}/resubmit/")
    second = staff_api.post(f"/api/v1/production/jobs/{job.pk}/resubmit/")
    assert (first.status_code, second.status_code) == (201, 201)
    assert [first.json()["group_key"], second.json()["group_key"]] == [
        f"{job.group_key}#resubmit-1", f"{job.group_key}#resubmit-2"]
    assert first.json()["state"] == "ready"
    new = Job.objects.get(pk=first.json()["id"])
    assert list(new.members.values_list("product_name", flat=True)) == list(
        job.members.values_list("product_name", flat=True))
    assert Job.objects.get(pk=job.pk).state == JobState.SUCCEEDED


def test_the_dispatcher_sends_ready_jobs_and_due_retries_whose_message_was_lost(ready_job: Job) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from rs.production.execution.claims import jobs_dispatch_due

    assert jobs_dispatch_due() == 0  # just made ready: its own on-commit dispatch is in flight
    assert jobs_dispatch_due(now=timezone.now() + timedelta(seconds=30)) == 1
    job = Job.objects.get(pk=ready_job.pk)
    assert (job.state, job.transitions.last().reason) == (JobState.QUEUED, "dispatched by the sweep")
    move(job, JobState.RUNNING)
    job_transition(job=job, to=JobState.RETRYING, reason="storage down",
                   fields={"retry_at": timezone.now() - timedelta(seconds=120)})
    assert jobs_dispatch_due() == 1
    assert Job.objects.get(pk=job.pk).state == JobState.QUEUED


def test_the_reaper_retries_a_job_whose_worker_vanished_then_fails_it(ready_job: Job, settings: object) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from rs.production.execution.claims import jobs_reap

    settings.RS_EXECUTION_MAX_RETRIES = 1  # type: ignore[attr-defined]
    settings.RS_EXECUTION_RETRY_BACKOFF_S = 30  # type: ignore[attr-defined]
    job = move(ready_job, JobState.QUEUED)
    job_transition(job=job, to=JobState.RUNNING, fields={
        "run": 1, "worker": "w1@gone", "lease_until": timezone.now() + timedelta(seconds=60)})
    assert jobs_reap() == 0  # the lease is valid
    assert jobs_reap(now=timezone.now() + timedelta(seconds=61)) == 1
    job.refresh_from_db()
    assert (job.state, job.automatic_retries) == (JobState.RETRYING, 1)
    assert job.reason.startswith("worker lost: w1@gone stopped renewing the lease of run 1 (due ")
    assert job.reason.endswith(") — automatic retry 1/1 in 30 s")
    move(job, JobState.QUEUED)
    job_transition(job=job, to=JobState.RUNNING, fields={
        "run": 2, "worker": "w2@gone", "lease_until": timezone.now() - timedelta(seconds=1)})
    assert jobs_reap() == 1
    job.refresh_from_db()
    assert job.state == JobState.FAILED
    assert job.reason.endswith("(after 1 automatic retries)")
    assert list(JobMissingOutput.objects.filter(job=job).values_list("product_type", "mandatory")) == [
        ("OL_1_EFR___", True)]
