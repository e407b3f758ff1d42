"""/api/v1/production/orders/: ad-hoc production orders (create, list by state, detail with progress, cancel)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.db.models import QuerySet
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from rs.errors import NotFound
from rs.production.api.views import StaffForWrites
from rs.production.choices import Priority
from rs.production.models import OrderState, ProductionOrder
from rs.production.orders import selectors, services
from rs.production.orders.validation import OrderRequest


class OrderCreateInputSerializer(serializers.Serializer[Any]):
    processor_version = serializers.IntegerField(help_text="Id of the processor version to run.")
    rule = serializers.CharField(required=False, default="", allow_blank=True, max_length=64,
                                 help_text="The rule whose trigger types and grouping the order follows "
                                           "(default: the only rule of the processor).")
    name = serializers.CharField(required=False, default="", allow_blank=True, max_length=200)
    priority = serializers.ChoiceField(choices=Priority.choices, required=False, default=Priority.MEDIUM)
    parameters = serializers.JSONField(required=False, default=dict,
                                       help_text="Dyn_ProcParam name → value (may use the rule placeholders).")
    start = serializers.DateTimeField(required=False, default=None)
    stop = serializers.DateTimeField(required=False, default=None)
    area = serializers.JSONField(required=False, default=None, help_text="WKT or GeoJSON (Multi)Polygon, EPSG:4326.")
    product_ids = serializers.ListField(child=serializers.CharField(max_length=64), required=False, default=list,
                                        max_length=10000)
    notify_url = serializers.CharField(required=False, default="", allow_blank=True, max_length=2048)
    notify_email = serializers.CharField(required=False, default="", allow_blank=True, max_length=254)

    def validate_area(self, value: Any) -> Any:
        if value is not None and not isinstance(value, str | dict):
            raise serializers.ValidationError("a WKT string or a GeoJSON object")
        return value


class OrderFilterInputSerializer(serializers.Serializer[Any]):
    state = serializers.ChoiceField(choices=OrderState.choices, required=False)


def order_json(order: ProductionOrder, request: Request) -> dict[str, Any]:
    version = order.processor_version
    jobs = request.build_absolute_uri(reverse("production-job-list") + "?" + urlencode({"rule": order.rule.name}))
    return {
        "id": order.pk, "url": request.build_absolute_uri(reverse("production-order-detail", args=[order.pk])),
        "name": order.name, "state": order.state,
        "processor": version.processor.name, "version": version.version, "processor_version": version.pk,
        "rule": order.rule.name, "template_rule": order.template_rule.name if order.template_rule else None,
        "priority": order.priority, "parameters": order.parameters,
        "selection": {"kind": order.selection,
                      "start": order.window_start.isoformat() if order.window_start else None,
                      "stop": order.window_stop.isoformat() if order.window_stop else None,
                      "area": order.area.wkt if order.area is not None else None,
                      "product_ids": order.product_ids},
        "products_selected": order.products_selected, "products_skipped": order.products_skipped,
        "skipped": order.skipped, "jobs_created": order.jobs_created,
        "planning": {"planned": order.products_planned, "selected": order.products_selected,
                     "percent": round(100 * order.products_planned / order.products_selected, 1)
                     if order.products_selected else 100.0,
                     "done": order.state not in (OrderState.ACCEPTED, OrderState.PLANNING),
                     "last_step_at": _iso(order.plan_step_at), "error": order.plan_error},
        "progress": selectors.progress_of(order), "jobs": jobs,
        "notification": {"url": order.notify_url, "email": order.notify_email,
                         "webhook_sent_at": _iso(order.webhook_sent_at), "email_sent_at": _iso(order.email_sent_at),
                         "pending": order.notify_next_at is not None, "attempts": order.notify_attempts,
                         "error": order.notify_error},
        "requested_by": order.requested_by.get_username() if order.requested_by else None,
        "created_at": order.created_at.isoformat(), "cancelled_at": _iso(order.cancelled_at),
        "finished_at": _iso(order.finished_at),
    }


def _iso(moment: Any) -> str | None:
    return moment.isoformat() if moment else None


def _order_id(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise NotFound(f"no production order {value!r}") from None


class OrderViewSet(mixins.ListModelMixin, viewsets.GenericViewSet[ProductionOrder]):
    """Ad-hoc production orders, newest first (`?state=running`); POST to order, `{id}/cancel/` to cancel."""

    permission_classes = [StaffForWrites]
    serializer_class = OrderCreateInputSerializer

    def get_queryset(self) -> QuerySet[ProductionOrder]:
        params = OrderFilterInputSerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        return selectors.orders(**params.validated_data)

    @extend_schema(parameters=[OrderFilterInputSerializer], responses={200: OpenApiTypes.OBJECT})
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        assert page is not None
        return self.get_paginated_response([order_json(o, request) for o in page])

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(order_json(selectors.order_get(order_id=_order_id(pk)), request))

    @extend_schema(request=OrderCreateInputSerializer, responses={201: OpenApiTypes.OBJECT, 202: OpenApiTypes.OBJECT})
    def create(self, request: Request) -> Response:
        """201 with the order `running` when it was planned within the request; 202 with the order `accepted` when
        it selects more than RS_PRODUCTION_ORDER_SYNC_MAX_PRODUCTS products (planned in the background: follow
        `planning` and `state` on its URL)."""
        params = OrderCreateInputSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        order, secret = services.order_create(request=OrderRequest(
            processor_version_id=data["processor_version"], rule_name=data["rule"], name=data["name"],
            priority=data["priority"], parameters=data["parameters"], start=data["start"], stop=data["stop"],
            area=data["area"], product_ids=data["product_ids"], notify_url=data["notify_url"],
            notify_email=data["notify_email"], requested_by_id=request.user.pk))
        body = order_json(selectors.order_get(order_id=order.pk), request)
        if secret:
            body["notify_secret"] = secret  # shown this once: the key of the X-RS-Signature-256 HMAC
        accepted = order.state == OrderState.ACCEPTED
        headers = {"Location": body["url"]} if accepted else {}
        return Response(body, status=status.HTTP_202_ACCEPTED if accepted else status.HTTP_201_CREATED,
                        headers=headers)

    @extend_schema(request=None, responses={200: OpenApiTypes.OBJECT})
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str) -> Response:
        services.order_cancel(order_id=_order_id(pk))
        return Response(order_json(selectors.order_get(order_id=_order_id(pk)), request))
