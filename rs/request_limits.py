"""The application's own cap on URL length (the web server's limit is lifted for long OData filters)."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from rs.error_pages import uri_too_long


class UrlLengthLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        length = len(request.path.encode()) + len(request.META.get("QUERY_STRING", "").encode())
        if length > settings.RS_MAX_URL_BYTES:
            # in the format of the API addressed (OData, STAC, the operator API), plain text elsewhere
            return uri_too_long(request, length=length, limit=settings.RS_MAX_URL_BYTES)
        return self.get_response(request)
