"""The job state machine: allowed transitions are timestamped and logged, illegal ones refused."""

from __future__ import annotations

import pytest

from rs.production import services
from rs.production.choices import ALLOWED_TRANSITIONS, STATE_TIMESTAMP_FIELD, JobState
from rs.production.models import Job, JobAwaitedType
from rs.production.tests import builders
from rs.production.tests.builders import at, aux, level
from rs.production.tests.tables import table_xml
from rs.production.transitions import IllegalTransition, job_transition

pytestmark = pytest.mark.django_db


@pytest.fixture
def waiting_job(deliver) -> Job:
    version = services.processor_import(data=table_xml())
    builders.rule(version, name="r", product_types="IW_RAW__0S")
    deliver(level("IW_RAW__0S", start=at(0), stop=at(25)))
    return Job.objects.get()


def test_every_state_has_a_timestamp_and_a_transition_rule():
    assert set(STATE_TIMESTAMP_FIELD) == set(JobState.values) == set(ALLOWED_TRANSITIONS)


def test_a_job_goes_through_its_life_with_a_timestamp_for_each_state(waiting_job, deliver):
    deliver(aux("AUX_CAL", start=at(-1000), stop=None))
    job = Job.objects.get()
    assert job.state == JobState.READY
    for state in (JobState.QUEUED, JobState.RUNNING, JobState.SUCCEEDED):
        job_transition(job=job, to=state)
    job.refresh_from_db()
    assert job.state == JobState.SUCCEEDED
    assert job.created_at <= job.waiting_at <= job.ready_at <= job.queued_at <= job.running_at <= job.succeeded_at
    assert list(job.transitions.values_list("from_state", "to_state")) == [
        ("", "waiting_inputs"), ("waiting_inputs", "ready"), ("ready", "queued"), ("queued", "running"),
        ("running", "succeeded")]


@pytest.mark.parametrize(("path", "refused"), [
    ([], JobState.RUNNING),
    ([], JobState.SUCCEEDED),
    ([JobState.CANCELLED], JobState.WAITING_INPUTS),
    ([JobState.FAILED], JobState.QUEUED),
])
def test_illegal_transitions_are_refused_and_change_nothing(waiting_job, path, refused):
    job = waiting_job
    for state in path:
        job_transition(job=job, to=state)
    before = Job.objects.get(pk=job.pk).state
    with pytest.raises(IllegalTransition) as error:
        job_transition(job=job, to=refused)
    assert error.value.status == 409 and error.value.code == "illegal_transition"
    assert str(error.value).startswith(f"job {job.pk}: {before} → {refused} is not allowed")
    assert Job.objects.get(pk=job.pk).state == before


def test_a_stale_copy_cannot_move_a_job_another_worker_moved(waiting_job):
    stale = Job.objects.get(pk=waiting_job.pk)
    job_transition(job=waiting_job, to=JobState.CANCELLED)
    with pytest.raises(IllegalTransition, match="cancelled → ready"):
        job_transition(job=stale, to=JobState.READY)


def test_leaving_preparation_removes_the_awaited_types(waiting_job):
    assert JobAwaitedType.objects.filter(job=waiting_job).exists()
    services.job_cancel(job_id=waiting_job.pk)
    assert not JobAwaitedType.objects.filter(job=waiting_job).exists()
    assert Job.objects.get(pk=waiting_job.pk).cancelled_at is not None


def test_a_failed_job_can_be_retried_and_counts_its_attempts(waiting_job):
    job_transition(job=waiting_job, to=JobState.FAILED, reason="boom")
    job_transition(job=waiting_job, to=JobState.RETRYING)
    job_transition(job=waiting_job, to=JobState.QUEUED)
    job = Job.objects.get(pk=waiting_job.pk)
    assert (job.state, job.attempts, job.reason) == (JobState.QUEUED, 1, "")
    assert job.failed_at and job.retrying_at and job.queued_at
