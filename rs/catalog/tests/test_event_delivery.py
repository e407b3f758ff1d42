"""Catalog events reach each consumer exactly once, through real Celery workers on Redis, even when the worker
delivering them is killed in the middle of the consumer."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.utils import timezone

from rs.catalog import services
from rs.catalog.events import consumer_get, event_consumer_remove
from rs.catalog.models import CatalogEvent, EventDelivery, ProductAttribute
from rs.catalog.tests import factories

CONSUMERS = "rs.catalog.tests.event_consumers"


@pytest.fixture
def delivery_counter() -> Iterator[str]:
    from rs.catalog.tests import event_consumers

    consumer = consumer_get(event_consumers.CONSUMER_NAME)
    if consumer is None:  # imported before by another test, then removed: register it again
        from rs.catalog.events import event_consumer

        event_consumer(event_consumers.CONSUMER_NAME, kinds=["created"])(event_consumers.count_delivery)
    yield event_consumers.CONSUMER_NAME
    event_consumer_remove(event_consumers.CONSUMER_NAME)


def wait_for(condition: Callable[[], bool], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"condition not met within {timeout}s")


def only_ours(event: CatalogEvent, consumer: str) -> None:
    """Other apps' consumers (production, …) also receive `created`: count them as done, so figures are ours."""
    EventDelivery.objects.filter(event=event).exclude(consumer=consumer).update(delivered_at=timezone.now())


def count_of(product_id) -> int | None:
    row = ProductAttribute.objects.filter(product_id=product_id, name="testDeliveryCount").first()
    return None if row is None else row.value_integer


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
