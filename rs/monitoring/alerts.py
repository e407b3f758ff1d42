"""Alert services: evaluate the rules, open and resolve Alert rows (de-duplicated by key), notify the webhook."""

from __future__ import annotations

import json
import logging
import urllib.request
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from rs.monitoring.alert_rules import RULES
from rs.monitoring.constants import ALERT_WEBHOOK_TIMEOUT_S
from rs.monitoring.models import Alert

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Evaluation:
    opened: list[str]
    resolved: list[str]


def _webhook_url() -> str:
    return str(getattr(settings, "RS_MONITORING_ALERT_WEBHOOK_URL", ""))


@transaction.atomic
def alerts_evaluate(*, now: datetime | None = None) -> Evaluation:
    """Open an alert for each new breach (logged), keep the open ones seen again, resolve the ones no longer seen.
    The webhook is told by alert_notify, for every open alert it has not accepted yet (alerts_unnotified)."""
    now = now or timezone.now()
    breaches = {key: (rule, message) for rule, check in RULES.items() for key, message in check(now=now).items()}
    open_alerts = {a.key: a for a in Alert.objects.select_for_update().filter(resolved_at__isnull=True)}
    opened, resolved = [], []
    for key, (rule, message) in sorted(breaches.items()):
        if key in open_alerts:
            Alert.objects.filter(pk=open_alerts[key].pk).update(last_seen_at=now, message=message)
            continue
        alert = Alert.objects.create(key=key, rule=rule, message=message, first_seen_at=now, last_seen_at=now)
        logger.warning("alert %s: %s", key, message, extra={"alert_key": key, "alert_rule": rule})
        opened.append(key)
    for key, alert in sorted(open_alerts.items()):
        if key not in breaches:
            Alert.objects.filter(pk=alert.pk).update(resolved_at=now)
            logger.info("alert %s resolved", key, extra={"alert_key": key})
            resolved.append(key)
    return Evaluation(opened=opened, resolved=resolved)


def alert_notify(*, alert_id: int) -> bool:
    """POST the alert to the webhook once; False when there is nothing to send. A failure is recorded on the row and
    raised (the task retries)."""
    url = _webhook_url()
    alert = Alert.objects.filter(pk=alert_id, notified_at__isnull=True).first()
    if not url or alert is None:
        return False
    body = json.dumps({"key": alert.key, "rule": alert.rule, "message": alert.message,
                       "first_seen_at": alert.first_seen_at.isoformat(),
                       "resolved": alert.resolved_at is not None}).encode()
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"RS_MONITORING_ALERT_WEBHOOK_URL={url!r}: use an http(s) URL")
    request = urllib.request.Request(  # noqa: S310 - the scheme is checked above
        url, data=body, method="POST", headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=ALERT_WEBHOOK_TIMEOUT_S) as response:  # noqa: S310
            response.read()
    except Exception as exc:
        Alert.objects.filter(pk=alert.pk).update(notify_attempts=alert.notify_attempts + 1,
                                                 last_error=f"{type(exc).__name__}: {exc}"[:2000])
        raise
    Alert.objects.filter(pk=alert.pk, notified_at__isnull=True).update(
        notified_at=timezone.now(), notify_attempts=alert.notify_attempts + 1, last_error="")
    return True


def alerts_unnotified() -> list[int]:
    """Open alerts the webhook has not accepted yet (new ones, or the webhook was down): sent after each evaluation,
    so a failed notification is retried every evaluation (each minute) without a retry loop of its own."""
    if not _webhook_url():
        return []
    return list(Alert.objects.filter(resolved_at__isnull=True, notified_at__isnull=True).values_list("pk", flat=True))
