"""Project-level pages: the landing page and the liveness probe."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from rs.catalog import selectors as catalog_selectors


def home(request: HttpRequest) -> HttpResponse:
    context = {
        "catalog": catalog_selectors.catalog_summary(),
        "footprints": catalog_selectors.latest_footprints(),
    }
    return render(request, "home.html", context)


def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness: the process answers. Readiness of dependencies is /readyz (monitoring)."""
    return JsonResponse({"status": "ok"})
