"""Periodic lifecycle work on the maintenance queue (schedule in rs/settings.py)."""

from __future__ import annotations

from celery import shared_task


@shared_task(acks_late=True)
def eviction_run_task() -> int:
    from rs.lifecycle.services import eviction_run

    return eviction_run().evicted


@shared_task(acks_late=True)
def pressure_run_task() -> dict[str, int]:
    from rs.lifecycle.services import pressure_run

    return pressure_run()


@shared_task(acks_late=True)
def metadata_purge_task() -> int:
    from rs.lifecycle.services import metadata_purge

    return metadata_purge()


@shared_task(acks_late=True)
def eviction_dates_recompute_task() -> int:
    from rs.lifecycle.services import eviction_dates_recompute

    return eviction_dates_recompute()
