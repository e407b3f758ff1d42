"""The HTTP answers of a download: the headers every form shares (a HEAD answers exactly those of the final GET),
the 307 to a presigned S3 URL, and the app's own stream of filesystem objects with single byte ranges (the Range
parsing is rs.catalog.api.storage_views', the one the /storage/<token> links use)."""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils.http import content_disposition_header

from rs.catalog.api.storage_views import requested_range
from rs.prip.download.targets import DownloadTarget
from rs.subscriptions.constants import STREAM_SLOT_RENEW_S
from rs.subscriptions.quotas import DownloadTicket


def checksum_headers(md5: str) -> dict[str, str]:
    """The MD5 as ETag (what clients compare with Checksum[MD5]), RFC 9530 Repr-Digest and RFC 3230 Digest."""
    if len(md5) != 32:
        return {}
    encoded = base64.b64encode(bytes.fromhex(md5)).decode("ascii")
    return {"ETag": f'"{md5}"', "Repr-Digest": f"md5=:{encoded}:", "Digest": f"md5={encoded}"}


def entity_headers(target: DownloadTarget, *, size: int) -> dict[str, str]:
    return {
        "Content-Type": target.content_type or "application/octet-stream",
        "Content-Length": str(size),
        "Accept-Ranges": "bytes",
        "Content-Disposition": content_disposition_header(as_attachment=True, filename=target.filename) or "attachment",
        **checksum_headers(target.md5),
        "Cache-Control": "private",  # the answer depends on the caller's rights
    }


def byte_range(request: HttpRequest, target: DownloadTarget, *, size: int) -> tuple[int, int] | None:
    """The single range asked for (RangeNotSatisfiable → 416), or None for the whole object. An If-Range that is not
    our ETag means the client's partial copy is of other bytes: it gets the whole object."""
    condition = request.headers.get("If-Range")
    if condition is not None and condition.strip() != checksum_headers(target.md5).get("ETag"):
        return None
    return requested_range(request.headers.get("Range"), size=size)


def head_response(target: DownloadTarget, *, size: int) -> HttpResponse:
    return HttpResponse(status=200, headers=entity_headers(target, size=size))


def redirect_response(url: str) -> HttpResponse:
    # no-store: the presigned URL is a credential that expires; nobody may replay a cached copy of it
    return HttpResponse(status=307, headers={"Location": url, "Cache-Control": "no-store"})


def stream_response(target: DownloadTarget, *, size: int, part: tuple[int, int] | None, chunks: Iterator[bytes],
                    ticket: DownloadTicket | None) -> StreamingHttpResponse:
    start, end = part or (0, size - 1)
    length = end - start + 1 if size else 0
    headers = entity_headers(target, size=length)
    if part is not None:
        headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    body = chunks if ticket is None else _Metered(chunks, ticket, length)
    return StreamingHttpResponse(body, status=200 if part is None else 206, headers=headers)


class _Metered:
    """The body, keeping the download's slot while bytes flow. The WSGI server (or Django) closes it when the
    transfer ends or the client goes away, even before the first chunk: the slot is freed and the bytes not handed
    out are refunded either way (a generator would skip its `finally` if closed before it started)."""

    def __init__(self, chunks: Iterator[bytes], ticket: DownloadTicket, length: int) -> None:
        self._chunks, self._ticket, self._length = chunks, ticket, length
        self._sent = 0
        self._renewed = time.monotonic()
        self._closed = False

    def __iter__(self) -> _Metered:
        return self

    def __next__(self) -> bytes:
        try:
            chunk = next(self._chunks)
        except StopIteration:
            self.close()
            raise
        self._sent += len(chunk)  # counted once handed to the server: a chunk lost in a broken write is charged
        if time.monotonic() - self._renewed > STREAM_SLOT_RENEW_S:
            self._ticket.renew()
            self._renewed = time.monotonic()
        return chunk

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        close = getattr(self._chunks, "close", None)
        if close is not None:
            close()
        self._ticket.refund(self._length - self._sent)
        self._ticket.release()
