"""Catalog-event consumers of monitoring: the ingestion and eviction counters.

The counters are incremented after the delivery's transaction commits, so a rolled-back delivery (which is retried)
does not count twice. A worker killed between the commit and the increment loses one increment: metrics are
monitoring, the catalog rows stay the truth (the KPIs are computed from them).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from django.db import transaction

from rs.catalog import selectors as catalog_selectors
from rs.catalog.choices import OPERATIONAL_SCOPE
from rs.catalog.events import event_consumer
from rs.errors import NotFound
from rs.monitoring.metrics import PRODUCTS_EVICTED, PRODUCTS_INGESTED, PRODUCTS_INGESTED_BYTES

if TYPE_CHECKING:
    from rs.catalog.selectors import CatalogEvent

METRICS_CONSUMER = "monitoring-metrics"

logger = logging.getLogger(__name__)


@event_consumer(METRICS_CONSUMER, kinds=["created", "evicted"], queue="maintenance")
def metrics_count(event: CatalogEvent) -> None:
    family = str(event.payload.get("family", "")) or "unknown"
    logger.debug("counting %s event %s of product %s (%s)", event.kind, event.pk, event.product_id, family)
    if event.payload.get("scope", OPERATIONAL_SCOPE) != OPERATIONAL_SCOPE:
        return  # a validation campaign's output (created, evicted at its retention): not operational production
    if event.kind == "created":
        try:
            size = catalog_selectors.product_get(product_id=event.product_id).content_length
        except NotFound:  # removed before the delivery ran: counted, its size unknown
            size = 0

        def count_ingested() -> None:
            PRODUCTS_INGESTED.labels(family=family).inc()
            PRODUCTS_INGESTED_BYTES.labels(family=family).inc(size)

        transaction.on_commit(count_ingested)
    elif event.kind == "evicted":
        cause = str(event.payload.get("cause", "")) or "unknown"
        transaction.on_commit(lambda: PRODUCTS_EVICTED.labels(family=family, cause=cause).inc())
