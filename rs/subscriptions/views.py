"""The Subscriptions API of the PRIP (CDSE semantics, prip-odata.md §13), routed by rs/prip/urls.py:

    POST   Subscriptions                      201 the subscription (push: with its signing secret, this once)
    GET    Subscriptions/Info                 200 array of the caller's subscriptions
    GET    Subscriptions(<id>)                200 one subscription
    PATCH  Subscriptions(<id>)                200 updated (Status; push: endpoint and credentials)
    DELETE Subscriptions(<id>)                204
    GET    Subscriptions(<id>)/Read?$top=n    200 array of notifications, oldest first (pull)
    POST   Subscriptions(<id>)/Ack?$ackid=…   200 {AckMessagesNum, CurrentQueueLength, MaxQueueLength}

Every call needs credentials (401) and an account here (403); an unknown or foreign id is CDSE's 404 body.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from rs.access.authentication import require_principal
from rs.access.choices import Role
from rs.access.principals import Principal
from rs.catalog.query.errors import QueryError
from rs.prip.odata.errors import ODataError, integer_option, json_response, odata_endpoint, query_error
from rs.prip.odata.options import decode_query_string
from rs.prip.views import service_root_url
from rs.subscriptions import services
from rs.subscriptions.ack_ids import ack_id_make
from rs.subscriptions.bodies import subscription_changes, subscription_request
from rs.subscriptions.constants import MAX_BODY_BYTES, READ_DEFAULT_TOP
from rs.subscriptions.errors import (
    AccountRequired,
    InvalidSubscription,
    LimitReached,
    SubscriptionNotFound,
)
from rs.subscriptions.limits import limits_for
from rs.subscriptions.payloads import NOTIFICATION_CONTEXT, notification_json, subscription_json
from rs.subscriptions.quotas import request_admit
from rs.subscriptions.selectors import notifications_oldest, subscription_of, subscriptions_of

View = Callable[..., HttpResponse]


class _NotFound(ODataError):
    """CDSE answers an unknown subscription with its FastAPI shape, not the OData error."""

    def __init__(self, message: str) -> None:
        super().__init__(404, "NotFound", message)

    def payload(self) -> object:
        return {"detail": {"message": self.message, "request_id": str(uuid.uuid4())}}


def _edge(view: View) -> View:
    """Typed refusals of subscriptions as their HTTP answers (those of access and quotas: `odata_endpoint`)."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except SubscriptionNotFound as exc:
            raise _NotFound(str(exc)) from None
        except InvalidSubscription as exc:
            raise ODataError(400, exc.code, str(exc), target=exc.target) from None
        except QueryError as exc:
            raise query_error(exc, target="FilterParam", code="InvalidFilter") from None
        except (LimitReached, AccountRequired) as exc:
            raise ODataError(exc.status, exc.code, str(exc)) from None

    return wrapper


def _caller(request: HttpRequest) -> Principal:
    principal = require_principal(request, role=Role.USER)
    if principal.user_id is None:
        raise AccountRequired("Subscriptions need an account on this service.")
    request_admit(principal=principal)
    return principal


def _owner(request: HttpRequest) -> int:
    user_id = _caller(request).user_id
    assert user_id is not None
    return user_id


def _body(request: HttpRequest) -> bytes:
    try:
        return request.body
    except RequestDataTooBig:
        return b"x" * (MAX_BODY_BYTES + 1)


def _parameter(request: HttpRequest, name: str) -> str | None:
    values = [value for key, value in decode_query_string(request.META.get("QUERY_STRING", "")) if key == name]
    if len(values) > 1:
        raise InvalidSubscription(f"{name} is given more than once", target=name)
    return values[0] if values else None


@odata_endpoint("GET", "POST")
@_edge
def subscriptions(request: HttpRequest) -> HttpResponse:
    owner_id = _owner(request)
    if request.method == "POST":
        subscription, secret = services.subscription_create(
            owner_id=owner_id, request=subscription_request(_body(request)), service_root=service_root_url(request))
        body = subscription_json(subscription)
        if secret:  # the key of X-RS-Signature-256, shown this once
            body = {**{k: v for k, v in body.items() if k != "@odata.context"}, "NotificationSigningSecret": secret,
                    "@odata.context": body["@odata.context"]}
        return json_response(body, status=201, headers={"Cache-Control": "no-store"})
    return json_response({"@odata.context": "$metadata#Subscriptions",
                          "value": [subscription_json(s) for s in subscriptions_of(owner_id=owner_id)]})


@odata_endpoint("GET")
@_edge
def subscriptions_info(request: HttpRequest) -> HttpResponse:
    owner_id = _owner(request)
    return json_response([subscription_json(s, info=True) for s in subscriptions_of(owner_id=owner_id)])


def _id(key: str) -> uuid.UUID:
    text = key.strip().strip("'")
    try:
        return uuid.UUID(text)
    except ValueError:
        raise SubscriptionNotFound(text[:100]) from None


@odata_endpoint("GET", "PATCH", "DELETE")
@_edge
def subscription(request: HttpRequest, key: str) -> HttpResponse:
    owner_id = _owner(request)
    if request.method == "DELETE":
        services.subscription_delete(owner_id=owner_id, subscription_id=_id(key))
        return HttpResponse(status=204)
    if request.method == "PATCH":
        changed = services.subscription_update(owner_id=owner_id, subscription_id=_id(key),
                                               changes=subscription_changes(_body(request)))
        return json_response(subscription_json(changed))
    return json_response(subscription_json(subscription_of(owner_id=owner_id, subscription_id=_id(key))))


@odata_endpoint("GET")
@_edge
def subscription_read(request: HttpRequest, key: str) -> HttpResponse:
    owner_id = _owner(request)
    found = subscription_of(owner_id=owner_id, subscription_id=_id(key))
    if found.is_push:
        raise InvalidSubscription("A push subscription has no queue to read", target="Read")
    maximum = limits_for(user_id=owner_id).subscription_read_max
    raw = _parameter(request, "$top")
    top = READ_DEFAULT_TOP if raw is None else integer_option("$top", raw, minimum=1, maximum=maximum or 1000)
    root, now = service_root_url(request), timezone.now()
    return json_response([
        notification_json(n, root=root, now=now, ack_id=ack_id_make(notification_id=n.pk, subscription_id=found.id))
        for n in notifications_oldest(subscription=found, top=top)
    ])


@odata_endpoint("POST")
@_edge
def subscription_ack(request: HttpRequest, key: str) -> HttpResponse:
    owner_id = _owner(request)
    ack_id = _parameter(request, "$ackid")
    if not ack_id:
        raise InvalidSubscription("Give the AckId of the last notification to acknowledge: ?$ackid=…",
                                  target="$ackid")
    result = services.notifications_ack(owner_id=owner_id, subscription_id=_id(key), ack_id=ack_id)
    return json_response({"@odata.context": NOTIFICATION_CONTEXT, "AckMessagesNum": result.acknowledged,
                          "CurrentQueueLength": result.queue_length, "MaxQueueLength": result.max_queue_length})
