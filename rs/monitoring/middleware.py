"""Request middleware of monitoring: the request-duration histogram (by route name) and download bytes."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from rs.monitoring.metrics import DOWNLOAD_BYTES, REQUEST_DURATION

# The download routes whose Content-Length counts as bytes sent (PRIP $value and the app-signed storage URLs).
DOWNLOAD_ROUTES = frozenset({"prip:product-value", "prip:asset-value", "prip:quicklook-value",
                             "storage-signed-download"})


def route_name(request: HttpRequest) -> str:
    """The URL pattern's name ("prip:products"), never the raw path, so the label's values stay few."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "unmatched"
    return match.view_name or match.route or "unnamed"


class RequestMetricsMiddleware:
    """Place it first in MIDDLEWARE so the duration covers the whole stack."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        route = route_name(request)
        # For streamed downloads this is the time to the first byte: the streaming itself happens after us.
        REQUEST_DURATION.labels(route=route, method=request.method or "", status=f"{response.status_code // 100}xx") \
            .observe(time.perf_counter() - started)
        # HEAD answers carry the Content-Length of a body they do not send
        if (route in DOWNLOAD_ROUTES and request.method == "GET" and response.status_code in (200, 206)
                and response.has_header("Content-Length")):
            DOWNLOAD_BYTES.labels(route=route).inc(int(response["Content-Length"]))
        return response
