"""The one place where errors become STAC API answers: `{"code": …, "description": …}` (the OGC API / STAC
exception shape) for 4xx/5xx, a logged 500 with a request id for anything unexpected, never a traceback."""

from __future__ import annotations

import functools
import json
import logging
import uuid
from collections.abc import Callable
from typing import Any

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse

from rs.catalog.query.errors import InvalidSkipToken, QueryError
from rs.errors import DomainError, NotFound
from rs.prip.constants import RETRY_AFTER_S

logger = logging.getLogger(__name__)

View = Callable[..., HttpResponse]


class StacError(Exception):
    """A refusal of the STAC API: HTTP status, a short code and a sentence the client can act on."""

    def __init__(self, status: int, code: str, description: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(description)
        self.status, self.code, self.description = status, code, description
        self.headers = headers or {}

    def response(self) -> HttpResponse:
        return json_response({"code": self.code, "description": self.description}, status=self.status,
                             headers=self.headers)


def bad_request(description: str, code: str = "InvalidParameterValue") -> StacError:
    return StacError(400, code, description)


def not_found(description: str) -> StacError:
    return StacError(404, "NotFound", description)


def from_query_error(exc: QueryError, *, parameter: str) -> StacError:
    """A parse or compile error of the query layer, named after the STAC parameter it came from."""
    if isinstance(exc, InvalidSkipToken):
        return StacError(400, "InvalidSkipToken", f"{exc.message}: follow the next link as it is")
    text = str(exc)
    return StacError(400, exc.code if exc.code != "SyntaxError" else "InvalidParameterValue",
                     text if text.startswith(f"{parameter}:") else f"{parameter}: {text}")


def json_response(payload: object, *, status: int = 200, content_type: str = "application/json",
                  headers: dict[str, str] | None = None) -> HttpResponse:
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    response = HttpResponse(body, status=status, content_type=content_type)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def stac_endpoint(*methods: str) -> Callable[[View], View]:
    """Wrap a view: method check (HEAD goes with GET) and translation of every error to its STAC answer."""
    allowed = {*methods, *(("HEAD",) if "GET" in methods else ())}

    def decorate(view: View) -> View:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method not in allowed:
                return StacError(405, "MethodNotAllowed", f"{request.method} is not allowed here",
                                 headers={"Allow": ", ".join(sorted(allowed))}).response()
            try:
                return view(request, *args, **kwargs)
            except StacError as exc:
                return exc.response()
            except QueryError as exc:
                return from_query_error(exc, parameter="query").response()
            except NotFound as exc:
                return not_found(str(exc)).response()
            except DomainError as exc:
                return bad_request(str(exc), code="InvalidRequest").response()
            except (OperationalError, InterfaceError):
                logger.exception("database unavailable for %s", request.path)
                return StacError(503, "ServiceUnavailable", "The catalogue is temporarily unavailable",
                                 headers={"Retry-After": str(RETRY_AFTER_S)}).response()
            except Exception:
                request_id = str(uuid.uuid4())
                logger.exception("unexpected error, request id %s, %s %s", request_id, request.method,
                                 request.get_full_path()[:2000])
                return StacError(500, "InternalServerError",
                                 f"Unexpected error (request id {request_id})").response()

        # Searches carry no session cookie to protect; without this a POST /search would get Django's HTML 403.
        wrapper.csrf_exempt = True  # type: ignore[attr-defined]
        return wrapper

    return decorate
