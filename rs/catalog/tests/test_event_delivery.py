"""Catalog events reach each consumer exactly once, through real Celery workers on Redis, even when the worker
delivering them is killed in the middle of the consumer or the send at commit is lost."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from conftest import ROOT, WorkerProcess, worker_database_url
from rs.catalog import services
from rs.catalog.events import event_consumer, event_consumer_remove
from rs.catalog.models import CatalogEvent, EventDelivery, ProductAttribute
from rs.catalog.tasks import event_deliver_task, events_redispatch_task
from rs.catalog.tests import factories

CONSUMERS = "rs.catalog.tests.event_consumers"
REDISPATCH_ENTRY = "catalog-events-redispatch"
REDISPATCH_AFTER_S = 1  # the workers' RS_EVENT_REDISPATCH_AFTER_S: a lost send is old enough after a second
WORKER_ENV = {"RS_EVENT_CONSUMER_MODULES": CONSUMERS, "RS_EVENT_REDISPATCH_AFTER_S": str(REDISPATCH_AFTER_S)}


@contextmanager
def consumers_registered(*names: str) -> Iterator[None]:
    """Register these test consumers (and not the others) in this process, which decides the delivery rows written
    with an event; the workers load them all through RS_EVENT_CONSUMER_MODULES."""
    from rs.catalog.tests import event_consumers

    for name, handler in event_consumers.HANDLERS.items():
        if name in names:
            event_consumer(name, kinds=["created"])(handler)
        else:
            event_consumer_remove(name)
    try:
        yield
    finally:
        for name in event_consumers.HANDLERS:
            event_consumer_remove(name)


@pytest.fixture
def delivery_counter() -> Iterator[str]:
    from rs.catalog.tests.event_consumers import CONSUMER_NAME

    with consumers_registered(CONSUMER_NAME):
        yield CONSUMER_NAME


@pytest.fixture
def two_counters() -> Iterator[tuple[str, str]]:
    from rs.catalog.tests.event_consumers import CONSUMER_NAME, SECOND_CONSUMER_NAME

    with consumers_registered(CONSUMER_NAME, SECOND_CONSUMER_NAME):
        yield CONSUMER_NAME, SECOND_CONSUMER_NAME


def wait_for(condition: Callable[[], bool], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"condition not met within {timeout}s")


def only_ours(event: CatalogEvent, *consumers: str) -> None:
    """Other apps' consumers (production, …) also receive `created`: count them as done, so figures are ours."""
    EventDelivery.objects.filter(event=event).exclude(consumer__in=consumers).update(delivered_at=timezone.now())


def count_of(product_id) -> int | None:
    row = ProductAttribute.objects.filter(product_id=product_id, name="testDeliveryCount").first()
    return None if row is None else row.value_integer


def counts_of(product_id: uuid.UUID, *consumers: str) -> dict[str, int | None]:
    """Each test consumer's committed deliveries of the product (None: never)."""
    from rs.catalog.tests.event_consumers import COUNTERS

    rows = dict(ProductAttribute.objects.filter(product_id=product_id, name__in=[COUNTERS[c] for c in consumers])
                .values_list("name", "value_integer"))
    return {c: rows.get(COUNTERS[c]) for c in consumers}


def deliveries_of(event: CatalogEvent, *consumers: str) -> list[tuple[str, bool, int]]:
    """(consumer, delivered, attempts) of the event's delivery rows for these consumers."""
    return [(name, delivered_at is not None, attempts) for name, delivered_at, attempts in
            EventDelivery.objects.filter(event=event, consumer__in=consumers).order_by("consumer")
            .values_list("consumer", "delivered_at", "attempts")]


def nothing_pending() -> bool:
    """No delivery of any event left (the test consumers' own `modified` events included)."""
    return not EventDelivery.objects.filter(delivered_at__isnull=True).exists()


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


REGISTER_ONE_PRODUCT = """
import django
django.setup()
from rs.catalog.tests import factories
print(factories.product(publish=False).id)
"""


