"""One error format for the operator API (`/api/v1/`).

Every error answers `{"error": {"status": <int>, "code": "<slug>", "message": "<sentence>", "details": {...}}}`.
Domain errors raised by services (`rs.errors.DomainError`) become 4xx with their own code; anything unexpected is
logged with its traceback and answered as a 500 with no internals in the body.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from rs.errors import DomainError

logger = logging.getLogger(__name__)


def error_body(*, status_code: int, code: str, message: str, details: Any = None) -> dict[str, Any]:
    body: dict[str, Any] = {"status": status_code, "code": code, "message": message}
    if details:
        body["details"] = details
    return {"error": body}


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    if isinstance(exc, DomainError):
        return Response(
            error_body(status_code=exc.status, code=exc.code, message=str(exc), details=exc.details),
            status=exc.status,
        )
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(detail=exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()

    response = exception_handler(exc, context)
    if response is None:
        logger.exception("unhandled error in %s", context.get("view").__class__.__name__, exc_info=exc)
        return Response(
            error_body(status_code=500, code="server_error", message="Internal server error."),
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )
    assert isinstance(exc, exceptions.APIException)
    if isinstance(exc, exceptions.ValidationError):
        message, details = "The request is not valid.", response.data
    else:
        message, details = str(exc.detail), None
    codes = exc.get_codes()
    code = codes if isinstance(codes, str) else str(exc.default_code)
    response.data = error_body(status_code=response.status_code, code=code, message=message, details=details)
    return response


def error_response(*, status_code: int, code: str, message: str) -> JsonResponse:
    """The one format outside a DRF view (Django's error handlers, middleware refusals)."""
    return JsonResponse(error_body(status_code=status_code, code=code, message=message), status=status_code)
