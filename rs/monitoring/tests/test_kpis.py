from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from rs.catalog.tests import factories
from rs.monitoring.kpis import kpis_by_pi_type
from rs.monitoring.pi_types import ProductClass, pi_type_of
from rs.monitoring.tests.timelines import DAY, HOUR, T0, product_published_after

pytestmark = pytest.mark.django_db

@pytest.fixture
def timeline():
    """S1 L1 NRT products (threshold 3 h), one S1 L1 FAST24 product (6 h) and one L0 segment (not counted)."""
    first = product_published_after(HOUR, job_id=1, content_start=T0 - DAY)              # on time
    product_published_after(3 * HOUR)                                                     # on time: equal is not late
    product_published_after(3 * HOUR + timedelta(seconds=1))                              # late, within 1 day
    product_published_after(3 * HOUR + 2 * DAY)                                           # within 2 days
    product_published_after(None)                                                         # not on the PRIP
    product_published_after(HOUR, job_id=2, content_start=first.content_start)            # duplicate of the first
    product_published_after(5 * HOUR, timeliness="Fast-24h")                              # S1-L12-NTC, on time
    product_published_after(HOUR, family="L0_SEGMENT", product_type="RF_RAW__0S")         # excluded
    now = timezone.now()
    return now - HOUR, now + HOUR


def test_timeliness_and_completeness_follow_the_formulas(timeline):
    start, end = timeline

    nrt = kpis_by_pi_type(start=start, end=end, pi_type="S1-L12-NRT")

    assert len(nrt) == 1
    kpis = nrt[0]
    assert (kpis.threshold_s, kpis.generated, kpis.duplicates, kpis.published, kpis.on_time, kpis.not_on_prip) == (
        10800, 5, 1, 4, 2, 1)
    assert kpis.timeliness == 2 / 4
    assert [kpis.completeness(days) for days in (0, 1, 2, 3, 7)] == [2 / 5, 3 / 5, 4 / 5, 4 / 5, 4 / 5]


def test_every_counted_pi_type_of_the_period_is_reported_and_excluded_ones_are_not(timeline):
    start, end = timeline

    kpis = kpis_by_pi_type(start=start, end=end)

    assert [(k.pi_type, k.generated, k.on_time) for k in kpis] == [("S1-L12-NRT", 5, 2), ("S1-L12-NTC", 1, 1)]


def test_products_outside_the_period_are_not_counted(timeline):
    start, _ = timeline

    assert kpis_by_pi_type(start=start - DAY, end=start) == []


def test_a_product_without_origin_date_counts_as_late():
    factories.product(publish=True, timeliness="NRT")
    now = timezone.now()

    [kpis] = kpis_by_pi_type(start=now - HOUR, end=now + HOUR)

    assert (kpis.pi_type, kpis.published, kpis.on_time, kpis.without_origin, kpis.timeliness) == (
        "S1-L12-NRT", 1, 0, 1, 0.0)


