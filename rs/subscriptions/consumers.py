"""The catalog-event consumer of subscriptions (registered by SubscriptionsConfig.ready)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rs.catalog.choices import EventKind
from rs.catalog.events import event_consumer

if TYPE_CHECKING:
    from rs.catalog.selectors import CatalogEvent

NOTIFY_CONSUMER = "subscriptions-notify"


@event_consumer(NOTIFY_CONSUMER, kinds=[EventKind.PUBLISHED, EventKind.MODIFIED, EventKind.EVICTED,
                                        EventKind.DELETED], queue="maintenance")
def notify_subscribers(event: CatalogEvent) -> None:
    """Runs once per event, inside the delivery transaction: the notifications of every matching subscription are
    written with it (pushes are sent once it commits)."""
    from rs.subscriptions.delivery import notifications_for_event

    notifications_for_event(event=event)
