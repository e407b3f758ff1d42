"""Registry of catalog-event consumers.

An app registers a consumer in its `consumers.py` (imported by its AppConfig.ready) with `@event_consumer`. The
handler receives the CatalogEvent and runs inside the transaction that marks its delivery done, so its database
effects happen exactly once per (event, consumer); effects outside the database (HTTP calls, files) must be
idempotent because a crash after them and before the commit repeats them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib import import_module
from typing import TYPE_CHECKING

from django.conf import settings

if TYPE_CHECKING:
    from rs.catalog.models import CatalogEvent

EventHandler = Callable[["CatalogEvent"], None]


@dataclass(frozen=True)
class EventConsumer:
    name: str
    kinds: frozenset[str]
    handler: EventHandler
    queue: str


_consumers: dict[str, EventConsumer] = {}


def event_consumer(
    name: str, *, kinds: Iterable[str], queue: str = "maintenance"
) -> Callable[[EventHandler], EventHandler]:
    if queue not in settings.RS_QUEUES:
        raise ValueError(f"event consumer {name!r}: unknown queue {queue!r}")

    def register(handler: EventHandler) -> EventHandler:
        existing = _consumers.get(name)
        if existing is not None and existing.handler is not handler:
            raise ValueError(f"event consumer {name!r} is registered twice")
        _consumers[name] = EventConsumer(name=name, kinds=frozenset(kinds), handler=handler, queue=queue)
        return handler

    return register


def consumers_for(kind: str) -> list[EventConsumer]:
    return [c for c in _consumers.values() if kind in c.kinds]


def consumer_get(name: str) -> EventConsumer | None:
    return _consumers.get(name)


def consumer_names() -> list[str]:
    return list(_consumers)


def consumer_modules_load() -> None:
    """Import the extra consumer modules named in settings (deployment plug-ins, test consumers)."""
    for module in settings.RS_EVENT_CONSUMER_MODULES:
        import_module(module)


def event_consumer_remove(name: str) -> None:
    """Unregister a consumer (tests and plug-ins that are switched off at run time)."""
    _consumers.pop(name, None)
