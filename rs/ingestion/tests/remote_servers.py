"""Minimal pickup-point servers for the tests, on real sockets: an OData Products server (PRIP/AUXIP/CDSE subset)
and a CADIP server (Sessions, Files).

They implement only what an inbox sends: `PublicationDate` windows, `$orderby`, `$top`, absolute `@odata.nextLink`
with `%24skip` (prip-odata.md §7), `$value` (optionally as a 307 redirect to a second origin that refuses requests
carrying credentials, like a pre-signed S3 URL), HTTP Basic and OAuth2 bearer tokens. The tests talk to them through
`base_url`, `add_product(...)` and `inbox_options`, so a fixture with the same three members backed by this project's
PRIP (rs.prip, on a live_server) can replace `ODataServer` once it exists.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlencode, urlsplit

from blake3 import blake3

_TIME = r"(\d{4}-\d{2}-\d{2}T[\d:.]+Z)"
_WINDOW = re.compile(rf"^PublicationDate ge {_TIME}(?: and PublicationDate lt {_TIME})?$")
_SESSION_FILES = re.compile(r"^SessionId eq '([^']+)'$")


def odata_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class RemoteProduct:
    id: str
    name: str
    data: bytes
    published: datetime
    online: bool = True
    announced_md5: str | None = None  # what the server claims (defaults to the true MD5)

    def json(self) -> dict[str, Any]:
        md5 = self.announced_md5 or hashlib.md5(self.data, usedforsecurity=False).hexdigest()
        stamp = odata_time(self.published)
        return {
            "@odata.mediaContentType": "application/octet-stream", "Id": self.id, "Name": self.name,
            "ContentType": "application/octet-stream", "ContentLength": len(self.data), "OriginDate": stamp,
            "PublicationDate": stamp, "ModificationDate": stamp, "Online": self.online,
            "Checksum": [{"Value": md5, "Algorithm": "MD5", "ChecksumDate": stamp},
                         {"Value": blake3(self.data).hexdigest(), "Algorithm": "BLAKE3", "ChecksumDate": stamp}],
        }


@dataclass
class _Server:
    """Shared plumbing: a threaded HTTP server, authentication, request log."""

    auth: str = "none"  # none | basic | bearer
    username: str = "ingest"
    password: str = field(default_factory=lambda: secrets.token_hex(8))
    client_id: str = "rs-ingestion"
    client_secret: str = field(default_factory=lambda: secrets.token_hex(8))
    token_lifetime_s: int = 600
    tokens: set[str] = field(default_factory=set)
    requests: list[tuple[str, str]] = field(default_factory=list)  # (path, Authorization header)
    base_url: str = ""

    @property
    def inbox_options(self) -> dict[str, Any]:
        if self.auth == "basic":
            return {"auth": "basic", "username": self.username, "password": self.password}
        if self.auth == "bearer":
            return {"auth": "oauth2_client_credentials", "token_url": f"{self._origin}/auth/token",
                    "client_id": self.client_id, "client_secret": self.client_secret}
        return {"auth": "none"}

    _origin = ""

    def authorised(self, header: str) -> bool:
        if self.auth == "none":
            return True
        if self.auth == "basic":
            expected = base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
            return header == f"Basic {expected}"
        return header.removeprefix("Bearer ") in self.tokens

    def token(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        grant = form.get("grant_type")
        if grant == "password":
            if (form.get("username"), form.get("password"), form.get("client_id")) != (
                    self.username, self.password, self.client_id):
                return 401, {"error": "invalid_grant", "error_description": "Invalid user credentials"}
        elif grant == "client_credentials":
            if (form.get("client_id"), form.get("client_secret")) != (self.client_id, self.client_secret):
                return 401, {"error": "invalid_client", "error_description": "Invalid client credentials"}
        else:
            return 400, {"error": "unsupported_grant_type"}
        token = secrets.token_urlsafe(24)
        self.tokens.add(token)
        return 200, {"access_token": token, "token_type": "Bearer", "expires_in": self.token_lifetime_s}

    def route(self, handler: BaseHTTPRequestHandler, path: str, query: dict[str, str]) -> None:
        raise NotImplementedError

    @contextmanager
    def running(self) -> Iterator[_Server]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                server.requests.append((parts.path, self.headers.get("Authorization", "")))
                if not server.authorised(self.headers.get("Authorization", "")):
                    reply(self, 401, {"error": {"code": "Unauthorized", "message": "credentials required"}})
                    return
                query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
                server.route(self, unquote(parts.path), query)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                if urlsplit(self.path).path != "/auth/token":
                    reply(self, 404, {})
                    return
                status, body = server.token(form)
                reply(self, status, body)

        httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._origin = f"http://127.0.0.1:{httpd.server_port}"
        self.base_url = f"{self._origin}/odata/v1"
        thread = threading.Thread(target=httpd.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            httpd.shutdown()
            httpd.server_close()


def reply(handler: BaseHTTPRequestHandler, status: int, body: dict[str, Any] | list[Any] | bytes,
          headers: dict[str, str] | None = None) -> None:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/octet-stream" if isinstance(body, bytes) else "application/json")
    handler.send_header("Content-Length", str(len(data)))
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    handler.end_headers()
    handler.wfile.write(data)


def _page(handler: BaseHTTPRequestHandler, base_url: str, path: str, query: dict[str, str],
          items: list[dict[str, Any]]) -> None:
    top, skip = int(query.get("$top", "20")), int(query.get("$skip", "0"))
    body: dict[str, Any] = {"@odata.context": "$metadata#" + path.rsplit("/", 1)[-1], "value": items[skip:skip + top]}
    if skip + top < len(items):
        link = {k: v for k, v in query.items() if k != "$skip"}
        body["@odata.nextLink"] = f"{base_url}/{path.rsplit('/', 1)[-1]}?{urlencode({**link, '$skip': skip + top})}"
    reply(handler, 200, body)


def _window(query: dict[str, str]) -> tuple[datetime, datetime | None] | None:
    match = _WINDOW.match(query.get("$filter", ""))
    if not match:
        return None
    start = datetime.fromisoformat(match[1])
    return start, datetime.fromisoformat(match[2]) if match[2] else None


@dataclass
class ODataServer(_Server):
    """A PRIP-like Products endpoint; with `redirect_downloads`, `$value` answers 307 to a credential-free origin."""

    products: list[RemoteProduct] = field(default_factory=list)
    redirect_downloads: bool = False
    storage: StorageServer | None = None

    def add_product(self, name: str, data: bytes, published: datetime, **options: Any) -> RemoteProduct:
        product = RemoteProduct(id=str(uuid.uuid4()), name=name, data=data, published=published, **options)
        self.products.append(product)
        return product

    def route(self, handler: BaseHTTPRequestHandler, path: str, query: dict[str, str]) -> None:
        if path == "/odata/v1/Products":
            window = _window(query)
            if window is None:
                reply(handler, 400, {"error": {"code": "InvalidFilter", "message": query.get("$filter", "")}})
                return
            start, stop = window
            chosen = sorted((p for p in self.products if p.published >= start and (stop is None or p.published < stop)),
                            key=lambda p: (p.published, p.id))
            _page(handler, self.base_url, path, query, [p.json() for p in chosen])
            return
        match = re.fullmatch(r"/odata/v1/Products\(([0-9a-f-]+)\)/\$value", path)
        product = next((p for p in self.products if match and p.id == match[1]), None)
        if product is None:
            reply(handler, 404, {"error": {"code": "NotFound", "message": path}})
        elif self.redirect_downloads and self.storage is not None:
            handler.send_response(307)
            handler.send_header("Location", self.storage.url_of(product.data))
            handler.send_header("Content-Length", "0")
            handler.end_headers()
        else:
            reply(handler, 200, product.data)


@dataclass
class StorageServer(_Server):
    """Another origin serving bytes like a pre-signed URL: any Authorization header is refused (400)."""

    objects: dict[str, bytes] = field(default_factory=dict)

    def url_of(self, data: bytes) -> str:
        key = hashlib.sha1(data, usedforsecurity=False).hexdigest()
        self.objects[key] = data
        return f"{self._origin}/bucket/{key}?X-Amz-Signature=demo"

    def route(self, handler: BaseHTTPRequestHandler, path: str, query: dict[str, str]) -> None:
        if handler.headers.get("Authorization"):
            reply(handler, 400, b"InvalidArgument: only one auth mechanism allowed")
            return
        data = self.objects.get(path.rsplit("/", 1)[-1])
        reply(handler, 200 if data is not None else 404, data or b"")


@dataclass
class CadipServer(_Server):
    sessions: list[dict[str, Any]] = field(default_factory=list)
    files: list[dict[str, Any]] = field(default_factory=list)
    data: dict[str, bytes] = field(default_factory=dict)

    def add_session(self, session_id: str, *, satellite: str, published: datetime, start: datetime,
                    stop: datetime, channels: int = 2) -> dict[str, Any]:
        session = {"Id": str(uuid.uuid4()), "SessionId": session_id, "NumChannels": channels,
                   "PublicationDate": odata_time(published), "Satellite": satellite, "StationUnitId": "00",
                   "DownlinkOrbit": 61234, "AntennaId": "MSP21", "DownlinkStart": odata_time(start),
                   "DownlinkStop": odata_time(stop), "DeliveryPushOK": True, "Retransfer": False}
        self.sessions.append(session)
        return session

    def add_file(self, session_id: str, *, name: str, channel: int, block: int, final: bool, data: bytes,
                 published: datetime) -> dict[str, Any]:
        file = {"Id": str(uuid.uuid4()), "Name": name, "SessionId": session_id, "Channel": channel,
                "BlockNumber": block, "FinalBlock": final, "PublicationDate": odata_time(published),
                "EvictionDate": "9999-12-31T23:59:59.999999Z", "Size": len(data), "Retransfer": False}
        self.files.append(file)
        self.data[file["Id"]] = data
        return file

    def route(self, handler: BaseHTTPRequestHandler, path: str, query: dict[str, str]) -> None:
        if path == "/odata/v1/Sessions":
            window = _window(query)
            if window is None:
                reply(handler, 400, {"error": {"code": "InvalidFilter", "message": query.get("$filter", "")}})
                return
            chosen = sorted((s for s in self.sessions if datetime.fromisoformat(s["PublicationDate"]) >= window[0]),
                            key=lambda s: s["PublicationDate"])
            _page(handler, self.base_url, path, query, chosen)
        elif path == "/odata/v1/Files":
            match = _SESSION_FILES.match(query.get("$filter", ""))
            chosen = [f for f in self.files if match and f["SessionId"] == match[1]]
            _page(handler, self.base_url, path, query, sorted(chosen, key=lambda f: f["PublicationDate"]))
        elif (match := re.fullmatch(r"/odata/v1/Files\(([0-9a-f-]+)\)/\$value", path)) and match[1] in self.data:
            reply(handler, 200, self.data[match[1]])
        else:
            reply(handler, 404, {"error": {"code": "NotFound", "message": quote(path)}})
