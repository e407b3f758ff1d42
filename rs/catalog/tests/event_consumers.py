"""A consumer used by the delivery tests; loaded by test workers through RS_EVENT_CONSUMER_MODULES.

It counts its deliveries in an attribute of the product (a database effect inside the delivery transaction), and can
be told to announce itself in a file and then sleep, so a test can kill the worker in the middle of it."""

from __future__ import annotations

import os
import time
from pathlib import Path

from rs.catalog import selectors, services
from rs.catalog.events import event_consumer
from rs.catalog.models import CatalogEvent

CONSUMER_NAME = "test-delivery-counter"
COUNTER = "testDeliveryCount"


@event_consumer(CONSUMER_NAME, kinds=["created"], queue="maintenance")
def count_delivery(event: CatalogEvent) -> None:
    marker = os.environ.get("RS_TEST_CONSUMER_MARKER")
    if marker:
        Path(marker).write_text(str(event.pk))
    time.sleep(float(os.environ.get("RS_TEST_CONSUMER_SLEEP", "0")))
    product = selectors.product_with_details(product_id=event.product_id)
    current = next((a.value for a in product.attributes.all() if a.name == COUNTER), 0)
    assert isinstance(current, int)
    services.product_update(product_id=product.id, attributes={COUNTER: current + 1})
