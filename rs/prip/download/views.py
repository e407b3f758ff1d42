"""GET/HEAD Products(<Id>)/$value, Products(<Id>)/Quicklooks('<image>')/$value and Assets(<Id>)/$value.

Order of the checks: credentials (401 with the challenge, 403 without the user role), the request quota (429), the
target (400 malformed key, 404 unknown or invisible, 410 evicted), then the byte and concurrency quotas (429) for
GETs of products. S3: 307 to a presigned URL named after the real file (it needs no token, so eodag's ?token= and
cdsetool's dropped Authorization both work). Filesystem: the bytes, with Range. HEAD: 200 and the GET's headers.
"""

from __future__ import annotations

import logging
import math
import re
import uuid
from collections.abc import Callable
from typing import cast

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase

from rs.access.authentication import require_principal
from rs.access.choices import Role
from rs.access.principals import Principal
from rs.catalog.api.storage_views import RangeNotSatisfiable
from rs.catalog.storage import ObjectNotFound, StorageError, object_store
from rs.errors import DomainError, NotFound
from rs.prip.constants import RETRY_AFTER_S
from rs.prip.download.responses import byte_range, head_response, redirect_response, stream_response
from rs.prip.download.targets import DownloadTarget, ProductOffline, asset_target, product_target, quicklook_target
from rs.prip.odata.errors import ODataError, odata_endpoint
from rs.subscriptions.constants import REDIRECT_ASSUMED_BYTES_PER_S, REDIRECT_SLOT_MIN_S, STREAM_SLOT_LEASE_S
from rs.subscriptions.limits import Limits
from rs.subscriptions.quotas import DownloadTicket, download_admit, request_admit

logger = logging.getLogger(__name__)

_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")

Resolver = Callable[[Principal], DownloadTarget]


def _quoted(raw: str) -> str:
    """'name' (OData string key, '' for a quote) or name as it is."""
    text = raw.strip()
    if len(text) >= 2 and text[0] == text[-1] == "'":
        return text[1:-1].replace("''", "'")
    return text


def _uuid(raw: str, what: str) -> uuid.UUID:
    text = _quoted(raw)
    if _UUID.fullmatch(text) is None:
        raise ODataError(400, "InvalidKey", f"{raw[:100]!r} is not a valid {what} Id (a UUID such as "
                         "3fa85f64-5717-4562-b3fc-2c963f66afa6)", target="Id")
    return uuid.UUID(text)


def _endpoint(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """odata_endpoint("GET") (HEAD included) for views that may answer a stream, which its type does not name."""
    return odata_endpoint("GET")(cast(Callable[..., HttpResponse], view))


@_endpoint
def product_value(request: HttpRequest, key: str) -> HttpResponseBase:
    return _download(request, lambda principal: product_target(principal=principal,
                                                               product_id=_uuid(key, "product")))


@_endpoint
def quicklook_value(request: HttpRequest, key: str, image: str) -> HttpResponseBase:
    return _download(request, lambda principal: quicklook_target(principal=principal,
                                                                 product_id=_uuid(key, "product"),
                                                                 image=_quoted(image)))


@_endpoint
def asset_value(request: HttpRequest, key: str) -> HttpResponseBase:
    return _download(request, lambda principal: asset_target(principal=principal, asset_id=_uuid(key, "asset")))


def _download(request: HttpRequest, resolve: Resolver) -> HttpResponseBase:
    """The storage refusals below become their OData answers here, the access refusals and quotas in
    `odata_endpoint` (like on every route); nothing else reaches the generic handler, whose log line would carry the
    query string (eodag's ?token=)."""
    try:
        principal = require_principal(request, role=Role.USER)
        limits = request_admit(principal=principal)
        target = resolve(principal)
        if settings.RS_STORAGE == "s3":
            return _redirect(request, principal, limits, target)
        return _stream(request, principal, limits, target)
    except ProductOffline as exc:
        raise ODataError(410, exc.code, str(exc)) from None
    except RangeNotSatisfiable as exc:
        raise ODataError(416, "RangeNotSatisfiable", str(exc),
                         headers={"Content-Range": f"bytes */{exc.details['size']}"}) from None
    except ObjectNotFound:
        # an online product without its object: the storage check's business; the client learns nothing more
        logger.error("download of %s: the stored object is missing", request.path)
        raise ODataError(404, "NotFound", "The product's bytes are not available") from None
    except StorageError:
        logger.warning("object store unavailable for a download of %s", request.path, exc_info=True)
        raise ODataError(503, "ServiceUnavailable", "The object store is temporarily unavailable",
                         headers={"Retry-After": str(RETRY_AFTER_S)}) from None
    except NotFound as exc:
        raise ODataError(404, "NotFound", str(exc)) from None
    except (ODataError, DomainError):
        raise
    except Exception:
        request_id = str(uuid.uuid4())
        logger.exception("unexpected error, request id %s, %s %s", request_id, request.method, request.path)
        raise ODataError(500, "InternalError", f"Unexpected error (request id {request_id})") from None


def _admit(principal: Principal, limits: Limits, target: DownloadTarget, *, length: int,
           hold_s: int) -> DownloadTicket | None:
    if not target.metered:
        return None
    return download_admit(principal=principal, size=length, hold_s=hold_s, limits=limits)


def _redirect(request: HttpRequest, principal: Principal, limits: Limits, target: DownloadTarget
              ) -> HttpResponseBase:
    if request.method == "HEAD":  # never a presigned URL: its signature covers GET only (cdsetool walks with HEAD)
        return head_response(target, size=target.size)
    part = byte_range(request, target, size=target.size)
    length = target.size if part is None else part[1] - part[0] + 1
    expiry = settings.RS_DOWNLOAD_URL_EXPIRY_S
    hold = min(expiry, max(REDIRECT_SLOT_MIN_S, math.ceil(length / REDIRECT_ASSUMED_BYTES_PER_S)))
    ticket = _admit(principal, limits, target, length=length, hold_s=hold)
    try:
        url = object_store().download_url(key=target.key, filename=target.filename, expires_s=expiry)
    except BaseException:
        if ticket is not None:
            ticket.refund(length)
            ticket.release()
        raise
    return redirect_response(url)


def _stream(request: HttpRequest, principal: Principal, limits: Limits, target: DownloadTarget) -> HttpResponseBase:
    store = object_store()
    size = store.size(target.key)  # the file's own length: Content-Length must be what is sent
    if request.method == "HEAD":
        return head_response(target, size=size)
    part = byte_range(request, target, size=size)
    start, end = part or (0, size - 1)
    length = end - start + 1 if size else 0
    ticket = _admit(principal, limits, target, length=length, hold_s=STREAM_SLOT_LEASE_S)
    try:
        chunks = store.open_range(key=target.key, start=start, end=end) if length else iter(())
    except BaseException:
        if ticket is not None:
            ticket.refund(length)
            ticket.release()
        raise
    return stream_response(target, size=size, part=part, chunks=chunks, ticket=ticket)
