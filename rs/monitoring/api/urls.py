"""Operator API routes of monitoring, mounted under /api/v1/monitoring/ (rs/api/urls.py:
path("monitoring/", include("rs.monitoring.api.urls")))."""

from __future__ import annotations

from django.urls import path

from rs.monitoring.api.dashboards import DashboardsView
from rs.monitoring.api.kpis import KpiView
from rs.monitoring.api.products import ProductLineageView, ProductsMadeWithView, ProductTimelineView

app_name = "monitoring-api"

urlpatterns = [
    path("kpis/", KpiView.as_view(), name="kpis"),
    path("dashboards/", DashboardsView.as_view(), name="dashboards"),
    path("products/<uuid:product_id>/timeline/", ProductTimelineView.as_view(), name="product-timeline"),
    path("products/<uuid:product_id>/lineage/", ProductLineageView.as_view(), name="product-lineage"),
    path("products/<uuid:product_id>/made-with/", ProductsMadeWithView.as_view(), name="products-made-with"),
]
