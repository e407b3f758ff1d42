"""Enumerations of subscriptions (CDSE values, stored in the database: never rename one without a migration)."""

from django.db import models


class SubscriptionStatus(models.TextChoices):
    RUNNING = "running", "Running"
    PAUSED = "paused", "Paused"
    CANCELLED = "cancelled", "Cancelled"  # only ever requested: a cancelled subscription is deleted


class SubscriptionEvent(models.TextChoices):
    """What a subscriber is told about: a product became visible, changed, or was deleted (DeletedProducts)."""

    CREATED = "created", "Created"
    MODIFIED = "modified", "Modified"
    DELETED = "deleted", "Deleted"
