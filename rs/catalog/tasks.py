"""Celery entry points of the catalog: thin, ids only; the work is in services."""

from __future__ import annotations

from celery import shared_task


@shared_task(acks_late=True, max_retries=5, default_retry_delay=10)
def event_deliver_task(event_id: int, consumer_name: str) -> bool:
    from rs.catalog.services import event_deliver

    return event_deliver(event_id=event_id, consumer_name=consumer_name)


@shared_task(acks_late=True)
def events_deliver_task(event_ids: list[int], consumer_name: str) -> int:
    from rs.catalog.services import events_deliver

    return events_deliver(event_ids=event_ids, consumer_name=consumer_name)


@shared_task
def events_redispatch_task() -> int:
    from rs.catalog.services import events_redispatch

    return events_redispatch()


@shared_task
def events_purge_task() -> int:
    from rs.catalog.services import events_purge

    return events_purge()


@shared_task(ignore_result=False)
def ping_task(value: str) -> str:
    """Round-trip check of a broker and a worker (used by the readiness probe and the runtime tests)."""
    return value
