"""HTTP access to OData pickup points (PRIP, AUXIP, CDSE, CADIP): authentication, JSON pages, downloads.

Credentials never follow a redirect to another origin: a PRIP answers `$value` with a 307 to a pre-signed S3 URL,
which refuses a second authentication and must not learn the PRIP password (prip-odata.md §10).
"""

from __future__ import annotations

import base64
import json
import logging
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.client import HTTPException, HTTPResponse
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

from rs.ingestion.choices import AuthKind
from rs.ingestion.configuration import secret_value
from rs.ingestion.constants import HTTP_TIMEOUT_S
from rs.ingestion.errors import InboxConfigError, ItemGone, SourceUnavailable
from rs.ingestion.staging import Download, chunks_to_file

if TYPE_CHECKING:
    from rs.ingestion.models import Inbox

logger = logging.getLogger(__name__)

MAX_JSON_BYTES = 64 * 1024 * 1024  # a page of 1000 products with attributes is a few MB
DOWNLOAD_CHUNK = 1024 * 1024
MAX_PAGES = 100_000  # a server whose nextLink never ends must not keep a poll busy for ever
_TRANSIENT_STATUS = {408, 425, 429, 500, 502, 503, 504}

# Access tokens are shared by every client of this process (each poll and drain builds its own client): one token
# request per lifetime, not one per task. Key: (token URL, client id, user name).
_tokens: dict[tuple[str, str, str], tuple[str, float]] = {}
_tokens_lock = threading.Lock()


def _http_url(url: str) -> str:
    """`url` if it is http(s); urllib would also open file:// and ftp:// URLs a hostile server hands us."""
    if urlsplit(url).scheme.lower() not in ("http", "https"):
        raise InboxConfigError(f"refusing to open {url!r}: only http and https URLs are followed")
    return url


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme, parts.netloc.lower()


class _SameOriginAuthRedirect(urllib.request.HTTPRedirectHandler):
    """Authorization is sent as an unredirected header; it is re-attached only when a redirect stays on its origin."""

    def redirect_request(self, req: urllib.request.Request, fp: IO[bytes], code: int, msg: str,
                         headers: Any, newurl: str) -> urllib.request.Request | None:
        _http_url(newurl)
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        authorization = req.unredirected_hdrs.get("Authorization")
        if new is not None and authorization and _origin(req.full_url) == _origin(newurl):
            new.add_unredirected_header("Authorization", authorization)
        return new


