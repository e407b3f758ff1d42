"""Catalog events: the outbox rows, their deliveries to the consumers, redispatch and purge."""

from __future__ import annotations

import logging
import operator
import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import timedelta
from functools import reduce

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from rs.catalog.events import EventConsumer, consumer_get, consumer_names, consumers_for
from rs.catalog.models import (
    CatalogEvent,
    EventDelivery,
)
from rs.errors import NotFound

logger = logging.getLogger(__name__)

DELIVERY_CHUNK = 500  # events per delivery message when a batch (eviction) emits many at once

# --- events -----------------------------------------------------------------------------------------------------------


def event_emit(
    *, kind: str, product_id: uuid.UUID, trace_id: uuid.UUID | None = None, payload: Mapping[str, object] | None = None
) -> CatalogEvent:
    """Write an outbox event and its pending deliveries; the deliveries are enqueued once the transaction commits."""
    consumers = consumers_for(kind)
    event = CatalogEvent.objects.create(
        kind=kind,
        product_id=product_id,
        trace_id=trace_id or uuid.uuid4(),
        payload=dict(payload or {}),
        dispatched_at=None if consumers else timezone.now(),
    )
    EventDelivery.objects.bulk_create([EventDelivery(event=event, consumer=c.name) for c in consumers])
    if consumers:
        transaction.on_commit(lambda: _deliveries_enqueue(event.pk, [c.name for c in consumers]))
    return event


def _deliveries_enqueue(event_id: int, names: Iterable[str]) -> int:
    """Send one delivery message per consumer; returns how many the broker took."""
    from rs.catalog.tasks import event_deliver_task

    sent = 0
    for name in names:
        consumer = consumer_get(name)
        if consumer is None:
            continue
        try:
            event_deliver_task.apply_async(args=(event_id, name), queue=consumer.queue)
        except Exception:  # broker down: the periodic re-dispatch sends it later; the row is the truth
            logger.warning("could not enqueue event %s for %s; it will be re-dispatched", event_id, name, exc_info=True)
        else:
            sent += 1
    return sent


def _deliveries_enqueue_many(event_ids: Sequence[int], consumers: Iterable[EventConsumer]) -> None:
    from rs.catalog.tasks import events_deliver_task

    for consumer in consumers:
        for start in range(0, len(event_ids), DELIVERY_CHUNK):
            chunk = list(event_ids[start:start + DELIVERY_CHUNK])
            try:
                events_deliver_task.apply_async(args=(chunk, consumer.name), queue=consumer.queue)
            except Exception:  # broker down: the periodic re-dispatch sends them later
                logger.warning("could not enqueue %d events for %s; they will be re-dispatched", len(chunk),
                               consumer.name, exc_info=True)


def events_deliver(*, event_ids: Sequence[int], consumer_name: str) -> int:
    """Deliver a chunk of events to one consumer, each in its own transaction; a failing one is left pending (its
    error recorded) for the re-dispatch and does not stop the others. Returns how many were delivered."""
    delivered = 0
    for event_id in event_ids:
        try:
            delivered += event_deliver(event_id=event_id, consumer_name=consumer_name)
        except Exception:
            logger.warning("event %s for %s failed; left for re-dispatch", event_id, consumer_name, exc_info=True)
    return delivered


def event_deliver(*, event_id: int, consumer_name: str) -> bool:
    """Run one consumer on one event, exactly once: returns False when there was nothing left to do."""
    consumer = consumer_get(consumer_name)
    if consumer is None:
        logger.error("event %s: no consumer named %r in this process", event_id, consumer_name)
        return False
    try:
        with transaction.atomic():
            # Lock the delivery row only ("self"): locking the joined event row too would make the other
            # consumers of the same event skip it while this one runs, and wait for the re-dispatch.
            delivery = (
                EventDelivery.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("event")
                .filter(event_id=event_id, consumer=consumer_name, delivered_at__isnull=True)
                .first()
            )
            if delivery is None:  # already delivered, or another worker is delivering it right now
                return False
            consumer.handler(delivery.event)
            now = timezone.now()
            EventDelivery.objects.filter(pk=delivery.pk).update(
                delivered_at=now, attempts=delivery.attempts + 1, last_error=""
            )
            if not EventDelivery.objects.filter(event_id=event_id, delivered_at__isnull=True).exists():
                CatalogEvent.objects.filter(pk=event_id, dispatched_at__isnull=True).update(dispatched_at=now)
    except Exception as exc:
        EventDelivery.objects.filter(event_id=event_id, consumer=consumer_name, delivered_at__isnull=True).update(
            attempts=F("attempts") + 1, last_error=f"{type(exc).__name__}: {exc}"[:2000]
        )
        raise
    return True


# A delivery re-sent k times waits delay x 2^k before the next re-send (at most delay x 2^REDISPATCH_BACKOFF_MAX).
REDISPATCH_BACKOFF_MAX = 6


