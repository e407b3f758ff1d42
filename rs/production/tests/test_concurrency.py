"""Several preparation workers on the same events create each job once: threads on PostGIS calling the delivery
service concurrently, and real Celery workers on the `preparation` queue."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from django.db import connection

from rs.catalog import services as catalog_services
from rs.catalog.models import CatalogEvent, EventDelivery
from rs.production import services
from rs.production.choices import JobState
from rs.production.consumers import PREPARATION_CONSUMER
from rs.production.models import Job, JobMember, JobTransition
from rs.production.tests import builders
from rs.production.tests.builders import at, aux, level
from rs.production.tests.tables import table_xml


def run_together(calls: list[Callable[[], object]]) -> list[object]:
    """Run the calls in threads released at the same instant; each thread has its own database connection."""
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def worker(n: int) -> None:
        try:
            barrier.wait()
            results[n] = calls[n]()
        except Exception as exc:
            results[n] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def deliver(event_id: int) -> Callable[[], bool]:
    return lambda: catalog_services.event_deliver(event_id=event_id, consumer_name=PREPARATION_CONSUMER)


def created_event(product) -> int:
    return CatalogEvent.objects.get(product_id=product.id, kind="created").pk


@pytest.fixture
def datatake_rule(transactional_db):
    version = services.processor_import(data=table_xml(main_policy="ValIntersect"))
    return builders.rule(version, name="asp", product_types="IW_RAW__0S", grouping="datatake")


def test_two_workers_delivering_segments_of_one_datatake_create_one_job(datatake_rule):
    for round_ in range(8):
        datatake = 0x100 + round_
        segments = [level("IW_RAW__0S", start=at(round_ * 1000 + n * 60), stop=at(round_ * 1000 + n * 60 + 60),
                          attributes={"datatakeID": datatake}) for n in range(2)]
        results = run_together([deliver(created_event(s)) for s in segments])
        assert results == [True, True]
    assert Job.objects.count() == 8
    assert sorted(Job.objects.values_list("group_key", flat=True)) == [f"A:{0x100 + n:06X}" for n in range(8)]
    assert JobMember.objects.count() == 16
    assert JobTransition.objects.filter(from_state="").count() == 8  # each job created once


def test_two_workers_on_the_same_event_deliver_it_once(datatake_rule):
    segment = level("IW_RAW__0S", start=at(0), stop=at(60), attributes={"datatakeID": 7})
    results = run_together([deliver(created_event(segment)), deliver(created_event(segment))])
    assert sorted(results) == [False, True]
    assert Job.objects.count() == 1


def test_concurrent_aux_arrivals_complete_a_waiting_job_once(datatake_rule):
    segment = level("IW_RAW__0S", start=at(0), stop=at(60), attributes={"datatakeID": 7})
    deliver(created_event(segment))()
    job = Job.objects.get()
    assert job.state == JobState.WAITING_INPUTS
    cal = [aux("AUX_CAL", start=at(-1000), stop=None) for _ in range(2)]
    results = run_together([deliver(created_event(c)) for c in cal])
    assert results == [True, True]
    # a worker that found the job locked left it to a follow-up task; run what it would run
    for product in cal:
        services.job_reevaluate(job_id=job.pk, product_type=product.product_type)
    job.refresh_from_db()
    # ready once, and queued for execution as soon as that commit landed
    assert job.state == JobState.QUEUED
    assert list(JobTransition.objects.filter(job=job).values_list("to_state", flat=True)) == [
        JobState.WAITING_INPUTS, JobState.READY, JobState.QUEUED]


def wait_for(condition: Callable[[], bool], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"condition not met within {timeout}s")


@pytest.mark.slow
def test_two_celery_preparation_workers_create_each_job_once(celery_worker_factory, datatake_rule):
    # given two real workers consuming the preparation queue
    for _ in range(2):
        celery_worker_factory(queues="preparation").start()
    # when the segments of 5 datatakes (4 each) are catalogued; each commit enqueues its deliveries
    for datatake in range(5):
        for n in range(4):
            level("IW_RAW__0S", start=at(datatake * 1000 + n * 30), stop=at(datatake * 1000 + n * 30 + 30),
                  attributes={"datatakeID": 0x200 + datatake})
    pending = EventDelivery.objects.filter(consumer=PREPARATION_CONSUMER, delivered_at__isnull=True)
    wait_for(lambda: not pending.exists())
    # then there is one job per datatake with its four segments, each created once
    assert sorted(Job.objects.values_list("group_key", flat=True)) == [f"A:{0x200 + n:06X}" for n in range(5)]
    assert [j.members.count() for j in Job.objects.order_by("group_key")] == [4, 4, 4, 4, 4]
    assert JobTransition.objects.filter(from_state="").count() == 5
    assert all(j.interval_stop - j.interval_start == at(120) - at(0) for j in Job.objects.all())
