"""Celery entry points of ingestion (queue `ingestion`): thin, ids only; the work is in services."""

from __future__ import annotations

from celery import shared_task


@shared_task(acks_late=True)
def inboxes_poll_task() -> int:
    """Beat, every 20 s: reap abandoned transfers and send one poll task per due inbox."""
    from rs.ingestion.services import inboxes_poll_due

    return inboxes_poll_due()


@shared_task(acks_late=True)
def inbox_poll_task(inbox_id: int) -> None:
    from rs.ingestion.models import Inbox
    from rs.ingestion.services import inbox_poll

    try:
        inbox_poll(inbox_id=inbox_id)
    except Inbox.DoesNotExist:
        return  # deleted after the poll was sent


@shared_task(acks_late=True)
def inbox_drain_task(inbox_id: int) -> None:
    """Ingest pending entries until none is left; hands over to a fresh task when its time budget is spent."""
    from rs.ingestion.models import Inbox
    from rs.ingestion.services import drains_enqueue, inbox_drain

    try:
        summary = inbox_drain(inbox_id=inbox_id)
    except Inbox.DoesNotExist:
        return
    if not summary.exhausted:
        drains_enqueue(inbox_id=inbox_id)
