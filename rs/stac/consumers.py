"""Catalog-event consumer of the STAC app (registered by StacConfig.ready)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rs.catalog.choices import EventKind
from rs.catalog.events import event_consumer

if TYPE_CHECKING:
    from rs.catalog.selectors import CatalogEvent

EXTENTS_CONSUMER = "stac-collection-extents"


@event_consumer(EXTENTS_CONSUMER, kinds=[EventKind.PUBLISHED, EventKind.MODIFIED], queue="maintenance")
def extents_on_catalog_change(event: CatalogEvent) -> None:
    """A published (or re-published, modified) product widens its collection's extent; runs exactly once per event
    inside the delivery's transaction."""
    from rs.stac import services

    services.collection_extent_grow(product_id=event.product_id)
