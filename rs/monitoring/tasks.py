"""Thin Celery entry points of monitoring (queue maintenance, by the routing of rs.monitoring.tasks.*)."""

from __future__ import annotations

from celery import shared_task


@shared_task(acks_late=True)
def alerts_evaluate_task() -> None:
    """Beat, every minute: evaluate the rules, then send each open alert the webhook has not accepted yet."""
    from rs.monitoring.alerts import alerts_evaluate, alerts_unnotified

    alerts_evaluate()
    for alert_id in alerts_unnotified():
        alert_notify_task.delay(alert_id)


@shared_task(acks_late=True)
def alert_notify_task(alert_id: int) -> None:
    from rs.monitoring.alerts import alert_notify

    alert_notify(alert_id=alert_id)