def register_with_the_broker_down() -> subprocess.Popen[str]:
    """A process that registers one product through the catalog service while its broker refuses connections: the
    transaction commits, then every on-commit send fails."""
    env = {**os.environ, "DATABASE_URL": worker_database_url(), "RS_EVENT_CONSUMER_MODULES": CONSUMERS,
           "CELERY_BROKER_URL": f"redis://127.0.0.1:{closed_port()}/0"}
    return subprocess.Popen([sys.executable, "-c", REGISTER_ONE_PRODUCT], cwd=ROOT, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def registered_product(process: subprocess.Popen[str]) -> tuple[uuid.UUID, str]:
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    return uuid.UUID(out.split()[-1]), err


def beat_sends(entry_name: str) -> str:
    """Send a periodic task as `celery beat` does: beat's scheduler applies the entry of the settings' schedule (task
    name, arguments, options, routing). Returns the task id."""
    from celery.beat import Scheduler

    from rs.celery import app

    scheduler = Scheduler(app)
    return str(scheduler.apply_async(scheduler.schedule[entry_name]).id)


def logged_result(workers: Sequence[WorkerProcess], task_id: str, timeout: float = 15) -> str:
    """The return value a worker logged for this task (results are not stored: the rows are the truth)."""
    pattern = re.compile(rf"\[{re.escape(task_id)}\] succeeded in \S+: (.*)$", re.MULTILINE)
    found: list[str] = []

    def logged() -> bool:
        for worker in workers:
            match = pattern.search(worker.log_path.read_text())
            if match:
                found.append(match.group(1))
                return True
        return False

    wait_for(logged, timeout)
    return found[0]


def wait_until_older_than_redispatch_delay(event: CatalogEvent) -> None:
    wait_for(lambda: timezone.now() - event.created_at > timedelta(seconds=REDISPATCH_AFTER_S, milliseconds=100))


def test_a_committed_event_is_delivered_by_a_worker(celery_worker_factory, delivery_counter):
    worker = celery_worker_factory(queues="maintenance", extra_env={"RS_EVENT_CONSUMER_MODULES": CONSUMERS})
    worker.start()
    product = factories.product(publish=False)
    event = CatalogEvent.objects.get(product_id=product.id, kind="created")
    only_ours(event, delivery_counter)
    wait_for(lambda: EventDelivery.objects.get(event=event, consumer=delivery_counter).delivered_at is not None)
    assert count_of(product.id) == 1
    services.events_redispatch(older_than_s=0)  # closes the event if the worker finished before only_ours()
    event.refresh_from_db()
    assert event.dispatched_at is not None


def test_a_worker_killed_mid_delivery_leads_to_exactly_one_delivery(celery_worker_factory, delivery_counter,
                                                                     tmp_path: Path):
    marker = tmp_path / "in-consumer"
    slow = celery_worker_factory(
        queues="maintenance",
        extra_env={"RS_EVENT_CONSUMER_MODULES": CONSUMERS, "RS_TEST_CONSUMER_SLEEP": "60",
                   "RS_TEST_CONSUMER_MARKER": str(marker)},
    )
    slow.start()
    product = factories.product(publish=False)
    event = CatalogEvent.objects.get(product_id=product.id, kind="created")
    only_ours(event, delivery_counter)

    # given a worker in the middle of the consumer
    wait_for(marker.exists)
    # when it is killed with SIGKILL
    slow.kill()
    # then nothing of the interrupted delivery remains
    delivery = EventDelivery.objects.get(event=event, consumer=delivery_counter)
    assert delivery.delivered_at is None
    assert count_of(product.id) is None

    # when another worker starts and the periodic re-dispatch runs
    healthy = celery_worker_factory(queues="maintenance", extra_env={"RS_EVENT_CONSUMER_MODULES": CONSUMERS})
    healthy.start()
    assert services.events_redispatch(older_than_s=0) == 1
    wait_for(lambda: EventDelivery.objects.get(event=event, consumer=delivery_counter).delivered_at is not None)

    # then the consumer's effect happened exactly once, and repeating the dispatch changes nothing
    assert count_of(product.id) == 1
    services.events_redispatch(older_than_s=0)  # (other apps' consumers may still have the `modified` event)
    assert not EventDelivery.objects.filter(event=event, delivered_at__isnull=True).exists()
    assert services.event_deliver(event_id=event.pk, consumer_name=delivery_counter) is False
    assert count_of(product.id) == 1


def test_a_failing_consumer_is_retried_with_a_limit_and_its_error_kept(transactional_db, delivery_counter, settings):
    settings.RS_EVENT_MAX_ATTEMPTS = 2
    product = factories.product(publish=False)
    event = CatalogEvent.objects.get(product_id=product.id, kind="created")
    only_ours(event, delivery_counter)
    ProductAttribute.objects.create(product=product, name="testDeliveryCount", value_type="String",
                                    value_string="not an int")  # makes the consumer's assert fail
    for _ in range(2):
        with pytest.raises(AssertionError):
            services.event_deliver(event_id=event.pk, consumer_name=delivery_counter)
    delivery = EventDelivery.objects.get(event=event, consumer=delivery_counter)
    assert delivery.attempts == 2 and delivery.last_error.startswith("AssertionError")
    assert delivery.delivered_at is None
    assert services.events_redispatch(older_than_s=0) == 0  # exhausted: left for an operator, no endless loop


def test_a_chunk_of_events_is_delivered_one_transaction_each(transactional_db, delivery_counter):
    good, bad = factories.product(publish=False), factories.product(publish=False)
    events = [CatalogEvent.objects.get(product_id=p.id, kind="created") for p in (good, bad)]
    ProductAttribute.objects.create(product=bad, name="testDeliveryCount", value_type="String", value_string="x")
    assert services.events_deliver(event_ids=[e.pk for e in events], consumer_name=delivery_counter) == 1
    assert count_of(good.id) == 1
    failed = EventDelivery.objects.get(event=events[1], consumer=delivery_counter)
    assert failed.delivered_at is None and failed.attempts == 1


def test_one_consumer_mid_delivery_does_not_hold_back_another_consumer_of_the_same_event(transactional_db,
                                                                                          delivery_counter):
    from django.db import connection

    from rs.catalog.events import event_consumer

    entered, release = threading.Event(), threading.Event()

    def slow_consumer(event: CatalogEvent) -> None:
        entered.set()
        release.wait(30)

    event_consumer("test-slow-consumer", kinds=["created"])(slow_consumer)
    try:
        product = factories.product(publish=False)
        event = CatalogEvent.objects.get(product_id=product.id, kind="created")

        def deliver_slowly() -> None:
            try:
                services.event_deliver(event_id=event.pk, consumer_name="test-slow-consumer")
            finally:
                connection.close()

        slow = threading.Thread(target=deliver_slowly)
        slow.start()
        assert entered.wait(30)
        try:  # the slow consumer's transaction is open: its delivery row is locked, the event row must not be
            assert services.event_deliver(event_id=event.pk, consumer_name=delivery_counter) is True
        finally:
            release.set()
            slow.join(30)
        assert count_of(product.id) == 1
        assert EventDelivery.objects.get(event=event, consumer="test-slow-consumer").delivered_at is not None
    finally:
        event_consumer_remove("test-slow-consumer")


def test_the_beat_schedule_sends_the_redispatch_task_to_the_maintenance_queue():
    from rs.celery import app

    entry = django_settings.CELERY_BEAT_SCHEDULE[REDISPATCH_ENTRY]
    assert (entry["task"], entry["schedule"]) == (events_redispatch_task.name, 30.0)
    assert app.amqp.router.route({}, events_redispatch_task.name)["queue"].name == "maintenance"


def test_a_send_lost_at_commit_is_delivered_once_to_each_consumer_by_the_periodic_redispatch(
        celery_worker_factory, two_counters):
    first, second = two_counters
    # given a product registered by a process whose broker is unreachable when its transaction commits
    registering = register_with_the_broker_down()
    worker = celery_worker_factory(queues="maintenance", extra_env=WORKER_ENV)
    worker.start()
    product_id, log = registered_product(registering)

    # then the product and its event rows are committed, the caller got its product, and every failed send is logged
    event = CatalogEvent.objects.get(product_id=product_id, kind="created")
    assert event.dispatched_at is None
    consumers = sorted(EventDelivery.objects.filter(event=event).values_list("consumer", flat=True))
    assert {first, second} <= set(consumers)
    for name in consumers:
        assert f"could not enqueue event {event.pk} for {name}; it will be re-dispatched" in log
    only_ours(event, first, second)
    assert deliveries_of(event, first, second) == [(first, False, 0), (second, False, 0)]

    # when beat sends the periodic re-dispatch once the event is old enough
    wait_until_older_than_redispatch_delay(event)
    assert logged_result([worker], beat_sends(REDISPATCH_ENTRY)) == "2"

    # then a worker delivers it to each consumer, once
    wait_for(lambda: all(delivered for _, delivered, _ in deliveries_of(event, first, second)))
    assert counts_of(product_id, first, second) == {first: 1, second: 1}
    assert deliveries_of(event, first, second) == [(first, True, 1), (second, True, 1)]

    # and the next periodic run has nothing to send
    wait_for(nothing_pending)
    assert logged_result([worker], beat_sends(REDISPATCH_ENTRY)) == "0"
    assert counts_of(product_id, first, second) == {first: 1, second: 1}
    event.refresh_from_db()
    assert event.dispatched_at is not None


def test_a_worker_killed_inside_one_consumer_leaves_one_committed_delivery_per_consumer(
        celery_worker_factory, two_counters, tmp_path: Path):
    first, second = two_counters
    marker = tmp_path / "in-consumer"
    slow = celery_worker_factory(queues="maintenance", extra_env={
        **WORKER_ENV, "RS_TEST_SLOW_CONSUMERS": first, "RS_TEST_CONSUMER_SLEEP": "60",
        "RS_TEST_CONSUMER_MARKER": str(marker)})
    slow.start()
    product = factories.product(publish=False)
    event = CatalogEvent.objects.get(product_id=product.id, kind="created")
    only_ours(event, first, second)

    # given a worker inside the first consumer, the second consumer's delivery committed and nothing else pending
    wait_for(marker.exists)
    wait_for(lambda: list(EventDelivery.objects.filter(delivered_at__isnull=True).values_list("event", "consumer"))
             == [(event.pk, first)])
    # when the worker is killed with SIGKILL
    slow.kill()
    # then the interrupted delivery left nothing, the finished one stays
    assert counts_of(product.id, first, second) == {first: None, second: 1}
    assert deliveries_of(event, first, second) == [(first, False, 0), (second, True, 1)]

    # when another worker starts and beat sends the periodic re-dispatch
    healthy = celery_worker_factory(queues="maintenance", extra_env=WORKER_ENV)
    healthy.start()
    wait_until_older_than_redispatch_delay(event)
    assert logged_result([healthy], beat_sends(REDISPATCH_ENTRY)) == "1"  # the first consumer's delivery only

    # then the first consumer ran to completion once, the second was not run again
    wait_for(lambda: deliveries_of(event, first)[0][1])
    assert counts_of(product.id, first, second) == {first: 1, second: 1}
    assert deliveries_of(event, first, second) == [(first, True, 1), (second, True, 1)]

    # when the deliveries' messages come again (as the killed worker's unacknowledged one does once the broker's
    # visibility timeout lapses) and beat sends the re-dispatch again
    wait_for(nothing_pending)
    again = [event_deliver_task.apply_async(args=(event.pk, name), queue="maintenance").id for name in (first, second)]
    assert [logged_result([healthy], task_id) for task_id in again] == ["False", "False"]
    assert logged_result([healthy], beat_sends(REDISPATCH_ENTRY)) == "0"
    # then nothing more happened
    assert counts_of(product.id, first, second) == {first: 1, second: 1}
    assert deliveries_of(event, first, second) == [(first, True, 1), (second, True, 1)]


def test_two_redispatches_running_at_once_on_two_workers_deliver_once_to_each_consumer(
        celery_worker_factory, two_counters):
    first, second = two_counters
    # given a product whose sends were lost at commit, and two workers whose consumers take two seconds, so that
    # duplicate deliveries overlap
    registering = register_with_the_broker_down()
    env = {**WORKER_ENV, "RS_TEST_SLOW_CONSUMERS": f"{first},{second}", "RS_TEST_CONSUMER_SLEEP": "2"}
    workers = [celery_worker_factory(queues="maintenance", extra_env=env) for _ in range(2)]
    with ThreadPoolExecutor(2) as starting:  # side by side: each start waits for its worker to be ready
        list(starting.map(lambda worker: worker.start(), workers))
    product_id, _ = registered_product(registering)
    event = CatalogEvent.objects.get(product_id=product_id, kind="created")
    only_ours(event, first, second)
    wait_until_older_than_redispatch_delay(event)

    # when the periodic re-dispatch is sent twice at once (a run overlapping the next one, two beats by mistake)
    runs = [beat_sends(REDISPATCH_ENTRY) for _ in range(2)]
    # then the first run sends both deliveries; the second sends those not yet done when it reads them (on a busy
    # machine a delivery may already have committed): up to four messages for two deliveries
    sent = [int(logged_result(workers, run)) for run in runs]
    assert sorted(sent)[1] == 2 and sorted(sent)[0] in (0, 1, 2), sent

    # and each consumer's effect is committed once
    wait_for(lambda: all(delivered for _, delivered, _ in deliveries_of(event, first, second)))
    wait_for(nothing_pending)
    assert counts_of(product_id, first, second) == {first: 1, second: 1}
    assert deliveries_of(event, first, second) == [(first, True, 1), (second, True, 1)]
    assert logged_result(workers, beat_sends(REDISPATCH_ENTRY)) == "0"
    assert counts_of(product_id, first, second) == {first: 1, second: 1}


def test_deliveries_left_for_an_operator_do_not_hold_back_a_pending_one_behind_them(
        transactional_db, delivery_counter, settings):
    settings.RS_EVENT_MAX_ATTEMPTS = 1
    # given an older event whose delivery failed its only attempt (left for an operator)
    stuck = factories.product(publish=False)
    stuck_event = CatalogEvent.objects.get(product_id=stuck.id, kind="created")
    only_ours(stuck_event, delivery_counter)
    ProductAttribute.objects.create(product=stuck, name="testDeliveryCount", value_type="String",
                                    value_string="not an int")  # makes the consumer's assert fail
    with pytest.raises(AssertionError):
        services.event_deliver(event_id=stuck_event.pk, consumer_name=delivery_counter)
    # and one whose only pending delivery is for a consumer no longer registered (a plug-in switched off)
    event_consumer("test-switched-off", kinds=["created"])(lambda event: None)
    try:
        orphan = factories.product(publish=False)
    finally:
        event_consumer_remove("test-switched-off")
    only_ours(CatalogEvent.objects.get(product_id=orphan.id, kind="created"), "test-switched-off")
    # and a newer event still to deliver
    pending = factories.product(publish=False)
    only_ours(CatalogEvent.objects.get(product_id=pending.id, kind="created"), delivery_counter)

    # when the re-dispatch takes one event per run (it takes 500: as many stuck ones would fill every run the same way)
    # then the newer one is sent, the stuck ones are not
    assert services.events_redispatch(older_than_s=0, limit=1) == 1
    assert services.events_redispatch(older_than_s=0, limit=1) == 1
    assert EventDelivery.objects.get(event=stuck_event, consumer=delivery_counter).attempts == 1


def test_a_delivery_that_stays_pending_is_re_sent_with_a_doubling_wait(transactional_db, delivery_counter):
    # given an event whose delivery was never done (its message lost, or sitting on a queue without workers)
    product = factories.product(publish=False)
    event = CatalogEvent.objects.get(product_id=product.id, kind="created")
    only_ours(event, delivery_counter)
    CatalogEvent.objects.filter(pk=event.pk).update(created_at=timezone.now() - timedelta(seconds=15))
    delivery = EventDelivery.objects.get(event=event, consumer=delivery_counter)

    def redispatched(ago_s: float) -> None:
        EventDelivery.objects.filter(pk=delivery.pk).update(
            redispatched_at=timezone.now() - timedelta(seconds=ago_s))

    # when the re-dispatch (delay 10 s) runs: sent once, then not again before 10 s x 2
    assert services.events_redispatch(older_than_s=10) == 1
    assert EventDelivery.objects.get(pk=delivery.pk).redispatches == 1
    assert services.events_redispatch(older_than_s=10) == 0
    redispatched(ago_s=19)
    assert services.events_redispatch(older_than_s=10) == 0
    redispatched(ago_s=21)
    assert services.events_redispatch(older_than_s=10) == 1
    # then 10 s x 4 after the second re-send, and so on; the wait stops doubling at 10 s x 64
    redispatched(ago_s=39)
    assert services.events_redispatch(older_than_s=10) == 0
    redispatched(ago_s=41)
    assert services.events_redispatch(older_than_s=10) == 1
    EventDelivery.objects.filter(pk=delivery.pk).update(redispatches=9)
    redispatched(ago_s=641)
    assert services.events_redispatch(older_than_s=10) == 1
    assert EventDelivery.objects.get(pk=delivery.pk).redispatches == 7
    # and an operator's retry starts the delivery afresh
    services.delivery_retry(delivery_id=delivery.pk)
    assert EventDelivery.objects.filter(pk=delivery.pk).values_list("attempts", "redispatches",
                                                                     "redispatched_at").get() == (0, 0, None)


def test_the_re_dispatch_is_three_statements_whatever_the_backlog(transactional_db, delivery_counter,
                                                                  django_assert_num_queries):
    events = []
    for _ in range(30):
        product = factories.product(publish=False)
        event = CatalogEvent.objects.get(product_id=product.id, kind="created")
        only_ours(event, delivery_counter)
        events.append(event.pk)
    CatalogEvent.objects.filter(pk__in=events).update(created_at=timezone.now() - timedelta(seconds=15))
    # one read of the deliveries due, one UPDATE of their back-off, one UPDATE closing finished events
    with django_assert_num_queries(3):
        assert services.events_redispatch(older_than_s=10) == 30
    assert set(EventDelivery.objects.filter(event_id__in=events, consumer=delivery_counter)
               .values_list("redispatches", flat=True)) == {1}
