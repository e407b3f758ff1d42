"""Writes of subscriptions: create, change, delete, acknowledge; and the admin's edits of UserLimits. Keyword-only
and atomic; counts against the limits are taken under a lock on the owner, so two requests cannot both pass."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import date

from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.db.models.functions import Greatest

from rs.catalog.query.filter_parser import parse_filter
from rs.catalog.query.properties import Entity
from rs.subscriptions.ack_ids import ack_id_read
from rs.subscriptions.bodies import SubscriptionChanges, SubscriptionRequest
from rs.subscriptions.choices import SubscriptionEvent, SubscriptionStatus
from rs.subscriptions.errors import InvalidSubscription, LimitReached, SubscriptionNotFound
from rs.subscriptions.limits import Limits, limits_changed, limits_for
from rs.subscriptions.models import DownloadUsage, Notification, Subscription, SubscriptionKey, UserLimits
from rs.subscriptions.prefilter import keys_of
from rs.subscriptions.sealing import seal


@dataclass(frozen=True)
class AckResult:
    acknowledged: int
    queue_length: int
    max_queue_length: int | None


def _owner_lock(owner_id: int) -> None:
    """Serialises the owner's subscription changes (PostgreSQL row lock; SQLite's write lock does it anyway)."""
    get_user_model().objects.select_for_update().filter(pk=owner_id).values_list("pk").first()


def _limits_check(*, owner_id: int, limits: Limits, adding: int, starting: int) -> None:
    mine = Subscription.objects.filter(owner_id=owner_id)
    if adding and limits.total_subscriptions is not None:
        total = mine.count()
        if total + adding > limits.total_subscriptions:
            raise LimitReached(f"You have {total} subscriptions, the most allowed: delete one first.")
    if starting and limits.running_subscriptions is not None:
        running = mine.filter(status=SubscriptionStatus.RUNNING).count()
        if running + starting > limits.running_subscriptions:
            raise LimitReached(f"You have {running} running subscription(s), the most allowed: pause or delete "
                               "one first.")


def _locked(*, owner_id: int, subscription_id: uuid.UUID) -> Subscription:
    found = Subscription.objects.select_for_update().filter(owner_id=owner_id, pk=subscription_id).first()
    if found is None:
        raise SubscriptionNotFound(subscription_id)
    return found


def subscription_create(*, owner_id: int, request: SubscriptionRequest, service_root: str) -> tuple[Subscription, str]:
    """The new subscription and, for a push one, the secret of its signatures (shown to the owner this once).
    QueryError for a filter the catalogue cannot run, LimitReached beyond the owner's limits."""
    tree = parse_filter(request.filter_param, entity=Entity.PRODUCTS)
    limits = limits_for(user_id=owner_id)
    secret = secrets.token_urlsafe(32) if request.endpoint else ""
    with transaction.atomic():
        _owner_lock(owner_id)
        _limits_check(owner_id=owner_id, limits=limits, adding=1,
                      starting=int(request.status == SubscriptionStatus.RUNNING))
        subscription = Subscription.objects.create(
            owner_id=owner_id, filter_param=request.filter_param, stage_order=request.stage_order,
            priority=request.priority, status=request.status,
            on_created=SubscriptionEvent.CREATED in request.events,
            on_modified=SubscriptionEvent.MODIFIED in request.events,
            on_deleted=SubscriptionEvent.DELETED in request.events,
            notification_endpoint=request.endpoint, endpoint_username=request.username,
            endpoint_password_sealed=seal(request.password), signing_secret_sealed=seal(secret),
            service_root=service_root,
        )
        SubscriptionKey.objects.bulk_create([SubscriptionKey(subscription=subscription, mission=mission,
                                                             product_type=product_type)
                                             for mission, product_type in keys_of(tree)])
    return subscription, secret


def subscription_update(*, owner_id: int, subscription_id: uuid.UUID,
                        changes: SubscriptionChanges) -> Subscription:
    """PATCH: Status of any subscription, endpoint and credentials of a push one; `cancelled` deletes it (the
    returned object then shows the cancelled state)."""
    from rs.subscriptions.delivery import pushes_rearm

    with transaction.atomic():
        _owner_lock(owner_id)
        subscription = _locked(owner_id=owner_id, subscription_id=subscription_id)
        if changes.status == SubscriptionStatus.CANCELLED:
            subscription.delete()
            subscription.status = SubscriptionStatus.CANCELLED
            return subscription
        push_fields = {"NotificationEndpoint": changes.endpoint, "NotificationEpUsername": changes.username,
                       "NotificationEpPassword": changes.password}
        given = [name for name, value in push_fields.items() if value is not None]
        if given and not subscription.is_push:
            raise InvalidSubscription("A pull subscription can change its Status only", target=given[0])
        resumed = changes.status == SubscriptionStatus.RUNNING and subscription.status != SubscriptionStatus.RUNNING
        if resumed:
            _limits_check(owner_id=owner_id, limits=limits_for(user_id=owner_id), adding=0, starting=1)
            subscription.paused_reason = ""
        if changes.status is not None:
            subscription.status = changes.status
        if changes.endpoint is not None:
            subscription.notification_endpoint = changes.endpoint
        if changes.username is not None:
            subscription.endpoint_username = changes.username
        if changes.password is not None:
            subscription.endpoint_password_sealed = seal(changes.password)
        subscription.save()
        if resumed and subscription.is_push:
            pushes_rearm(subscription_id=subscription.id)
    return subscription


