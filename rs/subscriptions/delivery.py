"""Notifications: written for the subscriptions a catalog event matches (inside the event's delivery transaction),
pushed to their endpoints with retries, and stripped of their payload after PAYLOAD_KEPT_DAYS.

Catalog event → subscription event: `published` → created (a product becomes visible), `modified` → modified,
`evicted` and `deleted` → deleted, carrying the DeletedProduct (`deleted` of a metadata purge is skipped: that
product was notified when it was evicted).

A push is a Notification row with `next_attempt_at`; the row is the truth, the broker carries its id once the
transaction commits. An attempt claims the row with a lease (no double sending by a redispatch), POSTs, and deletes
it on success; a failure waits push_backoff_s * 2^(n-1); after push_attempts failures the subscription is paused
(reason kept) and its pending pushes parked until the owner sets it running again.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from rs.catalog.choices import EventKind
from rs.catalog.query.entries import CatalogEntry
from rs.catalog.query.names import name_convention
from rs.catalog.query.properties import Entity
from rs.catalog.query.selectors import catalog_entry, catalog_queryset
from rs.prip.odata.serializers import timestamp
from rs.subscriptions.choices import SubscriptionEvent, SubscriptionStatus
from rs.subscriptions.configuration import subscription_settings
from rs.subscriptions.constants import PAYLOAD_KEPT_DAYS, PUSH_ERROR_CHARS, PUSH_LEASE_S, PUSH_REDISPATCH_BATCH
from rs.subscriptions.errors import SealBroken
from rs.subscriptions.evaluation import product_facts
from rs.subscriptions.limits import limits_for_users
from rs.subscriptions.matching import Candidate, candidates, matching
from rs.subscriptions.models import Notification, NotificationPayload, Subscription
from rs.subscriptions.payloads import entry_value, notification_json
from rs.subscriptions.push import PushFailed, push_send
from rs.subscriptions.sealing import unseal

if TYPE_CHECKING:
    from rs.catalog.selectors import CatalogEvent

logger = logging.getLogger(__name__)

SUBSCRIPTION_EVENT_OF = {EventKind.PUBLISHED: SubscriptionEvent.CREATED, EventKind.MODIFIED: SubscriptionEvent.MODIFIED,
                         EventKind.EVICTED: SubscriptionEvent.DELETED, EventKind.DELETED: SubscriptionEvent.DELETED}


def notifications_for_event(*, event: CatalogEvent) -> int:
    """Write the notifications of one catalog event; returns how many."""
    kind = SUBSCRIPTION_EVENT_OF.get(EventKind(event.kind))
    if kind is None or (event.kind == EventKind.DELETED and event.payload.get("cause") == "purged"):
        return 0
    deleted = kind == SubscriptionEvent.DELETED
    entity = Entity.DELETED_PRODUCTS if deleted else Entity.PRODUCTS
    entry = catalog_entry(entity=entity, entry_id=event.product_id, with_attributes=True, with_assets=not deleted)
    if entry is None:  # not (or no longer) visible on the PRIP
        return 0
    mission, product_type = _codes(event, entity)
    facts = product_facts(entry, mission=mission, convention=name_convention())
    found = candidates(event=kind, mission=mission, product_type=facts.product_type)
    if not found:
        return 0
    matched = matching(found=found, facts=facts, product_id=entry.id, deleted=deleted, mission=mission,
                       product_type=product_type)
    return _notifications_write(matched, entry=entry, event=kind, deleted=deleted) if matched else 0


def _codes(event: CatalogEvent, entity: Entity) -> tuple[str, str]:
    """Mission and product type (the columns): in the event's payload, else read back."""
    mission, product_type = event.payload.get("mission"), event.payload.get("product_type")
    if isinstance(mission, str) and isinstance(product_type, str):
        return mission, product_type
    row = catalog_queryset(entity).filter(pk=event.product_id).values_list("mission", "product_type").first()
    return (str(row[0]), str(row[1])) if row else ("", "")


def _notifications_write(matched: Sequence[Candidate], *, entry: CatalogEntry, event: str, deleted: bool) -> int:
    now = timezone.now()
    payload = NotificationPayload.objects.create(product_id=entry.id, product_name=entry.name,
                                                 value=entry_value(entry, deleted=deleted))
    rows = Notification.objects.bulk_create([
        Notification(subscription_id=c.id, event=event, product_id=entry.id, payload=payload, created_at=now,
                     next_attempt_at=now if c.is_push else None)
        for c in matched
    ])
    pulls = {c.id: c.owner_id for c in matched if not c.is_push}
    if pulls:
        _queues_grow(pulls, now=now)
    pushes = [row.pk for row in rows if row.next_attempt_at is not None]
    if pushes:
        transaction.on_commit(lambda: pushes_enqueue(pushes))
    return len(rows)


def _queues_grow(owners: dict[uuid.UUID, int], *, now: datetime) -> None:
    """One more item in each queue; the oldest beyond the owner's maximum are dropped. Rows are locked in id order,
    so concurrent events never deadlock on them."""
    ids = sorted(owners)
    before = list(Subscription.objects.select_for_update().filter(id__in=ids).order_by("id")
                  .values_list("id", "queue_length"))
    Subscription.objects.filter(id__in=ids).update(queue_length=F("queue_length") + 1, last_notification_date=now)
    limits = limits_for_users(user_ids=set(owners.values()))
    for subscription_id, length in before:
        maximum = limits[owners[subscription_id]].subscription_queue_length
        if maximum is not None and length + 1 > maximum:
            _queue_trim(subscription_id, excess=length + 1 - maximum)


