"""Subscriptions (CDSE semantics, prip-odata.md §13), their notifications, and the per-user limits of distribution
(download quotas and subscription limits). Rows are written only through rs.subscriptions.services."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q, Value
from django.db.models.functions import Coalesce

from rs.subscriptions.choices import SubscriptionEvent, SubscriptionStatus
from rs.subscriptions.constants import MAX_CONCURRENT_DOWNLOADS


class Subscription(models.Model):
    """A user's standing query: products matching `filter_param` are notified by push (POST to the endpoint) or kept
    in a pull queue (the Notification rows) until acknowledged."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="prip_subscriptions")
    filter_param = models.TextField(blank=True, default="", help_text="OData $filter text; empty = every product.")
    stage_order = models.BooleanField(default=True, help_text="Accepted and echoed (CDSE).")
    priority = models.IntegerField(default=1, help_text="Accepted and echoed (CDSE fixes it to 1).")
    status = models.CharField(max_length=16, choices=SubscriptionStatus.choices, default=SubscriptionStatus.RUNNING)
    on_created = models.BooleanField(default=True)
    on_modified = models.BooleanField(default=False)
    on_deleted = models.BooleanField(default=False)
    notification_endpoint = models.CharField(max_length=2048, blank=True, default="",
                                             help_text="Push: the URL notifications are POSTed to; empty = pull.")
    endpoint_username = models.CharField(max_length=256, blank=True, default="")
    # Both sealed with a key derived from SECRET_KEY (rs.subscriptions.sealing): never shown, never logged.
    endpoint_password_sealed = models.TextField(blank=True, default="")
    signing_secret_sealed = models.TextField(blank=True, default="")
    service_root = models.CharField(max_length=1024, blank=True, default="",
                                    help_text="The OData root the subscriber used: download links of push payloads.")
    submission_date = models.DateTimeField(auto_now_add=True)
    last_notification_date = models.DateTimeField(null=True, blank=True)
    # Pull: notifications waiting in the queue. Kept by the services under a row lock, so that the maximum queue
    # length is enforced without counting up to 100,000 rows per event.
    queue_length = models.PositiveIntegerField(default=0)
    paused_reason = models.CharField(max_length=600, blank=True, default="",
                                     help_text="Why the service paused it (push endpoint failing).")

    class Meta:
        indexes = [models.Index(fields=["owner", "submission_date"], name="subscription_owner")]

    def __str__(self) -> str:
        return f"{self.id} ({self.owner_id}, {self.status})"

    @property
    def is_push(self) -> bool:
        return bool(self.notification_endpoint)

    @property
    def events(self) -> list[str]:
        flags = ((self.on_created, SubscriptionEvent.CREATED), (self.on_modified, SubscriptionEvent.MODIFIED),
                 (self.on_deleted, SubscriptionEvent.DELETED))
        return [str(event) for on, event in flags if on]


class SubscriptionKey(models.Model):
    """A (mission, product type) pair that a product must have for the subscription's filter to match it ('' =
    any). The matching of a new product reads only the subscriptions keyed by its own pair or by ''."""

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="keys")
    mission = models.CharField(max_length=2, blank=True, default="")
    product_type = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        indexes = [models.Index(fields=["mission", "product_type", "subscription"], name="subscription_key")]

    def __str__(self) -> str:
        return f"{self.mission or '*'}/{self.product_type or '*'}"


class NotificationPayload(models.Model):
    """The product as notified (`value` and `ProductName`), shared by every notification of one catalog event and
    removed after PAYLOAD_KEPT_DAYS (the notifications keep their envelope)."""

    product_id = models.UUIDField()
    product_name = models.CharField(max_length=255)
    # entry JSON with DownloadLinks relative to the service root ("/Products(…)/$value"): each reader adds its root
    value = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return self.product_name


class Notification(models.Model):
    """One notification of one subscription: a pull queue item until acknowledged, or a push waiting to be sent.

    Ids grow with time, so the queue order is the id order and an AckId names an id (and all before it)."""

    id = models.BigAutoField(primary_key=True)
    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="notifications")
    event = models.CharField(max_length=16, choices=SubscriptionEvent.choices)
    product_id = models.UUIDField()
    payload = models.ForeignKey(NotificationPayload, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField()
    # push only: when to POST next (null: pull item, or a push parked while its subscription is paused)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=600, blank=True, default="")

    class Meta:
        indexes = [
            models.Index(fields=["subscription", "id"], name="notification_queue"),
            models.Index(fields=["next_attempt_at"], name="notification_push_due",
                         condition=Q(next_attempt_at__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"{self.event} {self.product_id} → {self.subscription_id}"


class UserLimits(models.Model):
    """Download quotas and subscription limits. The row without a user is everybody's default (empty field:
    unlimited); a user's row overrides it field by field (empty field: the default's value)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE,
                                related_name="prip_limits", help_text="Empty: the default of every user.")
    concurrent_downloads = models.PositiveIntegerField(null=True, blank=True,
                                                       validators=[MaxValueValidator(MAX_CONCURRENT_DOWNLOADS)])
    download_bytes = models.PositiveBigIntegerField(null=True, blank=True, help_text="Bytes per period.")
    download_period_days = models.PositiveIntegerField(null=True, blank=True)
    requests_per_minute = models.PositiveIntegerField(null=True, blank=True)
    running_subscriptions = models.PositiveIntegerField(null=True, blank=True)
    total_subscriptions = models.PositiveIntegerField(null=True, blank=True)
    subscription_queue_length = models.PositiveIntegerField(null=True, blank=True)
    subscription_read_max = models.PositiveIntegerField(null=True, blank=True, help_text="Largest Read $top.")

    class Meta:
        verbose_name = "user limits"
        verbose_name_plural = "user limits"
        constraints = [
            # one row per user, and one default row (NULLs would otherwise be distinct)
            models.UniqueConstraint(Coalesce("user", Value(0)), name="limits_one_row_per_user"),
            models.CheckConstraint(condition=Q(download_period_days__isnull=True) | Q(download_period_days__gte=1),
                                   name="limits_period_positive"),
        ]

    def __str__(self) -> str:
        return f"limits of {self.user}" if self.user_id else "default limits"


class DownloadUsage(models.Model):
    """Bytes one downloader was charged on one UTC day. The byte quota is over a rolling period of days: admitting a
    download sums at most `download_period_days` of these rows, a range of the (owner, day) index, so its cost does
    not grow with the history. Rows older than every period are purged daily."""

    # sha256 of Principal.owner_key: local users and users of external issuers alike, naming nobody
    owner = models.CharField(max_length=64)
    day = models.DateField()
    bytes = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["owner", "day"], name="download_usage_owner_day")]

    def __str__(self) -> str:
        return f"{self.owner[:8]}… {self.day}: {self.bytes} bytes"