@transaction.atomic
def subscription_delete(*, owner_id: int, subscription_id: uuid.UUID) -> None:
    _owner_lock(owner_id)
    _locked(owner_id=owner_id, subscription_id=subscription_id).delete()  # its queue and keys go with it


def notifications_ack(*, owner_id: int, subscription_id: uuid.UUID, ack_id: str) -> AckResult:
    """Acknowledge the notification an AckId names and every earlier one of the queue."""
    with transaction.atomic():
        subscription = _locked(owner_id=owner_id, subscription_id=subscription_id)
        if subscription.is_push:
            raise InvalidSubscription("A push subscription has no queue to acknowledge", target="$ackid")
        position = ack_id_read(ack_id, subscription_id=subscription.id)
        removed, _ = Notification.objects.filter(subscription=subscription, id__lte=position).delete()
        subscription.queue_length = max(0, subscription.queue_length - removed)
        Subscription.objects.filter(pk=subscription.pk).update(queue_length=subscription.queue_length)
    maximum = limits_for(user_id=owner_id).subscription_queue_length
    return AckResult(acknowledged=removed, queue_length=subscription.queue_length, max_queue_length=maximum)


# --- limits (admin) ---------------------------------------------------------------------------------------------------


def limits_save(*, limits: UserLimits) -> UserLimits:
    """Save a default or per-user row; every web process sees it within one cache round trip."""
    limits.full_clean()
    with transaction.atomic():
        limits.save()
        transaction.on_commit(limits_changed)
    return limits


def limits_delete(*, limits: UserLimits) -> None:
    with transaction.atomic():
        limits.delete()
        transaction.on_commit(limits_changed)


def _relaxed_commit() -> None:
    """Inside a transaction: its commit does not wait for the WAL flush (PostgreSQL). Losing the last fraction of a
    second of quota charges in a database crash is acceptable for counters; waiting for an fsync on every download
    admission (milliseconds on a busy disk) is not."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


def _bucket_add(*, owner: str, day: date, delta: int) -> None:
    bucket = DownloadUsage.objects.filter(owner=owner, day=day)
    if bucket.update(bytes=Greatest(F("bytes") + delta, 0)):
        return
    try:
        with transaction.atomic():
            DownloadUsage.objects.create(owner=owner, day=day, bytes=max(delta, 0))
    except IntegrityError:  # a racing first download of the day created it
        bucket.update(bytes=Greatest(F("bytes") + delta, 0))


def download_usage_charge(*, owner: str, day: date, delta: int, since: date) -> list[tuple[date, int]]:
    """Add `delta` bytes to the owner's bucket of `day` and return the owner's buckets from `since` on, oldest
    first, in one transaction: today's row stays locked from the UPDATE to the read, so two admissions of one owner
    see each other's charge. One UPDATE and one index range in the steady state (one statement on PostgreSQL)."""
    if connection.vendor == "postgresql":
        buckets = _charge_statement(owner=owner, day=day, delta=delta, since=since)
        if buckets is not None:
            return buckets
    with transaction.atomic():
        _relaxed_commit()
        _bucket_add(owner=owner, day=day, delta=delta)
        return list(DownloadUsage.objects.filter(owner=owner, day__gte=since).order_by("day")
                    .values_list("day", "bytes"))


_CHARGE_SQL = (
    "WITH relaxed AS (SELECT set_config('synchronous_commit', 'off', true)), "
    "charged AS (UPDATE {table} SET bytes = GREATEST(bytes + %s, 0) WHERE owner = %s AND day = %s "
    "RETURNING day, bytes) "
    "SELECT day, bytes FROM charged, relaxed "
    "UNION ALL SELECT day, bytes FROM {table} WHERE owner = %s AND day >= %s AND day <> %s "
    "ORDER BY day"
)


def _charge_statement(*, owner: str, day: date, delta: int, since: date) -> list[tuple[date, int]] | None:
    """The charge of an existing bucket as one statement, its own transaction (one round trip): the UPDATE's row
    lock is held until the statement commits, and set_config(…, true) relaxes that commit only (_relaxed_commit).
    The period's other rows are read beside the updated one. None when `day` has no bucket yet (the first download
    of the day creates it the long way)."""
    with connection.cursor() as cursor:
        cursor.execute(_CHARGE_SQL.format(table=connection.ops.quote_name(DownloadUsage._meta.db_table)),
                       [delta, owner, day, owner, since, day])
        rows = cursor.fetchall()
    if all(bucket_day != day for bucket_day, _ in rows):
        return None
    return [(bucket_day, amount) for bucket_day, amount in rows if bucket_day >= since]


def download_usage_add(*, owner: str, day: date, delta: int) -> None:
    """Add `delta` bytes to the owner's bucket of `day` (negative: give back, never below 0)."""
    with transaction.atomic():
        _relaxed_commit()
        _bucket_add(owner=owner, day=day, delta=delta)


def download_usage_purge(*, before: date) -> int:
    """Remove the buckets older than `before` (outside every period); the number removed."""
    return DownloadUsage.objects.filter(day__lt=before).delete()[0]