class HttpClient:
    def __init__(self, inbox: Inbox) -> None:
        self.inbox = inbox
        self._opener = urllib.request.build_opener(_SameOriginAuthRedirect())

    # --- authentication ------------------------------------------------------------------------------------------

    def _authorization(self, *, renew: bool = False) -> str:
        inbox = self.inbox
        if inbox.auth == AuthKind.BASIC:
            pair = f"{inbox.username}:{secret_value(inbox.password, field='password')}"
            return "Basic " + base64.b64encode(pair.encode()).decode()
        if inbox.auth == AuthKind.BEARER:
            return "Bearer " + secret_value(inbox.token, field="token")
        if inbox.auth in (AuthKind.OAUTH2_CLIENT, AuthKind.OAUTH2_PASSWORD):
            key = (inbox.token_url, inbox.client_id, inbox.username)
            with _tokens_lock:
                token, expires = _tokens.get(key, ("", 0.0))
                if renew or not token or time.monotonic() >= expires:
                    token, expires = self._token_fetch()
                    _tokens[key] = (token, expires)
            return "Bearer " + token
        return ""

    def _token_fetch(self) -> tuple[str, float]:
        inbox = self.inbox
        form = {"client_id": inbox.client_id}
        if inbox.client_secret:
            form["client_secret"] = secret_value(inbox.client_secret, field="client_secret")
        if inbox.auth == AuthKind.OAUTH2_CLIENT:
            form["grant_type"] = "client_credentials"
        else:
            form.update(grant_type="password", username=inbox.username,
                        password=secret_value(inbox.password, field="password"))
        request = urllib.request.Request(  # noqa: S310 - scheme checked by _http_url
            _http_url(inbox.token_url), data=urlencode(form).encode(), method="POST",
            headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"},
        )
        try:
            with self._opener.open(request, timeout=HTTP_TIMEOUT_S) as response:
                body = json.loads(response.read(1024 * 1024))
        except urllib.error.HTTPError as exc:
            detail = _error_text(exc)
            if exc.code in _TRANSIENT_STATUS:
                raise SourceUnavailable(f"token endpoint {inbox.token_url}: HTTP {exc.code} {detail}") from exc
            raise InboxConfigError(f"token endpoint {inbox.token_url} refused the credentials: HTTP {exc.code} "
                                   f"{detail}") from exc
        except (urllib.error.URLError, OSError, HTTPException) as exc:
            raise SourceUnavailable(f"token endpoint {inbox.token_url}: {_reason(exc)}") from exc
        except ValueError as exc:
            raise InboxConfigError(f"token endpoint {inbox.token_url}: the answer is not JSON") from exc
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise InboxConfigError(f"token endpoint {inbox.token_url}: no access_token in the answer")
        lifetime = body.get("expires_in", 300)
        lifetime = float(lifetime) if isinstance(lifetime, int | float) else 300.0
        return token, time.monotonic() + max(lifetime - 30.0, lifetime / 2)

    # --- requests ------------------------------------------------------------------------------------------------

    def _open(self, url: str, *, item: bool, accept: str) -> HTTPResponse:
        """GET `url`; a refused bearer token is renewed once. Errors become SourceUnavailable, ItemGone (a missing
        item) or InboxConfigError (refused credentials, wrong URL)."""
        for attempt in (1, 2):
            request = urllib.request.Request(  # noqa: S310 - scheme checked by _http_url
                _http_url(url), headers={"Accept": accept, "User-Agent": "rs-ingestion/1"})
            authorization = self._authorization(renew=attempt == 2)
            if authorization:
                request.add_unredirected_header("Authorization", authorization)
            try:
                response: HTTPResponse = self._opener.open(request, timeout=HTTP_TIMEOUT_S)
                return response
            except urllib.error.HTTPError as exc:
                detail = _error_text(exc)
                renewable = self.inbox.auth in (AuthKind.OAUTH2_CLIENT, AuthKind.OAUTH2_PASSWORD)
                if exc.code == 401 and renewable and attempt == 1:
                    continue
                if exc.code in _TRANSIENT_STATUS:
                    raise SourceUnavailable(f"GET {url}: HTTP {exc.code} {detail}") from exc
                if item and exc.code in (404, 410):
                    raise ItemGone(f"GET {url}: HTTP {exc.code}: no longer available at the source {detail}") from exc
                if exc.code in (401, 403):
                    raise InboxConfigError(f"GET {url}: HTTP {exc.code}: credentials refused {detail}") from exc
                raise InboxConfigError(f"GET {url}: HTTP {exc.code} {detail}") from exc
            except (urllib.error.URLError, OSError, HTTPException) as exc:
                raise SourceUnavailable(f"GET {url}: {_reason(exc)}") from exc
        raise AssertionError("unreachable")

    def get_json(self, url: str) -> dict[str, Any]:
        with self._open(url, item=False, accept="application/json") as response:
            try:
                raw = response.read(MAX_JSON_BYTES + 1)
            except (OSError, HTTPException) as exc:
                raise SourceUnavailable(f"GET {url}: {_reason(exc)}") from exc
        if len(raw) > MAX_JSON_BYTES:
            raise SourceUnavailable(f"GET {url}: answer larger than {MAX_JSON_BYTES} bytes")
        try:
            body = json.loads(raw)
        except ValueError as exc:
            raise InboxConfigError(f"GET {url}: the answer is not JSON (is this an OData service root?)") from exc
        if not isinstance(body, dict):
            raise InboxConfigError(f"GET {url}: expected a JSON object")
        return body

    def pages(self, url: str) -> Iterator[list[dict[str, Any]]]:
        """The `value` of every page, following `@odata.nextLink` verbatim (prip-odata.md §7)."""
        seen: set[str] = set()
        next_url: str | None = url
        while next_url:
            if next_url in seen or len(seen) >= MAX_PAGES:
                raise SourceUnavailable(f"GET {url}: the server's nextLinks loop")
            seen.add(next_url)
            body = self.get_json(next_url)
            value = body.get("value")
            if not isinstance(value, list):
                raise InboxConfigError(f"GET {next_url}: no 'value' list in the answer")
            yield [item for item in value if isinstance(item, dict)]
            link = body.get("@odata.nextLink")
            next_url = link if isinstance(link, str) and link else None
            if next_url and _origin(next_url) != _origin(url):
                raise InboxConfigError(f"GET {url}: nextLink {next_url} leaves the server")

    def download(self, url: str, destination: Path) -> Download:
        with self._open(url, item=True, accept="*/*") as response:
            try:
                return chunks_to_file(iter(lambda: response.read(DOWNLOAD_CHUNK), b""), destination)
            except (OSError, HTTPException) as exc:
                if isinstance(exc, OSError) and not isinstance(exc, socket.timeout | ConnectionError) \
                        and exc.filename is not None:
                    raise  # our own disk, not the network
                raise SourceUnavailable(f"GET {url}: interrupted: {_reason(exc)}") from exc


def _error_text(exc: urllib.error.HTTPError) -> str:
    try:
        text = exc.read(500).decode("utf-8", "replace").strip()
    except (OSError, HTTPException):
        return ""
    return f"({text})" if text else ""


def _reason(exc: BaseException) -> str:
    reason = getattr(exc, "reason", None)
    return f"{type(exc).__name__}: {reason or exc}"