def events_redispatch(*, older_than_s: int | None = None, limit: int = 500) -> int:
    """Re-enqueue deliveries whose send was lost (broker down, process killed) or whose message went nowhere (a
    queue without workers). Returns how many were sent.

    A few statements whatever the backlog: one read of the deliveries due, one UPDATE per back-off step they were
    at, one UPDATE closing events with nothing left to deliver."""
    delay = timedelta(seconds=older_than_s if older_than_s is not None else settings.RS_EVENT_REDISPATCH_AFTER_S)
    now = timezone.now()
    # Only deliveries that can be sent (attempts left, a consumer this process knows): exhausted or unknown ones stay
    # pending for an operator; being the oldest, they would otherwise fill every batch once `limit` of them exist.
    never_resent = Q(redispatched_at__isnull=True)
    backed_off = [Q(redispatches=k, redispatched_at__lt=now - delay * 2**k) for k in range(REDISPATCH_BACKOFF_MAX)]
    backed_off.append(Q(redispatches__gte=REDISPATCH_BACKOFF_MAX,
                        redispatched_at__lt=now - delay * 2**REDISPATCH_BACKOFF_MAX))
    due = list(
        EventDelivery.objects.filter(
            delivered_at__isnull=True, attempts__lt=settings.RS_EVENT_MAX_ATTEMPTS, consumer__in=consumer_names(),
            event__dispatched_at__isnull=True, event__created_at__lt=now - delay,
        )
        .filter(reduce(operator.or_, backed_off, never_resent))
        .order_by("event_id", "consumer")
        .values_list("pk", "event_id", "consumer", "redispatches")[:limit]
    )
    by_step: dict[int, list[int]] = {}
    for pk, _, _, redispatches in due:
        by_step.setdefault(min(redispatches, REDISPATCH_BACKOFF_MAX), []).append(pk)
    for step, pks in by_step.items():  # before sending: a worker taking a message at once finds the row up to date
        EventDelivery.objects.filter(pk__in=pks).update(redispatched_at=now, redispatches=step + 1)
    sent = sum(_deliveries_enqueue(event_id, [consumer]) for _, event_id, consumer, _ in due)

    pending = EventDelivery.objects.filter(event=OuterRef("pk"), delivered_at__isnull=True)
    closable = (CatalogEvent.objects.filter(dispatched_at__isnull=True, created_at__lt=now - delay)
                .filter(~Exists(pending)).order_by("created_at").values("pk")[:limit])
    CatalogEvent.objects.filter(pk__in=closable, dispatched_at__isnull=True).update(dispatched_at=now)
    return sent


def events_purge(*, older_than_days: int | None = None) -> int:
    """Delete fully dispatched events older than the retention (their deliveries go with them)."""
    days = settings.RS_EVENT_RETENTION_DAYS if older_than_days is None else older_than_days
    cutoff = timezone.now() - timedelta(days=days)
    _, per_model = CatalogEvent.objects.filter(dispatched_at__lt=cutoff).delete()
    return per_model.get(CatalogEvent._meta.label, 0)


def delivery_retry(*, delivery_id: int) -> None:
    """Operator action: give a delivery that exhausted its attempts a fresh start."""
    with transaction.atomic():
        updated = EventDelivery.objects.filter(pk=delivery_id, delivered_at__isnull=True).update(
            attempts=0, redispatches=0, redispatched_at=None)
        if not updated:
            raise NotFound(f"no pending delivery {delivery_id}")
        delivery = EventDelivery.objects.get(pk=delivery_id)
        transaction.on_commit(lambda: _deliveries_enqueue(delivery.event_id, [delivery.consumer]))


def _events_emit_many(*, kind: str, payloads: Mapping[uuid.UUID, Mapping[str, object]]) -> None:
    """One event per product with a few bulk inserts (batch eviction emits thousands at a time)."""
    _events_emit_batch([(kind, pid, uuid.uuid4(), payload) for pid, payload in payloads.items()])


def _events_emit_batch(events: Sequence[tuple[str, uuid.UUID, uuid.UUID, Mapping[str, object]]]) -> None:
    """Outbox events (kind, product, trace, payload) written with a few bulk inserts; their deliveries are sent on
    commit as one message per consumer and chunk, not per event: publishing thousands of messages one by one costs
    more than the batch itself."""
    if not events:
        return
    consumers = {kind: consumers_for(kind) for kind in {kind for kind, *_ in events}}
    now = timezone.now()
    rows = CatalogEvent.objects.bulk_create([
        CatalogEvent(kind=kind, product_id=pid, trace_id=trace, payload=dict(payload),
                     dispatched_at=None if consumers[kind] else now)
        for kind, pid, trace, payload in events
    ])
    EventDelivery.objects.bulk_create(
        [EventDelivery(event=e, consumer=c.name) for e in rows for c in consumers[e.kind]], batch_size=2000
    )
    by_consumer: dict[str, list[int]] = {}
    for event in rows:
        for consumer in consumers[event.kind]:
            by_consumer.setdefault(consumer.name, []).append(event.pk)
    if by_consumer:
        transaction.on_commit(lambda: _deliveries_enqueue_by_consumer(by_consumer))


def _deliveries_enqueue_by_consumer(event_ids: Mapping[str, Sequence[int]]) -> None:
    for name, ids in event_ids.items():
        consumer = consumer_get(name)
        if consumer is not None:
            _deliveries_enqueue_many(ids, [consumer])
