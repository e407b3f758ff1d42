"""Production rules: grouping into jobs, sampled systematic production, schedule-triggered rules."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.gis.geos import MultiPolygon, Polygon
from django.core.exceptions import ValidationError
from django.utils import timezone

from rs.production import services
from rs.production.models import Job, RuleRecurringWindow, RuleTimeWindow
from rs.production.tests import builders
from rs.production.tests.builders import at, aux, level
from rs.production.tests.tables import table_xml

pytestmark = pytest.mark.django_db


@pytest.fixture
def version():
    return services.processor_import(data=table_xml(main="IW_RAW__0S", main_policy="ValIntersect"))


def segment(start: float, stop: float, *, datatake: int = 0x021735, platform: str = "A", **kwargs):
    return level("IW_RAW__0S", start=at(start), stop=at(stop), platform=platform, family="L0_SEGMENT",
                 attributes={"datatakeID": datatake}, **kwargs)


def test_segments_of_one_datatake_make_one_job_whose_interval_grows(version, deliver):
    builders.rule(version, name="asp", product_types="IW_RAW__0S", grouping="datatake")
    deliver(segment(0, 60))
    deliver(segment(60, 180))
    deliver(segment(0, 50, datatake=0x021736))
    jobs = {j.group_key: j for j in Job.objects.all()}
    assert sorted(jobs) == ["A:021735", "A:021736"]
    first = jobs["A:021735"]
    assert (first.interval_start, first.interval_stop) == (at(0), at(180))
    assert first.members.count() == 2
    main = first.inputs.get(key="1.1.1")
    assert main.files.count() == 2  # ValIntersect over the grown interval selects both segments


def test_the_datatake_comes_from_the_s1_name_when_the_attribute_is_missing(version, deliver):
    builders.rule(version, name="asp", product_types="IW_RAW__0S", grouping="datatake")
    deliver(level("IW_RAW__0S", start=at(0), stop=at(10), attributes={},
                  name="S1A_IW_RAW__0SDV_20171213T121623_20171213T121656_019684_021735_C6DB.SAFE"))
    assert Job.objects.get().group_key == "A:021735"


def test_session_files_group_by_session_id(version, deliver):
    builders.rule(version, name="aiop", product_types="IW_RAW__0S", grouping="session")
    deliver(level("IW_RAW__0S", start=at(0), stop=at(10), attributes={"sessionId": "S1A_20200120185900030888"}))
    deliver(level("IW_RAW__0S", start=at(5), stop=at(20), name="DCS_02_S1A_20200120185900030888_ch2_DSDB_00001.raw"))
    job = Job.objects.get()
    assert (job.group_key, job.interval_start, job.interval_stop) == ("A:S1A_20200120185900030888", at(0), at(20))


def test_a_product_that_cannot_be_grouped_creates_no_job(version, deliver):
    builders.rule(version, name="aiop", product_types="IW_RAW__0S", grouping="session")
    deliver(level("IW_RAW__0S", start=at(0), stop=at(10)))
    assert Job.objects.count() == 0


def test_time_windows_give_fixed_job_intervals_and_granule_windows_grow(version, deliver):
    builders.rule(version, name="frames", product_types="IW_RAW__0S", grouping="time_window", window_s=180)
    builders.rule(version, name="granules", product_types="IW_RAW__0S", grouping="granule_window", window_s=180)
    deliver(segment(10, 20))
    deliver(segment(30, 40))
    deliver(segment(200, 210))
    frames = sorted(Job.objects.filter(rule__name="frames").values_list("interval_start", "interval_stop"))
    assert frames == [(at(0), at(180)), (at(180), at(360))]
    granules = sorted(Job.objects.filter(rule__name="granules").values_list("interval_start", "interval_stop"))
    assert granules == [(at(10), at(40)), (at(200), at(210))]


def test_every_nth_datatake_is_sampled(version, deliver):
    builders.rule(version, name="sampled", product_types="IW_RAW__0S", grouping="datatake",
                  sample_every_nth_datatake=3)
    for datatake in (30, 31, 32, 33):
        deliver(segment(datatake * 100, datatake * 100 + 10, datatake=datatake))
    assert sorted(Job.objects.values_list("group_key", flat=True)) == ["A:00001E", "A:000021"]


def test_only_products_intersecting_the_area_are_processed(version, deliver):
    area = MultiPolygon(Polygon.from_bbox((110, -35, 120, -25)), srid=4326)
    builders.rule(version, name="australia", product_types="IW_RAW__0S", area=area)
    deliver(segment(0, 10))  # the factory footprint is off Western Australia
    deliver(segment(100, 110, footprint=Polygon.from_bbox((10, 40, 12, 42))))
    deliver(segment(200, 210, footprint=None))
    assert Job.objects.get().interval_start == at(0)


def test_only_products_sensed_inside_the_time_windows_are_processed(version, deliver):
    rule = builders.rule(version, name="windows", product_types="IW_RAW__0S")
    RuleTimeWindow.objects.create(rule=rule, start=at(100), stop=at(200))
    deliver(segment(50, 60))
    deliver(segment(100, 110))
    deliver(segment(200, 210))  # the window stop is exclusive
    assert list(Job.objects.values_list("interval_start", flat=True)) == [at(100)]


def test_a_schedule_rule_collects_the_products_catalogued_since_its_last_run(version):
    rule = builders.rule(version, name="stc", product_types="IW_RAW__0S", trigger="schedule", interval_minutes=15,
                         last_run_at=timezone.now() - timedelta(minutes=20))
    segment(0, 10)
    segment(100, 110)
    aux("AUX_CAL", start=at(-1000), stop=None)  # another type: not collected
    now = timezone.now()
    assert services.schedule_rules_run(now=now) == 2
    assert Job.objects.count() == 2
    rule.refresh_from_db()
    assert rule.last_run_at == now
    # not due again before 15 minutes, and then nothing new is collected
    assert services.schedule_rules_run(now=now + timedelta(minutes=14)) == 0
    segment(300, 310)
    assert services.schedule_rules_run(now=timezone.now() + timedelta(minutes=15)) == 1
    assert Job.objects.count() == 3


def test_schedule_rules_ignore_catalog_events(version, deliver):
    builders.rule(version, name="ntc", product_types="IW_RAW__0S", trigger="schedule", interval_minutes=15)
    deliver(segment(0, 10))
    assert Job.objects.count() == 0


def test_a_group_settles_before_it_is_ready_and_each_new_member_restarts_the_wait(version, deliver):
    builders.rule(version, name="asp", product_types="IW_RAW__0S", grouping="datatake", settle_s=300)
    aux("AUX_CAL", start=at(-1000), stop=None)
    deliver(segment(0, 60))
    job = Job.objects.get()
    first_settle = job.settle_until
    assert job.state == "waiting_inputs" and job.next_check_at == first_settle
    assert job.inputs.filter(status="missing").count() == 0
    from rs.production import selectors

    assert selectors.job_why(job_id=job.pk)["summary"].startswith("settling until ")
    deliver(segment(60, 120))
    job.refresh_from_db()
    assert job.settle_until > first_settle and job.next_check_at == job.settle_until
    assert services.jobs_timeouts_check(now=first_settle) == 0  # not due any more
    assert services.jobs_timeouts_check(now=job.settle_until) == 1
    job.refresh_from_db()
    assert job.state == "ready" and job.members.count() == 2


# --- recurring time windows -------------------------------------------------------------------------------------------


def test_recurring_windows_open_after_each_cron_firing_for_their_duration(version, deliver):
    # at(0) is Tuesday 2024-06-04 12:00:00Z
    rule = builders.rule(version, name="noon", product_types="IW_RAW__0S")
    RuleRecurringWindow.objects.create(rule=rule, cron="0 12 * * *", duration_s=120)
    for start in (-1, 0, 119.999, 120, 86400 + 30, 43200):
        deliver(segment(start, start + 1))
    # inside: 12:00:00 and 12:01:59.999 on Tuesday, 12:00:30 on Wednesday; outside: 11:59:59, 12:02:00 (the end is
    # exclusive) and midnight
    assert sorted(Job.objects.values_list("interval_start", flat=True)) == [at(0), at(119.999), at(86400 + 30)]


def test_recurring_windows_follow_the_day_of_week_and_add_up_with_fixed_windows(version, deliver):
    rule = builders.rule(version, name="wednesdays", product_types="IW_RAW__0S")
    RuleRecurringWindow.objects.create(rule=rule, cron="0 12 * * WED", duration_s=3600)
    RuleTimeWindow.objects.create(rule=rule, start=at(-10), stop=at(10))
    deliver(segment(5, 6))  # Tuesday, inside the fixed window only
    deliver(segment(600, 601))  # Tuesday 12:10: neither
    deliver(segment(86400 + 600, 86400 + 601))  # Wednesday 12:10: the recurring window
    assert sorted(Job.objects.values_list("interval_start", flat=True)) == [at(5), at(86400 + 600)]


def test_a_product_outside_every_window_is_reported_by_the_dry_run(version):
    rule = builders.rule(version, name="noon", product_types="IW_RAW__0S")
    RuleRecurringWindow.objects.create(rule=rule, cron="0 12 * * *", duration_s=60)
    product = segment(61, 62)
    plan = services_plan(product)
    assert plan["jobs"] == []
    assert plan["skipped"] == [{"product": product.name, "rule": "noon",
                                "reason": f"sensing start {at(61).isoformat()} is outside the rule's time windows"}]


def services_plan(product):
    from rs.production.planning import plan_for_product

    return plan_for_product(product_id=product.id).as_json()


def test_a_recurring_window_with_a_bad_cron_expression_is_refused_with_the_field(version):
    rule = builders.rule(version, name="bad", product_types="IW_RAW__0S")
    with pytest.raises(ValidationError) as refused:
        RuleRecurringWindow(rule=rule, cron="61 * * * *", duration_s=60).full_clean()
    assert refused.value.message_dict == {"cron": ["minute field '61': values must be within 0-59"]}
    with pytest.raises(ValidationError) as refused:
        RuleRecurringWindow(rule=rule, cron="0 12 * *", duration_s=60).full_clean()
    assert refused.value.message_dict == {
        "cron": ["cron expression '0 12 * *': expected 5 fields (minute hour day month weekday), got 4"]}


# --- granule-window completeness (S3) ---------------------------------------------------------------------------------


@pytest.fixture
def granules(version):
    aux("AUX_CAL", start=at(-1000), stop=None)
    return builders.rule(version, name="granules", product_types="IW_RAW__0S", grouping="granule_window",
                         window_s=180, granule_gap_s=1)


def granule(start: float, stop: float, position: str | None = None):
    return level("IW_RAW__0S", start=at(start), stop=at(stop), family="L0_SEGMENT",
                 attributes={"granulePosition": position} if position else {})


def test_a_granule_window_waits_until_its_granules_cover_it_and_a_late_granule_fills_the_hole(granules, deliver):
    deliver(granule(0, 60))
    deliver(granule(120, 180))
    job = Job.objects.get()
    assert (job.state, job.reason) == (
        "waiting_inputs", f"waiting for granules: no granule from {at(60).isoformat()} to {at(120).isoformat()}")
    assert job.next_check_at == job.mandatory_deadline_at
    from rs.production import selectors

    assert selectors.job_why(job_id=job.pk)["summary"] == job.reason
    deliver(granule(60, 120))  # inside the interval already: it still completes the window
    job.refresh_from_db()
    assert (job.state, job.reason, job.members.count()) == ("ready", "", 3)
    assert job.inputs.get(key="1.1.1").files.count() == 3


def test_gaps_up_to_the_threshold_are_tolerated_and_the_window_end_is_awaited(granules, deliver):
    deliver(granule(0, 60))
    deliver(granule(61, 178.5))  # 1 s gap tolerated; 1.5 s missing at the end of the window is not
    job = Job.objects.get()
    assert job.reason == f"waiting for granules: no granule from {at(178.5).isoformat()} to {at(180).isoformat()}"
    deliver(granule(179, 181))
    job.refresh_from_db()
    assert job.state == "ready"


def test_the_first_and_last_granule_of_a_dump_bound_what_must_be_covered(granules, deliver):
    deliver(granule(380, 440))  # window [360, 540): without a position its start must be covered too
    later = Job.objects.get()
    assert later.reason == f"waiting for granules: no granule from {at(360).isoformat()} to {at(380).isoformat()}"
    deliver(granule(200, 260, position="FIRST"))  # window [180, 360): the dump starts at 200
    job = Job.objects.get(group_key=f"A:{at(180):%Y%m%dT%H%M%S}")
    assert job.reason == f"waiting for granules: no granule from {at(260).isoformat()} to {at(360).isoformat()}"
    deliver(granule(260, 300, position="LAST"))  # and ends at 300
    job.refresh_from_db()
    assert (job.state, job.reason, job.interval_start, job.interval_stop) == ("ready", "", at(200), at(300))


def test_without_edge_waiting_only_gaps_between_granules_count(granules, deliver):
    granules.granule_wait_edges = False
    granules.save()
    deliver(granule(200, 260))
    assert Job.objects.get().state == "ready"
    deliver(granule(10, 20))
    deliver(granule(30, 40))
    job = Job.objects.get(group_key=f"A:{at(0):%Y%m%dT%H%M%S}")
    assert job.reason == f"waiting for granules: no granule from {at(20).isoformat()} to {at(30).isoformat()}"


def test_an_incomplete_granule_window_fails_at_the_mandatory_deadline_with_the_gap(granules, deliver):
    deliver(granule(0, 100))
    job = Job.objects.get()
    assert services.jobs_timeouts_check(now=job.mandatory_deadline_at - timedelta(seconds=1)) == 0
    assert services.jobs_timeouts_check(now=job.mandatory_deadline_at) == 1
    job.refresh_from_db()
    assert (job.state, job.reason) == (
        "failed", f"granule window incomplete: no granule from {at(100).isoformat()} to {at(180).isoformat()}")


def test_granule_completeness_is_only_for_granule_windows(version):
    rule = builders.rule(version, name="slices", product_types="IW_RAW__0S", granule_gap_s=1)
    with pytest.raises(ValidationError) as refused:
        rule.full_clean()
    assert refused.value.message_dict["granule_gap_s"] == ["Only granule-window groupings check granule completeness."]
