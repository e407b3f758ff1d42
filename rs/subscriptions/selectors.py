"""Reads of subscriptions (always within one owner: another user's subscription is "not found") and of the
download-usage buckets of the byte quota."""

from __future__ import annotations

import uuid
from datetime import date

from django.db.models import Max, QuerySet

from rs.subscriptions.constants import DEFAULT_DOWNLOAD_PERIOD_DAYS
from rs.subscriptions.errors import SubscriptionNotFound
from rs.subscriptions.models import DownloadUsage, Notification, Subscription, UserLimits


def subscriptions_of(*, owner_id: int) -> QuerySet[Subscription]:
    return Subscription.objects.filter(owner_id=owner_id).order_by("submission_date", "id")


def subscription_of(*, owner_id: int, subscription_id: uuid.UUID) -> Subscription:
    found = Subscription.objects.filter(owner_id=owner_id, pk=subscription_id).first()
    if found is None:
        raise SubscriptionNotFound(subscription_id)
    return found


def notifications_oldest(*, subscription: Subscription, top: int) -> list[Notification]:
    """The first `top` notifications of a pull queue, oldest first, without removing them (Read)."""
    return list(subscription.notifications.select_related("payload").order_by("id")[:top])


def download_usage_since(*, owner: str, since: date) -> list[tuple[date, int]]:
    """The owner's (day, bytes) buckets from `since` on, oldest first: a range of the (owner, day) index, at most one
    row per day of the period."""
    return list(DownloadUsage.objects.filter(owner=owner, day__gte=since).order_by("day")
                .values_list("day", "bytes"))


def download_period_days_longest() -> int:
    """The longest byte-quota period of any limits row (the buckets older than that count for nobody)."""
    longest = UserLimits.objects.aggregate(days=Max("download_period_days"))["days"]
    return max(longest or 0, DEFAULT_DOWNLOAD_PERIOD_DAYS)
