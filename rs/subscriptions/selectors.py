"""Reads of subscriptions: always within one owner (another user's subscription is "not found")."""

from __future__ import annotations

import uuid

from django.db.models import QuerySet

from rs.subscriptions.errors import SubscriptionNotFound
from rs.subscriptions.models import Notification, Subscription


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
