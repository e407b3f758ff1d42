"""The application's own cap on URL length (the web server's limit is lifted for long OData filters)."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse


class UrlLengthLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        length = len(request.path.encode()) + len(request.META.get("QUERY_STRING", "").encode())
        if length > settings.RS_MAX_URL_BYTES:
            # The OData error shape: PRIP clients are the ones sending long URLs (detailed areas of interest).
            return JsonResponse(
                {"error": {"code": "UriTooLong",
                           "message": f"The URL has {length} bytes; the limit is {settings.RS_MAX_URL_BYTES}. "
                                      "Simplify the area of interest or split the query.",
                           "target": "$filter"}},
                status=414,
            )
        return self.get_response(request)
