"""Ad-hoc production orders: an operator orders the processing of a time window, an area or a list of products with
a chosen processor version and parameters, follows its progress and is called back when it completes.

An order owns one production rule (disabled, so catalog events never trigger it) built from a template rule, the
chosen version and the parameters: its jobs are the jobs of that rule, prepared by the same code as systematic
production and linked to the order through `rule` (the unique (rule, group_key) index serves every order query).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.gis.db import models
from django.db.models import Q
from django.utils import timezone

from rs.production.choices import Priority


class OrderState(models.TextChoices):
    ACCEPTED = "accepted", "Accepted (its jobs are being planned in the background)"
    PLANNING = "planning", "Planning (its jobs are being created)"
    RUNNING = "running", "Running"
    COMPLETED = "completed", "Completed (every job succeeded)"
    PARTIALLY_FAILED = "partially_failed", "Partially failed (some jobs succeeded)"
    FAILED = "failed", "Failed (no job succeeded)"
    CANCELLED = "cancelled", "Cancelled"


FINISHED_ORDER_STATES = frozenset({OrderState.COMPLETED, OrderState.PARTIALLY_FAILED, OrderState.FAILED,
                                   OrderState.CANCELLED})


class SelectionKind(models.TextChoices):
    WINDOW = "window", "Products sensed in a time window"
    AREA = "area", "Products sensed in a time window over an area"
    PRODUCTS = "products", "A list of products"


class ProductionOrder(models.Model):
    name = models.CharField(max_length=200, blank=True, default="", help_text="What the order is for.")
    state = models.CharField(max_length=16, choices=OrderState.choices, default=OrderState.PLANNING)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    processor_version = models.ForeignKey("production.ProcessorVersion", on_delete=models.PROTECT,
                                          related_name="orders")
    template_rule = models.ForeignKey("production.ProductionRule", null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="+", help_text="The rule whose trigger and grouping it follows.")
    rule = models.OneToOneField("production.ProductionRule", on_delete=models.PROTECT, related_name="order",
                                help_text="The order's own rule: its jobs are this rule's jobs.")
    priority = models.CharField(max_length=8, choices=Priority.choices, default=Priority.MEDIUM)
    parameters = models.JSONField(default=dict, blank=True, help_text="Dyn_ProcParam name → value (template).")

    selection = models.CharField(max_length=8, choices=SelectionKind.choices)
    window_start = models.DateTimeField(null=True, blank=True)
    window_stop = models.DateTimeField(null=True, blank=True)
    area = models.MultiPolygonField(srid=4326, null=True, blank=True)
    product_ids = models.JSONField(default=list, blank=True)

    products_selected = models.PositiveIntegerField(default=0)
    products_skipped = models.PositiveIntegerField(default=0)
    skipped = models.JSONField(default=list, blank=True, help_text="[{product, reason}, …] (the first 100).")
    jobs_created = models.PositiveIntegerField(default=0)
    # Planning of a large order, chunk by chunk (state `accepted`): how far it went, and the keyset cursor of a window
    # selection (content_start, id of the last product planned).
    products_planned = models.PositiveIntegerField(default=0)
    plan_after_start = models.DateTimeField(null=True, blank=True)
    plan_after_id = models.UUIDField(null=True, blank=True)
    plan_step_at = models.DateTimeField(null=True, blank=True, help_text="When the last planning chunk committed.")
    plan_error = models.TextField(blank=True, default="", help_text="Why planning made no job.")

    notify_url = models.CharField(max_length=2048, blank=True, default="",
                                  help_text="POSTed a signed JSON body when the order finishes.")
    notify_secret_sealed = models.TextField(blank=True, default="")
    notify_email = models.EmailField(blank=True, default="")
    # A due notification: the row is the truth, the broker carries the order id after the commit.
    notify_next_at = models.DateTimeField(null=True, blank=True)
    notify_attempts = models.PositiveSmallIntegerField(default=0)
    notify_error = models.TextField(blank=True, default="")
    webhook_sent_at = models.DateTimeField(null=True, blank=True)
    email_sent_at = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField(default=timezone.now)
    cancelled_at = models.DateTimeField(null=True, blank=True, help_text="When an operator cancelled it.")
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["state", "-id"], name="order_state_id"),
            models.Index(fields=["notify_next_at"], name="order_notify_due", condition=Q(notify_next_at__isnull=False)),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(window_stop__gt=models.F("window_start")) | Q(window_start__isnull=True),
                                   name="order_window_ordered"),
        ]

    def __str__(self) -> str:
        return f"order {self.pk} ({self.state})"
