"""Celery entry points of orders: thin, ids only; the work is in notification.py (queue maintenance) and planning.py
(queue preparation)."""

from __future__ import annotations

from celery import shared_task


@shared_task(acks_late=True)
def order_notify_task(order_id: int) -> None:
    from rs.production.orders.notification import notifications_enqueue, notify_attempt

    delay = notify_attempt(order_id=order_id)
    if delay is not None:  # failed, not yet for the last time: again after the back-off
        notifications_enqueue([order_id], countdown=delay)


@shared_task
def order_notifications_redispatch_task() -> int:
    from rs.production.orders.notification import notifications_redispatch

    return notifications_redispatch()


@shared_task(acks_late=True)
def order_plan_task(order_id: int) -> bool:
    """One planning step of an accepted order (queue preparation); the step sends the next one."""
    from rs.production.orders.planning import order_plan_step

    return order_plan_step(order_id=order_id)


@shared_task
def order_planning_redispatch_task() -> int:
    from rs.production.orders.planning import plannings_redispatch

    return plannings_redispatch()
