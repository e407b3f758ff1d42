"""GET/HEAD /storage/<token>: downloads from the filesystem store through signed, expiring links.

This is what a presigned S3 URL does for the S3 store, including single byte ranges (RFC 9110 §14) so that
interrupted downloads of large products can resume.
"""

from __future__ import annotations

import logging
import re

from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse, StreamingHttpResponse
from django.utils.http import content_disposition_header
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe

from rs.api.exceptions import error_body
from rs.catalog.storage import StorageError, object_store
from rs.catalog.storage.signing import download_token_read
from rs.errors import DomainError

logger = logging.getLogger(__name__)

# One range only; a list of ranges or anything malformed does not match and the header is ignored (RFC 9110 allows
# it). 19 digits reach 2^63; longer numbers are not worth a 416.
_SINGLE_RANGE = re.compile(r"bytes=([0-9]{0,19})-([0-9]{0,19})", re.IGNORECASE)


class RangeNotSatisfiable(DomainError):
    status = 416
    code = "range_not_satisfiable"


# No state changes and no cookies involved: the token is the credential, so CSRF does not apply. Exempting the view
# lets other methods get their 405 instead of a CSRF 403.
@csrf_exempt
@require_safe
def signed_object_download(request: HttpRequest, token: str) -> HttpResponseBase:
    try:
        grant = download_token_read(token)
        store = object_store()
        size = store.size(grant.key)
        # We send no validators, so an If-Range condition can never be known to hold: send the whole object.
        header = None if "If-Range" in request.headers else request.headers.get("Range")
        byte_range = requested_range(header, size=size)
        start, end = byte_range or (0, size - 1)
        length = end - start + 1
        headers = {
            "Content-Type": "application/octet-stream",
            "Content-Length": str(length),
            "Accept-Ranges": "bytes",
            "Content-Disposition": content_disposition_header(as_attachment=True, filename=grant.filename),
            # The link grants access until it expires; a shared cache must not keep serving it afterwards.
            "Cache-Control": "private",
        }
        if byte_range is not None:
            headers["Content-Range"] = f"bytes {start}-{end}/{size}"
        status = 200 if byte_range is None else 206
        if request.method == "HEAD":
            return HttpResponse(status=status, headers=headers)
        body = store.open_range(key=grant.key, start=start, end=end) if length else iter(())
        return StreamingHttpResponse(body, status=status, headers=headers)
    except RangeNotSatisfiable as exc:
        response = _error_response(exc)
        response["Content-Range"] = f"bytes */{exc.details['size']}"
        return response
    except DomainError as exc:
        return _error_response(exc)
    except StorageError:
        logger.warning("object store unavailable for a signed download", exc_info=True)
        return JsonResponse(
            error_body(status_code=503, code="storage_unavailable", message="The object store is unavailable."),
            status=503,
        )


def requested_range(header: str | None, *, size: int) -> tuple[int, int] | None:
    """The inclusive (first, last) byte positions asked for, or None to send the whole object.

    Raises RangeNotSatisfiable when the range is well formed but lies outside the object.
    """
    match = _SINGLE_RANGE.fullmatch(header.strip()) if header else None
    if match is None:
        return None
    first, last = match.groups()
    if first:
        start = int(first)
        end = int(last) if last else None
        if end is not None and end < start:
            return None  # invalid, not unsatisfiable: ignored like any malformed header
        if start >= size:
            message = f"The object has {size} bytes; byte {start} does not exist."
            raise RangeNotSatisfiable(message, details={"size": size})
        return start, size - 1 if end is None else min(end, size - 1)
    if not last:
        return None  # "bytes=-"
    suffix = int(last)
    if suffix == 0:
        raise RangeNotSatisfiable("A suffix range of 0 bytes selects nothing.", details={"size": size})
    if size == 0:
        return None  # the last n bytes of nothing: the (empty) whole, RFC 9110 §14.1.1
    return max(0, size - suffix), size - 1


def _error_response(exc: DomainError) -> JsonResponse:
    return JsonResponse(error_body(status_code=exc.status, code=exc.code, message=str(exc)), status=exc.status)
