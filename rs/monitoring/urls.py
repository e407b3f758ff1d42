"""Monitoring URLs at the site root (include from rs/urls.py with path("", include("rs.monitoring.urls")))."""

from __future__ import annotations

from django.urls import path

from rs.monitoring import views

app_name = "monitoring"

urlpatterns = [
    path("readyz", views.readyz, name="readyz"),
    path("metrics", views.metrics, name="metrics"),
]
