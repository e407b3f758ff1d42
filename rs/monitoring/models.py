"""Monitoring's own rows: the alerts raised by the rules (one open alert per key is the de-duplication)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q


class Alert(models.Model):
    """A rule's breach, open from the first evaluation that saw it until the first that did not."""

    key = models.CharField(max_length=200, help_text="Rule and subject, e.g. storage-quota:L1_SLICE.")
    rule = models.CharField(max_length=32)
    message = models.TextField()
    first_seen_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    notified_at = models.DateTimeField(null=True, blank=True, help_text="When the webhook accepted it.")
    notify_attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True, default="")

    class Meta:
        ordering = ("-first_seen_at", "-id")
        constraints = [
            # De-duplication: one open alert per key; a breach seen again only moves last_seen_at.
            models.UniqueConstraint(fields=["key"], condition=Q(resolved_at__isnull=True), name="alert_open_key"),
        ]

    def __str__(self) -> str:
        return f"{self.key} ({'resolved' if self.resolved_at else 'open'})"
