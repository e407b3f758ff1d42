from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q

from rs.catalog.choices import EventKind


class CatalogEvent(models.Model):
    """Transactional outbox: written in the same transaction as the catalog change it announces.

    One EventDelivery row per interested consumer is written with it; the event counts as dispatched once every
    delivery is done. Nothing that matters lives only in the broker.
    """

    kind = models.CharField(max_length=16, choices=EventKind.choices)
    product_id = models.UUIDField(db_index=True)
    trace_id = models.UUIDField(default=uuid.uuid4)
    created_at = models.DateTimeField(auto_now_add=True)
    payload = models.JSONField(default=dict, blank=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # The re-dispatcher looks only at undelivered events: the partial index stays small however long the
            # history grows.
            models.Index(fields=["created_at"], name="event_pending", condition=Q(dispatched_at__isnull=True)),
            models.Index(fields=["dispatched_at"], name="event_dispatched", condition=Q(dispatched_at__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.product_id} (#{self.pk})"


class EventDelivery(models.Model):
    """One consumer's handling of one event; `delivered_at` is set in the consumer's own transaction."""

    event = models.ForeignKey(CatalogEvent, on_delete=models.CASCADE, related_name="deliveries")
    consumer = models.CharField(max_length=64)
    delivered_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True, default="")
    # Set by the periodic re-dispatch only (the first send, on commit, writes nothing): each re-send waits twice as
    # long as the one before, so a queue without workers is not flooded with copies of the same delivery.
    redispatched_at = models.DateTimeField(null=True, blank=True)
    redispatches = models.PositiveIntegerField(db_default=0)  # in the database: raw batch inserts write rows too

    class Meta:
        constraints = [models.UniqueConstraint(fields=["event", "consumer"], name="delivery_unique_consumer")]
        indexes = [models.Index(fields=["event"], name="delivery_pending", condition=Q(delivered_at__isnull=True))]
        verbose_name_plural = "event deliveries"

    def __str__(self) -> str:
        return f"{self.consumer} ← #{self.event_id}"
