"""Errors answered outside the views (Django's handler400/403/404/500 and the URL-length cap) in the format of the
API the path belongs to: the operator API's one format under /api/v1/ (rs.api.exceptions), OData errors under
/odata/v1/ (prip-odata.md §9), STAC's under /stac/. The web pages and the admin keep Django's own pages.

Inside their views each API translates its errors itself (DRF's exception handler, `odata_endpoint`,
`stac_endpoint`); what reaches these handlers is what no view saw: an unknown operator API path, a request Django
refused before routing it, an exception in a middleware.
"""

from __future__ import annotations

import enum
import logging
import uuid

from django.http import HttpRequest, HttpResponse
from django.views import defaults

from rs.api.exceptions import error_response
from rs.monitoring.tracing import current_trace_id
from rs.prip.odata.errors import ODataError
from rs.stac.errors import StacError

logger = logging.getLogger(__name__)

# The prefixes of rs/urls.py, as request.path_info shows them.
API_PREFIX = "/api/v1/"
ODATA_PREFIX = "/odata/v1/"
STAC_PREFIX = "/stac/"


class PathApi(enum.Enum):
    OPERATOR = "operator"
    ODATA = "odata"
    STAC = "stac"


def path_api(request: HttpRequest) -> PathApi | None:
    """The API a request is addressed to; None for the web pages and the admin."""
    path = request.path_info
    if path.startswith(API_PREFIX):
        return PathApi.OPERATOR
    if path.startswith(ODATA_PREFIX):
        return PathApi.ODATA
    if path.startswith(STAC_PREFIX):
        return PathApi.STAC
    return None


def _api_error(
    request: HttpRequest, *, status: int, codes: tuple[str, str, str], message: str, operator_message: str = ""
) -> HttpResponse | None:
    """The error in the format of the API addressed, `codes` being the operator API's, OData's and STAC's; None for
    the web pages and the admin."""
    operator_code, odata_code, stac_code = codes
    match path_api(request):
        case PathApi.OPERATOR:
            return error_response(status_code=status, code=operator_code, message=operator_message or f"{message}.")
        case PathApi.ODATA:
            return ODataError(status, odata_code, message).response()
        case PathApi.STAC:
            return StacError(status, stac_code, message).response()
    return None


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    response = _api_error(request, status=400, codes=("bad_request", "BadRequest", "InvalidParameterValue"),
                          message="The request could not be read")
    return response if response is not None else defaults.bad_request(request, exception)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    response = _api_error(request, status=403, codes=("permission_denied", "Forbidden", "Forbidden"),
                          message="You do not have permission to perform this action")
    return response if response is not None else defaults.permission_denied(request, exception)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    message = f"No resource {request.path!r} in this API"
    response = _api_error(request, status=404, codes=("not_found", "NotFound", "NotFound"), message=message,
                          operator_message=f"{message}: the endpoints are described at {API_PREFIX}schema/.")
    return response if response is not None else defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """Django has logged the exception with its traceback (django.request): the answer names no internals."""
    api = path_api(request)
    if api is PathApi.OPERATOR:
        # the body of rs.api.exceptions for an unexpected error inside a view
        return error_response(status_code=500, code="server_error", message="Internal server error.")
    if api is None:
        return defaults.server_error(request)
    # Django's log record of the exception carries the trace id (TraceIdFilter): it is the request id to quote.
    request_id = current_trace_id()
    if not request_id:
        request_id = str(uuid.uuid4())
        logger.error("server error answered with request id %s, %s %s", request_id, request.method,
                     request.path[:2000])
    message = f"Unexpected error (request id {request_id})"
    if api is PathApi.ODATA:
        return ODataError(500, "InternalError", message).response()
    return StacError(500, "InternalServerError", message).response()


def uri_too_long(request: HttpRequest, *, length: int, limit: int) -> HttpResponse:
    """The answer of the URL-length cap (rs.request_limits)."""
    message = f"The URL has {length} bytes; the limit is {limit}"
    match path_api(request):
        case PathApi.OPERATOR:
            return error_response(status_code=414, code="uri_too_long", message=f"{message}.")
        case PathApi.ODATA:
            # PRIP clients are the ones sending long URLs (detailed areas of interest)
            return ODataError(414, "UriTooLong", f"{message}. Simplify the area of interest or split the query.",
                              target="$filter").response()
        case PathApi.STAC:
            return StacError(414, "UriTooLong", f"{message}. Simplify the area of interest or search with "
                                                "POST.").response()
    return HttpResponse(f"{message}.\n", status=414, content_type="text/plain; charset=utf-8")
