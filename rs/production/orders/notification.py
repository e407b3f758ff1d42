"""The end of an order, told to whoever ordered it: a signed webhook POST and/or an e-mail.

The order row is the truth: `notify_next_at` says a notification is due. An attempt claims the row with a lease
(a redispatched message cannot send twice at once), sends what is not sent yet (webhook, e-mail; each marked when
done) and clears `notify_next_at`; a failure waits backoff * 2^(n-1) and is retried by a Celery task, until
RS_PRODUCTION_ORDER_NOTIFY_ATTEMPTS attempts, then the error is kept on the order. A periodic task redispatches
the attempts whose message was lost (broker down, worker killed).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone

from rs.production.models import ProductionOrder
from rs.production.orders.progress import order_progress
from rs.webhooks import WebhookFailed, signed_post, unseal

logger = logging.getLogger(__name__)

SEALING_PURPOSE = "rs.production.orders.webhook"
LEASE_S = 120  # longer than one webhook timeout plus one SMTP exchange
REDISPATCH_BATCH = 500
USER_AGENT = "rs-production-orders/1"
ERROR_CHARS = 1000


def notification_json(order: ProductionOrder, counts: dict[str, int]) -> dict[str, Any]:
    version = order.processor_version
    return {
        "order": order.pk, "name": order.name, "state": order.state,
        "processor": version.processor.name, "version": version.version,
        "created_at": order.created_at.isoformat(),
        "finished_at": order.finished_at.isoformat() if order.finished_at else None,
        "jobs": counts, "url": f"/api/v1/production/orders/{order.pk}/",
    }


def _email_text(order: ProductionOrder, counts: dict[str, int]) -> tuple[str, str]:
    version = order.processor_version
    subject = f"Production order {order.pk} {order.state}: {counts['succeeded']} of {counts['total']} jobs succeeded"
    lines = [f"Order {order.pk}{f' ({order.name})' if order.name else ''}: {version.processor.name} {version.version}",
             f"State: {order.state}", f"Created: {order.created_at.isoformat()}",
             f"Finished: {order.finished_at.isoformat() if order.finished_at else '-'}", "",
             *(f"{state}: {n}" for state, n in counts.items() if n and state != "total"),
             f"total: {counts['total']}", "", f"Details: /api/v1/production/orders/{order.pk}/"]
    return subject, "\n".join(lines) + "\n"


def notify_attempt(*, order_id: int, now: datetime | None = None) -> float | None:
    """Send the due notification of one order; returns the seconds to wait before the next attempt, None when
    there is nothing more to do (sent, not due, claimed by another worker, or given up)."""
    now = now or timezone.now()
    claimed = ProductionOrder.objects.filter(pk=order_id, notify_next_at__lte=now).update(
        notify_next_at=now + timedelta(seconds=LEASE_S))
    order = ProductionOrder.objects.select_related("processor_version__processor").filter(pk=order_id).first()
    if not claimed or order is None:
        return None
    counts = order_progress(rule_id=order.rule_id)
    sent: dict[str, datetime] = {}
    try:
        if order.notify_url and order.webhook_sent_at is None:
            body = json.dumps(notification_json(order, counts), separators=(",", ":")).encode()
            signed_post(url=order.notify_url, body=body,
                        secret=unseal(order.notify_secret_sealed, purpose=SEALING_PURPOSE),
                        headers={"X-RS-Order-Id": str(order.pk), "X-RS-Order-State": order.state},
                        timeout_s=float(settings.RS_PRODUCTION_ORDER_WEBHOOK_TIMEOUT_S),
                        private_networks=bool(settings.RS_PRODUCTION_ORDER_WEBHOOK_PRIVATE_NETWORKS),
                        user_agent=USER_AGENT)
            sent["webhook_sent_at"] = now
        if order.notify_email and order.email_sent_at is None:
            subject, text = _email_text(order, counts)
            send_mail(subject, text, None, [order.notify_email])
            sent["email_sent_at"] = now
    except (WebhookFailed, OSError) as exc:  # SMTP errors are OSErrors
        return _failed(order, f"{type(exc).__name__}: {exc}" if isinstance(exc, OSError) else str(exc), sent,
                       now=now)
    ProductionOrder.objects.filter(pk=order_id).update(**sent, notify_next_at=None, notify_error="")
    return None


def _failed(order: ProductionOrder, reason: str, sent: dict[str, datetime], *, now: datetime) -> float | None:
    attempts = order.notify_attempts + 1
    if attempts < int(settings.RS_PRODUCTION_ORDER_NOTIFY_ATTEMPTS):
        delay = float(settings.RS_PRODUCTION_ORDER_NOTIFY_BACKOFF_S) * 2 ** (attempts - 1)
        ProductionOrder.objects.filter(pk=order.pk).update(
            **sent, notify_attempts=attempts, notify_next_at=now + timedelta(seconds=delay),
            notify_error=reason[:ERROR_CHARS])
        logger.info("notification of order %s failed (%s); attempt %s in %s s", order.pk, reason, attempts + 1, delay)
        return delay
    given_up = f"gave up after {attempts} attempts, the last: {reason}"
    ProductionOrder.objects.filter(pk=order.pk).update(**sent, notify_attempts=attempts, notify_next_at=None,
                                                       notify_error=given_up[:ERROR_CHARS])
    logger.warning("notification of order %s: %s", order.pk, given_up)
    return None


def notifications_enqueue(order_ids: Sequence[int], *, countdown: float = 0) -> None:
    from rs.production.orders.tasks import order_notify_task

    for order_id in order_ids:
        try:
            order_notify_task.apply_async(args=(order_id,), countdown=countdown)
        except Exception:  # broker down: the periodic redispatch sends it; the row is the truth
            logger.warning("could not enqueue the notification of order %s; it will be redispatched", order_id,
                           exc_info=True)


def notifications_redispatch(*, now: datetime | None = None) -> int:
    """Send again the notifications whose message was lost: due for longer than a lease (partial index)."""
    now = now or timezone.now()
    due = list(ProductionOrder.objects.filter(notify_next_at__lt=now - timedelta(seconds=LEASE_S))
               .order_by("notify_next_at").values_list("id", flat=True)[:REDISPATCH_BATCH])
    notifications_enqueue(due)
    return len(due)
