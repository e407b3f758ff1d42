"""Celery entry points of campaigns (queue maintenance, routed in rs/settings.py): thin, ids only; the work and its
rules are in services.py."""

from __future__ import annotations

from celery import shared_task


@shared_task(acks_late=True)
def campaign_delete_task(campaign_id: int) -> int | None:
    """Delete a campaign marked `deleting`; a duplicate message finds it held or gone and does nothing."""
    from rs.campaigns.services import campaign_delete

    return campaign_delete(campaign_id=campaign_id)


@shared_task
def campaign_deletions_redispatch_task() -> int:
    from rs.campaigns.services import campaign_deletions_redispatch

    return campaign_deletions_redispatch()


@shared_task(acks_late=True)
def campaign_comparisons_store_task(campaign_id: int) -> int:
    """Store the comparisons of a campaign whose run has just ended (or that the periodic fill found)."""
    from rs.campaigns.services import campaign_comparisons_store

    return campaign_comparisons_store(campaign_id=campaign_id)


@shared_task
def campaigns_comparisons_fill_task() -> int:
    from rs.campaigns.services import campaigns_comparisons_fill

    return campaigns_comparisons_fill()
