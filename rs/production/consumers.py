"""Catalog-event consumers of production (registered by ProductionConfig.ready)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rs.catalog.choices import EventKind
from rs.catalog.events import event_consumer

if TYPE_CHECKING:
    from rs.catalog.selectors import CatalogEvent

PREPARATION_CONSUMER = "production-preparation"


@event_consumer(PREPARATION_CONSUMER, kinds=[EventKind.CREATED, EventKind.EVICTED, EventKind.DELETED],
                queue="preparation")
def prepare_on_catalog_change(event: CatalogEvent) -> None:
    """Runs once per event, inside the transaction that marks the delivery done: a new product creates or
    completes jobs; an evicted or deleted one is withdrawn from the jobs not yet queued that selected it."""
    from rs.production import services

    if event.kind == EventKind.CREATED:
        services.preparation_event_handle(event=event)
    else:
        services.jobs_input_withdrawn(product_id=event.product_id)
