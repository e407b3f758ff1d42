"""Operator API of the catalog (/api/v1/products, /api/v1/events): read-only views over the selectors."""

from __future__ import annotations

from typing import Any

from django.contrib.gis.geos import MultiPolygon, Polygon
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from rs.api.pagination import NewestFirstPagination
from rs.catalog import selectors
from rs.catalog.api.serializers import (
    EventOutputSerializer,
    ProductDetailOutputSerializer,
    ProductFilterInputSerializer,
    ProductListOutputSerializer,
)
from rs.catalog.models import CatalogEvent, Product


def _bbox_geometry(west: float, south: float, east: float, north: float) -> Polygon | MultiPolygon:
    if west <= east:
        return Polygon.from_bbox((west, south, east, north))
    # a box across the antimeridian is two boxes
    return MultiPolygon(Polygon.from_bbox((west, south, 180, north)), Polygon.from_bbox((-180, south, east, north)))


class ProductViewSet(viewsets.ReadOnlyModelViewSet[Product]):
    """Products of the operational scope, newest catalogued first; filters map to catalog indexes."""

    serializer_class = ProductListOutputSerializer
    pagination_class = NewestFirstPagination

    def get_queryset(self) -> QuerySet[Product]:
        params = ProductFilterInputSerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        data: dict[str, Any] = dict(params.validated_data)
        bbox = data.pop("bbox", None)
        return selectors.product_search(**data, intersects=_bbox_geometry(*bbox) if bbox else None)

    @extend_schema(parameters=[ProductFilterInputSerializer])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        product = selectors.product_with_details(product_id=kwargs["pk"])
        return Response(ProductDetailOutputSerializer(product).data)



class CatalogEventViewSet(viewsets.ReadOnlyModelViewSet[CatalogEvent]):
    """The catalog outbox, newest first; `?product_id=` narrows it to one product."""

    serializer_class = EventOutputSerializer

    def get_queryset(self) -> QuerySet[CatalogEvent]:
        return selectors.events_recent(product_id=self.request.query_params.get("product_id") or None)
