"""Consumers used by the delivery tests; loaded by test workers through RS_EVENT_CONSUMER_MODULES.

Each counts its deliveries in its own attribute of the product (a database effect inside the delivery transaction),
and the ones named in RS_TEST_SLOW_CONSUMERS (the first one when unset) announce themselves in a file and then sleep,
so a test can kill the worker in the middle of one of them."""

from __future__ import annotations

import os
import time
from pathlib import Path

from rs.catalog import selectors, services
from rs.catalog.events import EventHandler, event_consumer
from rs.catalog.models import CatalogEvent

CONSUMER_NAME = "test-delivery-counter"
COUNTER = "testDeliveryCount"
SECOND_CONSUMER_NAME = "test-delivery-ledger"
SECOND_COUNTER = "testLedgerCount"
COUNTERS = {CONSUMER_NAME: COUNTER, SECOND_CONSUMER_NAME: SECOND_COUNTER}


def _count(event: CatalogEvent, consumer: str) -> None:
    if consumer in os.environ.get("RS_TEST_SLOW_CONSUMERS", CONSUMER_NAME).split(","):
        marker = os.environ.get("RS_TEST_CONSUMER_MARKER")
        if marker:
            Path(marker).write_text(str(event.pk))
        time.sleep(float(os.environ.get("RS_TEST_CONSUMER_SLEEP", "0")))
    product = selectors.product_with_details(product_id=event.product_id)
    current = next((a.value for a in product.attributes.all() if a.name == COUNTERS[consumer]), 0)
    assert isinstance(current, int)
    services.product_update(product_id=product.id, attributes={COUNTERS[consumer]: current + 1})


@event_consumer(CONSUMER_NAME, kinds=["created"], queue="maintenance")
def count_delivery(event: CatalogEvent) -> None:
    _count(event, CONSUMER_NAME)


@event_consumer(SECOND_CONSUMER_NAME, kinds=["created"], queue="maintenance")
def count_in_ledger(event: CatalogEvent) -> None:
    _count(event, SECOND_CONSUMER_NAME)


HANDLERS: dict[str, EventHandler] = {CONSUMER_NAME: count_delivery, SECOND_CONSUMER_NAME: count_in_ledger}
