"""Periodic work of the access app (scheduled in CELERY_BEAT_SCHEDULE, queue maintenance)."""

from __future__ import annotations

from celery import shared_task


@shared_task
def signing_keys_maintain_task() -> str:
    from rs.access.services import signing_keys_maintain

    return signing_keys_maintain()


@shared_task
def sessions_purge_task() -> int:
    from rs.access.services import sessions_purge

    return sessions_purge()
