from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from rs.monitoring import jobs_source
from rs.monitoring.tests.production_jobs import job_finish, ready_jobs
from rs.production.choices import JobState
from rs.production.models import Job

pytestmark = pytest.mark.django_db


@pytest.fixture
def three_jobs() -> list[Job]:
    return ready_jobs(3)


def test_outcomes_count_jobs_ended_in_the_period_and_the_backlog_the_unfinished_ones(three_jobs):
    succeeded, failed, unfinished = three_jobs
    job_finish(succeeded, JobState.SUCCEEDED)
    job_finish(failed, JobState.FAILED)
    now = timezone.now()

    outcomes = jobs_source.job_outcomes_by_processor(start=now - timedelta(hours=1), end=now + timedelta(hours=1))

    assert outcomes == {"TEST_L1": {"succeeded": 1, "failed": 1}}
    assert jobs_source.jobs_backlog() == {unfinished.state: 1}
    assert jobs_source.jobs_by_state_and_processor() == {
        ("succeeded", "TEST_L1"): 1, ("failed", "TEST_L1"): 1, (unfinished.state, "TEST_L1"): 1,
    }
    assert jobs_source.job_outcomes_by_processor(start=now - timedelta(hours=2), end=now - timedelta(hours=1)) == {}


def test_a_validation_campaigns_jobs_count_in_the_gauges_only(three_jobs):
    from rs.production.tests import builders

    campaign_rule = builders.rule(three_jobs[0].processor_version, name="campaign-run", enabled=False,
                                  output_scope="campaign-7-v1-r1")
    operational, campaign_failed, campaign_waiting = three_jobs
    Job.objects.filter(pk__in=[campaign_failed.pk, campaign_waiting.pk]).update(rule=campaign_rule)
    job_finish(operational, JobState.SUCCEEDED)
    job_finish(campaign_failed, JobState.FAILED)
    now = timezone.now()

    outcomes = jobs_source.job_outcomes_by_processor(start=now - timedelta(hours=1), end=now + timedelta(hours=1))

    assert outcomes == {"TEST_L1": {"succeeded": 1}}
    assert jobs_source.jobs_backlog() == {}
    assert jobs_source.jobs_by_state_and_processor() == {
        ("succeeded", "TEST_L1"): 1, ("failed", "TEST_L1"): 1, (campaign_waiting.state, "TEST_L1"): 1,
    }
