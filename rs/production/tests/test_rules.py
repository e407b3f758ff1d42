"""Production rules: grouping into jobs, sampled systematic production, schedule-triggered rules."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.gis.geos import MultiPolygon, Polygon
from django.utils import timezone

from rs.production import services
from rs.production.models import Job, RuleTimeWindow
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
