"""The last two jobs of an order ending in two transactions at the same time: the order still ends (the transition
hook locks the order row before counting its open jobs, so the second one to count sees the first committed); and a
cancellation racing a worker ending one of its jobs does not deadlock."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, transaction

from rs.production import services
from rs.production.models import Job, ProductionOrder
from rs.production.orders import services as order_services
from rs.production.orders.validation import OrderRequest
from rs.production.tests import builders
from rs.production.tests.builders import at, aux, level
from rs.production.tests.tables import table_xml
from rs.production.transitions import job_transition

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def two_running_jobs() -> tuple[ProductionOrder, Job, Job]:
    version = services.processor_import(data=table_xml())
    builders.rule(version, name="test-l1", product_types="IW_RAW__0S")
    aux("AUX_CAL", start=at(-1000), stop=None)
    products = [level("IW_RAW__0S", start=at(n * 100), stop=at(n * 100 + 25)) for n in range(2)]
    order, _ = order_services.order_create(request=OrderRequest(
        processor_version_id=version.pk, product_ids=[str(p.id) for p in products]))
    first, second = Job.objects.filter(rule__order=order).order_by("pk")
    for job in (first, second):
        assert job.state == "queued"  # dispatched to the execution queues once the order committed
        job_transition(job=job, to="running")
    return order, first, second


def in_thread(target) -> threading.Thread:
    def run() -> None:
        try:
            target()
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_two_last_jobs_ending_together_end_the_order(two_running_jobs):
    order, first, second = two_running_jobs
    order_locked = threading.Event()
    errors: list[BaseException] = []

    def end_first() -> None:
        with transaction.atomic():
            ProductionOrder.objects.select_for_update().get(pk=order.pk)  # hold the order row first
            order_locked.set()
            time.sleep(1.0)  # the other transaction ends its job and waits for the order row meanwhile
            job_transition(job=Job.objects.get(pk=first.pk), to="succeeded")
            # its count ran while the second job's change was not committed: the order is not finished here
            assert ProductionOrder.objects.get(pk=order.pk).state == "running"

    def end_second() -> None:
        order_locked.wait(10)
        try:
            with transaction.atomic():
                job_transition(job=Job.objects.get(pk=second.pk), to="failed")
        except BaseException as exc:
            errors.append(exc)

    threads = [in_thread(end_first), in_thread(end_second)]
    for thread in threads:
        thread.join(30)

    assert errors == []
    finished = ProductionOrder.objects.get(pk=order.pk)
    assert (finished.state, finished.finished_at is not None) == ("partially_failed", True)


def test_a_cancellation_racing_a_worker_ending_a_job_does_not_deadlock(two_running_jobs):
    order, first, _second = two_running_jobs
    job_locked = threading.Event()
    outcome: dict[str, object] = {}

    def worker_ends_job() -> None:
        with transaction.atomic():
            job = Job.objects.select_for_update().get(pk=first.pk)  # a worker holding its job
            job_locked.set()
            time.sleep(1.0)
            job_transition(job=job, to="succeeded")  # then the hook takes the order row
        outcome["worker"] = "done"

    def operator_cancels() -> None:
        job_locked.wait(10)
        try:
            outcome["order"] = order_services.order_cancel(order_id=order.pk).state
        except BaseException as exc:
            outcome["order"] = exc

    threads = [in_thread(worker_ends_job), in_thread(operator_cancels)]
    for thread in threads:
        thread.join(30)

    assert outcome == {"worker": "done", "order": "cancelled"}
    assert sorted(Job.objects.filter(rule__order=order).values_list("state", flat=True)) == ["cancelled", "succeeded"]