def _queue_trim(subscription_id: uuid.UUID, *, excess: int) -> None:
    oldest = list(Notification.objects.filter(subscription_id=subscription_id).order_by("id")
                  .values_list("id", flat=True)[:excess])
    Notification.objects.filter(id__in=oldest).delete()
    Subscription.objects.filter(pk=subscription_id).update(queue_length=F("queue_length") - len(oldest))


# --- push -------------------------------------------------------------------------------------------------------------


def pushes_enqueue(notification_ids: Sequence[int], *, countdown: float = 0) -> None:
    from rs.subscriptions.tasks import push_deliver_task

    for notification_id in notification_ids:
        try:
            push_deliver_task.apply_async(args=(notification_id,), countdown=countdown)
        except Exception:  # broker down: the periodic redispatch sends it; the row is the truth
            logger.warning("could not enqueue push %s; it will be redispatched", notification_id, exc_info=True)


def pushes_rearm(*, subscription_id: uuid.UUID) -> None:
    """A subscription running again: its parked pushes start over (sent once the transaction commits)."""
    now = timezone.now()
    parked = list(Notification.objects.filter(subscription_id=subscription_id, next_attempt_at__isnull=True)
                  .values_list("id", flat=True))
    Notification.objects.filter(id__in=parked).update(next_attempt_at=now, attempts=0)
    if parked:
        transaction.on_commit(lambda: pushes_enqueue(parked))


def push_attempt(*, notification_id: int, now: datetime | None = None) -> float | None:
    """POST one due push; returns the seconds to wait before the next attempt, None when there is nothing more to
    do (sent, parked, not due, claimed by another worker, or given up)."""
    now = now or timezone.now()
    claimed = Notification.objects.filter(pk=notification_id, next_attempt_at__lte=now).update(
        next_attempt_at=now + timedelta(seconds=PUSH_LEASE_S))
    notification = Notification.objects.select_related("subscription", "payload").filter(pk=notification_id).first()
    if not claimed or notification is None:
        return None
    subscription = notification.subscription
    if subscription.status != SubscriptionStatus.RUNNING:
        Notification.objects.filter(pk=notification_id).update(next_attempt_at=None)  # parked until resumed
        return None
    body = json.dumps(notification_json(notification, root=subscription.service_root, now=now, ack_id=None),
                      ensure_ascii=False, separators=(",", ":")).encode()
    try:
        push_send(url=subscription.notification_endpoint, body=body,
                  secret=unseal(subscription.signing_secret_sealed), username=subscription.endpoint_username,
                  password=unseal(subscription.endpoint_password_sealed), notification_id=notification.pk,
                  subscription_id=str(subscription.id))
    except (PushFailed, SealBroken) as exc:
        return _push_failed(notification, subscription, str(exc), now=now)
    with transaction.atomic():
        Notification.objects.filter(pk=notification_id).delete()
        Subscription.objects.filter(pk=subscription.pk).update(last_notification_date=now)
    return None


def _push_failed(notification: Notification, subscription: Subscription, reason: str, *,
                 now: datetime) -> float | None:
    config = subscription_settings()
    attempts = notification.attempts + 1
    if attempts < config.push_attempts:
        delay = config.push_backoff_s * 2 ** (attempts - 1)
        Notification.objects.filter(pk=notification.pk).update(
            attempts=attempts, next_attempt_at=now + timedelta(seconds=delay), last_error=reason[:PUSH_ERROR_CHARS])
        logger.info("push %s to subscription %s failed (%s); attempt %s in %s s", notification.pk, subscription.id,
                    reason, attempts + 1, delay)
        return delay
    paused = f"Paused on {timestamp(now)}: {attempts} POSTs of one notification failed, the last: {reason}"
    with transaction.atomic():
        Notification.objects.filter(pk=notification.pk).update(attempts=attempts, last_error=reason[:PUSH_ERROR_CHARS])
        Notification.objects.filter(subscription_id=subscription.pk).update(next_attempt_at=None)
        Subscription.objects.filter(pk=subscription.pk).update(status=SubscriptionStatus.PAUSED,
                                                               paused_reason=paused[:PUSH_ERROR_CHARS])
    logger.warning("subscription %s paused: %s", subscription.id, paused)
    return None


def pushes_redispatch(*, now: datetime | None = None) -> int:
    """Send again the pushes whose message was lost (broker down, worker killed): due for longer than a lease."""
    now = now or timezone.now()
    due = list(Notification.objects.filter(next_attempt_at__lt=now - timedelta(seconds=PUSH_LEASE_S))
               .order_by("next_attempt_at").values_list("id", flat=True)[:PUSH_REDISPATCH_BATCH])
    pushes_enqueue(due)
    return len(due)


def payloads_strip(*, now: datetime | None = None, batch: int = 1000) -> int:
    """Drop the payloads older than PAYLOAD_KEPT_DAYS; their notifications keep the envelope. Returns how many."""
    cutoff = (now or timezone.now()) - timedelta(days=PAYLOAD_KEPT_DAYS)
    removed = 0
    while True:
        ids = list(NotificationPayload.objects.filter(created_at__lt=cutoff).values_list("id", flat=True)[:batch])
        if not ids:
            return removed
        with transaction.atomic():
            Notification.objects.filter(payload_id__in=ids).update(payload=None)
            NotificationPayload.objects.filter(id__in=ids).delete()
        removed += len(ids)