@pytest.mark.parametrize(("product", "pi_type"), [
    (ProductClass("S1", "L0_SLICE", "IW_RAW__0S", "IW", "NRT"), "S1-L0-NRT"),
    (ProductClass("S1", "L0_SLICE", "IW_RAW__0S", "IW", "FAST24"), "N/A:S1-L0-F24"),
    (ProductClass("S1", "L0_SLICE", "WV_RAW__0S", "WV", "FAST24"), "S1-L0-WV"),
    (ProductClass("S1", "L0_SEGMENT", "GP_RAW__0_", "", ""), "S1-L0-HKGP"),
    (ProductClass("S1", "L0_SEGMENT", "IW_RAW__0S", "IW", ""), "N/A:S1-L0-SEG"),
    (ProductClass("S1", "L1_SLICE", "IW_GRDH_1S", "IW", "Fast-24h"), "S1-L12-NTC"),
    (ProductClass("S1", "L2_SLICE", "WV_OCN__2S", "WV", "NRT"), "S1-L12-WV"),
    (ProductClass("S2", "S2_HKTM", "PRD_HKTM", "", ""), "S2-L0-HKAN"),
    (ProductClass("S2", "S2_L1C_TL", "MSI_L1C_TL", "", ""), "S2-L1C"),
    (ProductClass("S2", "S2_L2A_DS", "MSI_L2A_DS", "", ""), "S2-L2A"),
    (ProductClass("S2", "S2_L0_DS", "MSI_L0__DS", "", ""), "N/A:S2-L0"),
    (ProductClass("S3", "S3_L0", "TM_0_HKM___", "", "NR"), "S3-HKAN"),
    (ProductClass("S3", "S3_L0", "OL_0_EFR___", "", "NR"), "S3-NRT"),
    (ProductClass("S3", "S3_L2_STC", "SY_2_SYN___", "", "ST"), "S3-STC1"),
    (ProductClass("S3", "S3_L2_STC", "SR_2_LAN___", "", "ST"), "S3-STC2"),
    (ProductClass("S3", "S3_L1_NTC", "SR_1_SRA___", "", "NT"), "S3-NTC2"),
    (ProductClass("S3", "S3_L1_NTC", "OL_1_EFR___", "", "NT"), "S3-NTC1"),
    (ProductClass("S3", "S3_GRANULES", "OL_0_EFR___", "", ""), "N/A:S3-ISIP"),
    (ProductClass("S1", "AUXILIARY_FILE", "AUX_PP1", "", ""), "UNDEFINED"),
])
def test_the_classification_gives_the_pi_type(product, pi_type):
    assert pi_type_of(product) == pi_type


def test_outputs_recorded_missing_by_failed_jobs_count_against_completeness():
    from rs.monitoring.tests.production_jobs import job_finish, ready_jobs
    from rs.production.choices import JobState
    from rs.production.execution.claims import missing_outputs_record

    (job,) = ready_jobs(1)
    job_finish(job, JobState.FAILED)
    assert missing_outputs_record(job) == 1  # its Task Table declares one IW_GRDH_1S output
    product_published_after(HOUR)  # one S1 L1 NRT product made on time in the same period
    now = timezone.now()

    (kpis,) = kpis_by_pi_type(start=now - HOUR, end=now + HOUR, pi_type="S1-L12-NRT")

    assert (kpis.generated, kpis.estimated_missing, kpis.on_time) == (1, 1, 1)
    assert kpis.completeness(0) == 1 / 2


def test_outputs_missing_from_a_validation_campaigns_failed_job_do_not_count():
    from rs.monitoring.tests.production_jobs import job_finish, ready_jobs
    from rs.production.choices import JobState
    from rs.production.execution.claims import missing_outputs_record
    from rs.production.models import Job
    from rs.production.tests import builders

    (job,) = ready_jobs(1)
    campaign_rule = builders.rule(job.processor_version, name="campaign-run", enabled=False,
                                  output_scope="campaign-7-v2-r1")
    Job.objects.filter(pk=job.pk).update(rule=campaign_rule)
    job.refresh_from_db()
    job_finish(job, JobState.FAILED)
    assert missing_outputs_record(job) == 1
    product_published_after(HOUR)
    now = timezone.now()

    (kpis,) = kpis_by_pi_type(start=now - HOUR, end=now + HOUR, pi_type="S1-L12-NRT")

    assert (kpis.generated, kpis.estimated_missing) == (1, 0)


def test_a_pi_type_whose_every_job_failed_is_reported_with_nothing_made():
    from rs.monitoring.tests.production_jobs import job_finish, ready_jobs
    from rs.production.choices import JobState
    from rs.production.execution.claims import missing_outputs_record

    jobs = ready_jobs(2)
    for job in jobs:
        job_finish(job, JobState.FAILED)
        missing_outputs_record(job)
    now = timezone.now()

    kpis = kpis_by_pi_type(start=now - HOUR, end=now + HOUR)

    # the jobs' L0 inputs were catalogued in the period too; their L1 outputs were never made
    assert [(k.pi_type, k.generated, k.estimated_missing) for k in kpis] == [
        ("S1-L0-NRT", 2, 0), ("S1-L12-NRT", 0, 2)]
    assert kpis[1].completeness(7) == 0.0
