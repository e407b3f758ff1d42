"""The one place where errors become HTTP answers (prip-odata.md §9): OData error JSON for 4xx/5xx (the access
refusals and quotas with their headers), the exact CDSE (Pydantic-style) body for out-of-range $top/$skip, a logged
500 with a request id for anything unexpected."""

from __future__ import annotations

import functools
import json
import logging
import re
import uuid
from collections.abc import Callable
from typing import Any

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse

from rs.access.errors import AccessError
from rs.catalog.query.errors import QueryError
from rs.errors import DomainError, NotFound
from rs.prip.constants import RETRY_AFTER_S
from rs.subscriptions.errors import QuotaExceeded

logger = logging.getLogger(__name__)
_INTEGER = re.compile(r"[+-]?[0-9]+")

View = Callable[..., HttpResponse]


def json_response(payload: object, *, status: int = 200, headers: dict[str, str] | None = None) -> HttpResponse:
    """Compact JSON like CDSE (FastAPI); NaN is never written (it is not JSON)."""
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    response = HttpResponse(body, status=status, content_type="application/json")
    response["OData-Version"] = "4.0"
    for name, value in (headers or {}).items():
        response[name] = value
    return response


class ODataError(Exception):
    def __init__(self, status: int, code: str, message: str, *, target: str | None = None,
                 details: list[dict[str, str]] | None = None, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.target, self.details, self.headers = target, details, headers or {}

    def payload(self) -> object:
        error: dict[str, object] = {"code": self.code, "message": self.message}
        if self.target is not None:
            error["target"] = self.target
        if self.details:
            error["details"] = self.details
        return {"error": error}

    def response(self) -> HttpResponse:
        return json_response(self.payload(), status=self.status, headers=self.headers)


class RangeError(ODataError):
    """$top/$skip outside their range: 422 with CDSE's exact body."""

    def __init__(self, detail: dict[str, object]) -> None:
        super().__init__(422, "ValidationError", str(detail.get("msg")))
        self.detail = detail

    def payload(self) -> object:
        return {"detail": [self.detail]}


def integer_option(name: str, raw: str, *, minimum: int, maximum: int) -> int:
    loc = ["query", name]
    text = raw.strip()
    if _INTEGER.fullmatch(text) is None:
        raise RangeError({"type": "int_parsing", "loc": loc,
                          "msg": "Input should be a valid integer, unable to parse string as an integer",
                          "input": raw})
    value = int(text)
    if value < minimum:
        raise RangeError({"type": "greater_than_equal", "loc": loc,
                          "msg": f"Input should be greater than or equal to {minimum}", "input": raw,
                          "ctx": {"ge": minimum}})
    if value > maximum:
        raise RangeError({"type": "less_than_equal", "loc": loc,
                          "msg": f"Input should be less than or equal to {maximum}", "input": raw,
                          "ctx": {"le": maximum}})
    return value


def query_error(exc: QueryError, *, target: str, code: str) -> ODataError:
    """A parse/compile error of the query layer with its position, as an OData 400."""
    detail: dict[str, str] = {"code": exc.code, "message": exc.subject or exc.message}
    if exc.position is not None:
        detail["target"] = f"position {exc.position}"
    return ODataError(400, code, str(exc), target=target, details=[detail])


def bad_option(target: str, message: str) -> ODataError:
    return ODataError(400, "InvalidQueryOption", message, target=target)


def not_found(message: str) -> ODataError:
    return ODataError(404, "NotFound", message)


def odata_endpoint(*methods: str) -> Callable[[View], View]:
    """Wrap a view: method check (HEAD goes with GET) and translation of every error to its OData answer."""
    allowed = {*methods, *(("HEAD",) if "GET" in methods else ())}

    def decorate(view: View) -> View:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method not in allowed:
                return ODataError(405, "MethodNotAllowed", f"{request.method} is not allowed here",
                                  headers={"Allow": ", ".join(sorted(allowed))}).response()
            try:
                return view(request, *args, **kwargs)
            except ODataError as exc:
                return exc.response()
            except QueryError as exc:
                return query_error(exc, target="$filter", code="InvalidQuery").response()
            except (AccessError, QuotaExceeded) as exc:
                # The one mapping of access refusals for every OData route: status, code, message and headers as
                # they are (401 + WWW-Authenticate, 403, 429 + Retry-After, 503 + Retry-After for an issuer's keys).
                return ODataError(exc.status, exc.code, str(exc), headers=exc.headers).response()
            except NotFound as exc:
                return not_found(str(exc)).response()
            except DomainError as exc:
                status = exc.status if 400 <= exc.status < 500 else 400
                return ODataError(status, "InvalidRequest" if status == 400 else exc.code, str(exc)).response()
            except (OperationalError, InterfaceError):
                logger.exception("database unavailable for %s", request.path)
                return ODataError(503, "ServiceUnavailable", "The catalogue is temporarily unavailable",
                                  headers={"Retry-After": str(RETRY_AFTER_S)}).response()
            except Exception:
                request_id = str(uuid.uuid4())
                logger.exception("unexpected error, request id %s, %s %s", request_id, request.method,
                                 request.path[:2000])  # never the query: it may carry ?token=
                return ODataError(500, "InternalError", f"Unexpected error (request id {request_id})").response()

        # The API authenticates requests by their own credentials, never by a session cookie, so there is nothing
        # for CSRF to protect; without this a POST to a GET-only resource would get Django's HTML 403.
        wrapper.csrf_exempt = True  # type: ignore[attr-defined]
        return wrapper

    return decorate
