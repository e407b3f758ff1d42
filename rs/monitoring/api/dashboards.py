"""GET /api/v1/monitoring/dashboards/?hours=24 — the panels of the web client's monitoring view. Operators."""

from __future__ import annotations

from django.utils import timezone
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from rs.monitoring.constants import DASHBOARD_DEFAULT_HOURS, DASHBOARD_MAX_HOURS
from rs.monitoring.dashboards import dashboards_cached
from rs.monitoring.permissions import IsOperator


class DashboardQuery(serializers.Serializer[dict[str, int]]):
    hours = serializers.IntegerField(min_value=1, max_value=DASHBOARD_MAX_HOURS, default=DASHBOARD_DEFAULT_HOURS)


class DashboardsView(APIView):
    permission_classes = [IsOperator]

    def get(self, request: Request) -> Response:
        query = DashboardQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        return Response(dashboards_cached(hours=query.validated_data["hours"], now=timezone.now()))
