from __future__ import annotations

from collections.abc import Callable

import pytest

from rs.catalog import services as catalog_services
from rs.catalog.models import CatalogEvent, Product
from rs.production.consumers import PREPARATION_CONSUMER


def deliver_created(product: Product) -> bool:
    """Deliver the product's `created` event to preparation as a worker does (its own transaction, row lock)."""
    event = CatalogEvent.objects.get(product_id=product.id, kind="created")
    return catalog_services.event_deliver(event_id=event.pk, consumer_name=PREPARATION_CONSUMER)


@pytest.fixture
def deliver() -> Callable[[Product], bool]:
    return deliver_created
