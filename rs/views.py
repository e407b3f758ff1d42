"""Project-level pages: the landing page and the liveness probe."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse

from rs.catalog.attribute_registry import COLLECTIONS


def home(request: HttpRequest) -> HttpResponse:
    """The web client: search form, map and results. No database query here: the page's script asks the PRIP, so
    the first render does not wait for the catalogue."""
    context = {
        "collections": COLLECTIONS,
        # An online tile layer (XYZ URL template, Web Mercator) under the footprints; empty = offline basemap only.
        "tile_url": getattr(settings, "RS_WEB_TILE_URL", ""),
        "tile_attribution": getattr(settings, "RS_WEB_TILE_ATTRIBUTION", ""),
        # what the page's script needs to know about the visitor (the APIs decide permissions themselves)
        "client": {
            "authenticated": request.user.is_authenticated,
            "staff": bool(request.user.is_staff),
            "loginUrl": _login_url(),
        },
    }
    return render(request, "home.html", context)


def _login_url() -> str:
    """The web client's sign-in page, or the admin's while rs.web is not routed."""
    try:
        return reverse("web:login")
    except NoReverseMatch:
        return "/admin/login/"


def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness: the process answers. Readiness of dependencies is /readyz (monitoring)."""
    return JsonResponse({"status": "ok"})
