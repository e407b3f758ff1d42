"""The JSON of subscriptions and notifications, in CDSE's key order (prip-odata.md §13 and the cdse_subscription_*
samples). Timestamps as everywhere in the PRIP: six fractional digits and Z."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from rs.catalog.query.entries import CatalogEntry
from rs.catalog.query.names import name_convention
from rs.prip.odata.serializers import entry_json, timestamp
from rs.subscriptions.constants import PAYLOAD_KEPT_DAYS
from rs.subscriptions.models import Notification, Subscription

SUBSCRIPTION_CONTEXT = "$metadata#OData.CSC.Subscription"
NOTIFICATION_CONTEXT = "$metadata#Notification/$entity"
PRODUCT_CONTEXT = "$metadata#Products(Attributes(),Assets(),Locations())/$entity"
DELETED_PRODUCT_CONTEXT = "$metadata#DeletedProducts(Attributes())/$entity"


def subscription_json(subscription: Subscription, *, info: bool = False) -> dict[str, Any]:
    """One subscription; `info` adds LastNotificationDate (Subscriptions/Info). Credentials are never shown."""
    result: dict[str, Any] = {
        "Id": str(subscription.id),
        "FilterParam": subscription.filter_param,
        "StageOrder": subscription.stage_order,
        "Priority": subscription.priority,
        "Status": subscription.status,
    }
    if subscription.notification_endpoint:
        result["NotificationEndpoint"] = subscription.notification_endpoint
    if info:
        result["LastNotificationDate"] = timestamp(subscription.last_notification_date)
    result["SubscriptionEvent"] = subscription.events
    result["SubmissionDate"] = timestamp(subscription.submission_date)
    result["@odata.context"] = SUBSCRIPTION_CONTEXT
    return result


def entry_value(entry: CatalogEntry, *, deleted: bool) -> dict[str, Any]:
    """The notified product as stored: the full product (or DeletedProduct) with links relative to the root."""
    expand = ("Attributes",) if deleted else ("Attributes", "Assets", "Locations")
    body = entry_json(entry, root="", convention=name_convention(), select=None, expand=expand)
    return {"@odata.context": DELETED_PRODUCT_CONTEXT if deleted else PRODUCT_CONTEXT, **body}


def value_rooted(value: dict[str, Any], root: str) -> dict[str, Any]:
    """The stored value with the absolute DownloadLinks of the service root the reader uses."""
    result = dict(value)
    for navigation in ("Assets", "Locations"):
        items = result.get(navigation)
        if isinstance(items, list):
            result[navigation] = [
                {**item, "DownloadLink": root + item["DownloadLink"]}
                if isinstance(item, dict) and str(item.get("DownloadLink", "")).startswith("/") else item
                for item in items
            ]
    return result


def payload_fresh(notification: Notification, *, now: datetime) -> bool:
    """After PAYLOAD_KEPT_DAYS only the envelope remains (even before the periodic strip has run)."""
    return notification.payload is not None and now - notification.created_at < timedelta(days=PAYLOAD_KEPT_DAYS)


def notification_json(notification: Notification, *, root: str, now: datetime,
                      ack_id: str | None) -> dict[str, Any]:
    """A Read item (with its AckId) or a push body (without)."""
    fresh = payload_fresh(notification, now=now)
    result: dict[str, Any] = {
        "@odata.context": NOTIFICATION_CONTEXT,
        "SubscriptionEvent": notification.event,
        "ProductId": str(notification.product_id),
    }
    if fresh and notification.payload is not None:
        result["ProductName"] = notification.payload.product_name
    result["SubscriptionId"] = str(notification.subscription_id)
    result["NotificationDate"] = timestamp(notification.created_at)
    if ack_id is not None:
        result["AckId"] = ack_id
    if fresh and notification.payload is not None:
        result["value"] = value_rooted(notification.payload.value, root)
    return result
