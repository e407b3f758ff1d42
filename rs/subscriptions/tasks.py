"""Celery entry points of subscriptions (queue maintenance): thin, ids only; the work is in delivery.py."""

from __future__ import annotations

from celery import shared_task


@shared_task(acks_late=True)
def push_deliver_task(notification_id: int) -> None:
    from rs.subscriptions.delivery import push_attempt, pushes_enqueue

    delay = push_attempt(notification_id=notification_id)
    if delay is not None:  # failed, not yet for the last time: again after the back-off
        pushes_enqueue([notification_id], countdown=delay)


@shared_task
def pushes_redispatch_task() -> int:
    from rs.subscriptions.delivery import pushes_redispatch

    return pushes_redispatch()


@shared_task
def payloads_strip_task() -> int:
    from rs.subscriptions.delivery import payloads_strip

    return payloads_strip()


@shared_task
def download_usage_expire_task() -> int:
    from rs.subscriptions.quotas import download_usage_expire

    return download_usage_expire()
