"""The JSON bodies of POST and PATCH Subscriptions, checked field by field (prip-odata.md §13). Anything malformed is
an InvalidSubscription naming the field; the filter itself is checked by the services (the shared query layer)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from rs.subscriptions.choices import SubscriptionEvent, SubscriptionStatus
from rs.subscriptions.constants import MAX_BODY_BYTES, MAX_CREDENTIAL_CHARS
from rs.subscriptions.errors import InvalidSubscription
from rs.subscriptions.push import endpoint_check

_CREATE_FIELDS = ("FilterParam", "StageOrder", "Priority", "Status", "SubscriptionEvent", "NotificationEndpoint",
                  "NotificationEpUsername", "NotificationEpPassword")
_PATCH_FIELDS = ("Status", "NotificationEndpoint", "NotificationEpUsername", "NotificationEpPassword")


@dataclass(frozen=True)
class SubscriptionRequest:
    filter_param: str = ""
    stage_order: bool = True
    priority: int = 1
    status: str = SubscriptionStatus.RUNNING
    events: tuple[str, ...] = (SubscriptionEvent.CREATED,)
    endpoint: str = ""
    username: str = ""
    password: str = ""


@dataclass(frozen=True)
class SubscriptionChanges:
    """What a PATCH asks for; None = unchanged."""

    status: str | None = None
    endpoint: str | None = None
    username: str | None = None
    password: str | None = None


def _object(body: bytes, allowed: tuple[str, ...]) -> dict[str, Any]:
    if len(body) > MAX_BODY_BYTES:
        raise InvalidSubscription(f"The body exceeds {MAX_BODY_BYTES} bytes")
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise InvalidSubscription("The body is not JSON: send an object such as "
                                  '{"FilterParam": "Collection/Name eq \'SENTINEL-1\'"}') from None
    if not isinstance(data, dict):
        raise InvalidSubscription("The body must be a JSON object")
    unknown = [key for key in data if key not in allowed and not key.startswith("@odata.")]
    if unknown:
        raise InvalidSubscription(f"Unknown or unchangeable field {unknown[0]!r}: use {', '.join(allowed)}",
                                  target=unknown[0])
    return data


def _text(data: dict[str, Any], name: str, *, limit: int) -> str | None:
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidSubscription(f"{name} must be a string", target=name)
    if "\x00" in value:
        raise InvalidSubscription(f"{name} must not contain a NUL character", target=name)
    if len(value) > limit:
        raise InvalidSubscription(f"{name} is longer than {limit} characters", target=name)
    return value


def _status(data: dict[str, Any], allowed: tuple[str, ...]) -> str | None:
    value = data.get("Status")
    if value is None:
        return None
    if value not in allowed:
        raise InvalidSubscription(f"Status {str(value)[:40]!r} is not one of {', '.join(allowed)}", target="Status")
    return str(value)


def _events(value: Any) -> tuple[str, ...]:
    """["created"], ["created", "modified"], "created,modified" … in the order of CDSE's list, no duplicates."""
    items = value if isinstance(value, list) else [value]
    names: list[str] = []
    for item in items:
        if not isinstance(item, str):
            raise InvalidSubscription("SubscriptionEvent is a list of created, modified, deleted",
                                      target="SubscriptionEvent")
        names.extend(part.strip() for part in item.split(",") if part.strip())
    if not names:
        raise InvalidSubscription("SubscriptionEvent needs at least one event", target="SubscriptionEvent")
    for name in names:
        if name not in SubscriptionEvent.values:
            raise InvalidSubscription(f"Unknown SubscriptionEvent {name[:40]!r}: use created, modified, deleted",
                                      target="SubscriptionEvent")
    return tuple(e for e in SubscriptionEvent.values if e in names)


def _credentials(data: dict[str, Any]) -> tuple[str | None, str | None, str | None]:
    endpoint = _text(data, "NotificationEndpoint", limit=4096)
    if endpoint is not None:
        endpoint = endpoint_check(endpoint.strip())
    username = _text(data, "NotificationEpUsername", limit=MAX_CREDENTIAL_CHARS)
    password = _text(data, "NotificationEpPassword", limit=MAX_CREDENTIAL_CHARS)
    if username is not None and ":" in username:
        raise InvalidSubscription("NotificationEpUsername cannot contain ':' (HTTP Basic)",
                                  target="NotificationEpUsername")
    return endpoint, username, password


def subscription_request(body: bytes) -> SubscriptionRequest:
    data = _object(body, _CREATE_FIELDS)
    stage_order = data.get("StageOrder", True)
    if not isinstance(stage_order, bool):
        raise InvalidSubscription("StageOrder must be true or false", target="StageOrder")
    priority = data.get("Priority", 1)
    if not isinstance(priority, int) or isinstance(priority, bool) or not -(2**31) <= priority < 2**31:
        raise InvalidSubscription("Priority must be an integer", target="Priority")
    endpoint, username, password = _credentials(data)
    if not endpoint and (username or password):
        raise InvalidSubscription("Endpoint credentials need a NotificationEndpoint", target="NotificationEndpoint")
    return SubscriptionRequest(
        filter_param=_text(data, "FilterParam", limit=256 * 1024) or "",
        stage_order=stage_order, priority=priority,
        status=_status(data, (SubscriptionStatus.RUNNING, SubscriptionStatus.PAUSED)) or SubscriptionStatus.RUNNING,
        events=_events(data["SubscriptionEvent"]) if "SubscriptionEvent" in data else (SubscriptionEvent.CREATED,),
        endpoint=endpoint or "", username=username or "", password=password or "",
    )


def subscription_changes(body: bytes) -> SubscriptionChanges:
    data = _object(body, _PATCH_FIELDS)
    endpoint, username, password = _credentials(data)
    if "NotificationEndpoint" in data and not endpoint:
        raise InvalidSubscription("NotificationEndpoint cannot be emptied: a push subscription stays one",
                                  target="NotificationEndpoint")
    return SubscriptionChanges(status=_status(data, tuple(SubscriptionStatus.values)), endpoint=endpoint,
                               username=username, password=password)
