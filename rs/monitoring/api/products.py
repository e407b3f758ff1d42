"""Per-product monitoring views: the timeline, the lineage graph and "what was made with this input". Operators."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from rs.monitoring.constants import LINEAGE_DEFAULT_DEPTH, LINEAGE_MAX_DEPTH
from rs.monitoring.lineage import product_lineage, products_made_with
from rs.monitoring.permissions import IsOperator
from rs.monitoring.timeline import product_timeline

if TYPE_CHECKING:
    from rs.catalog.selectors import Product


def _iso(moment: Any) -> str | None:
    return moment.isoformat() if moment else None


def product_node(product: Product) -> dict[str, Any]:
    return {"id": str(product.id), "name": product.name, "product_type": product.product_type,
            "family": product.family, "published": _iso(product.publication_date), "online": product.online}


def _depth() -> serializers.IntegerField:
    return serializers.IntegerField(min_value=0, max_value=LINEAGE_MAX_DEPTH, default=LINEAGE_DEFAULT_DEPTH)


class LineageQuery(serializers.Serializer[dict[str, int]]):
    upstream = _depth()
    downstream = _depth()


class MadeWithQuery(serializers.Serializer[dict[str, int]]):
    depth = _depth()


class ProductTimelineView(APIView):
    permission_classes = [IsOperator]

    def get(self, request: Request, product_id: uuid.UUID) -> Response:
        product, entries = product_timeline(product_id=product_id)
        return Response({
            "product": product_node(product) if product else {"id": str(product_id), "removed": True},
            "entries": [{"at": _iso(e.at), "stage": e.stage, "source": e.source, "detail": e.detail,
                         "trace_id": e.trace_id} for e in entries],
        })


class ProductLineageView(APIView):
    permission_classes = [IsOperator]

    def get(self, request: Request, product_id: uuid.UUID) -> Response:
        query = LineageQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        graph = product_lineage(product_id=product_id, upstream_depth=query.validated_data["upstream"],
                                downstream_depth=query.validated_data["downstream"])
        return Response({
            "root": str(graph.root),
            "nodes": [product_node(p) for p in graph.nodes],
            "edges": [{"input": str(i), "output": str(o)} for i, o in graph.edges],
            "truncated": graph.truncated,
        })


class ProductsMadeWithView(APIView):
    permission_classes = [IsOperator]

    def get(self, request: Request, product_id: uuid.UUID) -> Response:
        query = MadeWithQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        products, truncated = products_made_with(product_id=product_id, depth=query.validated_data["depth"])
        return Response({"input": str(product_id), "products": [product_node(p) for p in products],
                         "truncated": truncated})
