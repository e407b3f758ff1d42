"""GET/HEAD /storage/<token> over real HTTP (live_server) with the filesystem store."""

from __future__ import annotations

import http.client
import json
import random
import socket
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest
from django.core import signing

from rs.catalog.storage import object_store
from rs.catalog.storage.filesystem import FilesystemObjectStore
from rs.catalog.storage.signing import download_token_make, download_token_read

if TYPE_CHECKING:
    from django.test import Client
    from pytest_django.fixtures import SettingsWrapper
    from pytest_django.live_server_helper import LiveServer

MIB = 1024 * 1024
FILENAME = "S1A_IW_GRDH_1SDV_20240601T101010_20240601T101035_054321_069ABC_1A2B.SAFE.zip"
DATA = random.Random(11).randbytes(3 * MIB + 17)
SIZE = len(DATA)


@dataclass(frozen=True)
class Fetched:
    status: int
    headers: dict[str, str]
    body: bytes

    def error(self) -> Any:
        assert self.headers["Content-Type"] == "application/json"
        return json.loads(self.body)


@pytest.fixture
def store(settings: SettingsWrapper, tmp_path: Path) -> FilesystemObjectStore:
    settings.RS_STORAGE = "filesystem"
    settings.STORAGES = {
        **settings.STORAGES,
        "products": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "storage"), "allow_overwrite": True},
        },
    }
    store = object_store()
    assert isinstance(store, FilesystemObjectStore)
    store.ensure_bucket()
    return store


@pytest.fixture
def key(store: FilesystemObjectStore) -> str:
    key = f"tests/signed-download/{uuid.uuid4()}/{FILENAME}"
    store.put_stream(key=key, stream=DATA)
    return key


@pytest.fixture
def path(store: FilesystemObjectStore, key: str) -> str:
    return store.download_url(key=key, filename=FILENAME)


def fetch(live_server: LiveServer, path: str, *, method: str = "GET", headers: dict[str, str] | None = None) -> Fetched:
    url = urlsplit(live_server.url)
    connection = http.client.HTTPConnection(url.hostname or "localhost", url.port, timeout=30)
    try:
        connection.request(method, path, headers=headers or {})
        response = connection.getresponse()
        return Fetched(response.status, dict(response.getheaders()), response.read())
    finally:
        connection.close()


def raw_response(live_server: LiveServer, request: str) -> bytes:
    """Everything the server sends for one request, read until it closes the connection."""
    url = urlsplit(live_server.url)
    with socket.create_connection((url.hostname or "localhost", url.port or 80), timeout=30) as sock:
        sock.sendall(request.encode("latin-1"))
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    return received


def download_headers(*, length: int, content_range: str | None = None) -> dict[str, str]:
    headers = {
        "Content-Type": "application/octet-stream",
        "Content-Length": str(length),
        "Accept-Ranges": "bytes",
        "Content-Disposition": f'attachment; filename="{FILENAME}"',
        "Cache-Control": "private",
    }
    if content_range is not None:
        headers["Content-Range"] = content_range
    return headers


def subset(headers: dict[str, str], names: dict[str, str]) -> dict[str, str]:
    return {name: headers[name] for name in names if name in headers}


def test_a_signed_link_downloads_the_whole_object(live_server: LiveServer, path: str) -> None:
    response = fetch(live_server, path)

    assert response.status == 200
    assert response.body == DATA
    expected = download_headers(length=SIZE)
    assert subset(response.headers, expected) == expected
    assert "Content-Range" not in response.headers


def test_the_link_is_a_storage_path_with_a_token_for_key_and_filename(store: FilesystemObjectStore, key: str) -> None:
    path = store.download_url(key=key, filename=FILENAME, expires_s=120)

    assert path.startswith("/storage/")
    grant = download_token_read(path.removeprefix("/storage/"))
    assert (grant.key, grant.filename) == (key, FILENAME)


def test_the_link_lives_as_long_as_the_setting_says(
    store: FilesystemObjectStore, key: str, settings: SettingsWrapper
) -> None:
    settings.RS_DOWNLOAD_URL_EXPIRY_S = 90
    before = datetime.now(UTC)

    grant = download_token_read(store.download_url(key=key, filename=FILENAME).removeprefix("/storage/"))

    # the expiry is kept in whole seconds
    assert before + timedelta(seconds=89) <= grant.expires_at <= datetime.now(UTC) + timedelta(seconds=90)


@pytest.mark.parametrize(
    ("range_header", "first", "last"),
    [
        ("bytes=1000-1999", 1000, 1999),
        ("bytes=0-", 0, SIZE - 1),
        (f"bytes={SIZE - 1}-", SIZE - 1, SIZE - 1),
        ("bytes=-10", SIZE - 10, SIZE - 1),
        ("bytes=-99999999", 0, SIZE - 1),
        ("bytes=10-99999999", 10, SIZE - 1),
        ("Bytes=5-5", 5, 5),
    ],
)
def test_a_single_range_is_served_as_partial_content(
    live_server: LiveServer, path: str, range_header: str, first: int, last: int
) -> None:
    response = fetch(live_server, path, headers={"Range": range_header})

    assert response.status == 206
    assert response.body == DATA[first : last + 1]
    expected = download_headers(length=last - first + 1, content_range=f"bytes {first}-{last}/{SIZE}")
    assert subset(response.headers, expected) == expected


@pytest.mark.parametrize("range_header", [f"bytes={SIZE}-", f"bytes={SIZE}-{SIZE + 10}", "bytes=-0"])
def test_a_range_outside_the_object_is_not_satisfiable(live_server: LiveServer, path: str, range_header: str) -> None:
    response = fetch(live_server, path, headers={"Range": range_header})

    assert response.status == 416
    assert response.headers["Content-Range"] == f"bytes */{SIZE}"
    assert response.error()["error"]["code"] == "range_not_satisfiable"


@pytest.mark.parametrize(
    "range_header",
    [
        "bytes=0-1,5-6",
        "bytes=5-1",
        "items=0-1",
        "bytes=abc",
        "bytes=-",
        "bytes=1-2-3",
        "bytes=" + "9" * 25 + "-",
        "bytes 0-1",
    ],
)
def test_a_multiple_or_malformed_range_is_ignored(live_server: LiveServer, path: str, range_header: str) -> None:
    response = fetch(live_server, path, headers={"Range": range_header})

    assert (response.status, len(response.body), response.headers["Content-Length"]) == (200, SIZE, str(SIZE))
    assert response.body == DATA


def test_a_range_with_an_if_range_condition_gets_the_whole_object(live_server: LiveServer, path: str) -> None:
    response = fetch(live_server, path, headers={"Range": "bytes=0-9", "If-Range": '"some-etag"'})

    assert (response.status, response.body) == (200, DATA)


@pytest.mark.parametrize("range_header", [None, "bytes=1000-1999"])
def test_head_sends_the_headers_of_get_without_a_body(
    live_server: LiveServer, path: str, range_header: str | None
) -> None:
    extra = f"Range: {range_header}\r\n" if range_header else ""

    def exchange(method: str) -> tuple[str, dict[str, str], bytes]:
        request = f"{method} {path} HTTP/1.1\r\nHost: localhost\r\n{extra}Connection: close\r\n\r\n"
        raw = raw_response(live_server, request)
        head, _, body = raw.partition(b"\r\n\r\n")
        status_line, *lines = head.decode("latin-1").split("\r\n")
        headers = dict(line.split(": ", 1) for line in lines)
        headers.pop("Date")
        headers.pop("X-Trace-Id", None)  # every request gets its own trace id, by design
        return status_line, headers, body

    get_status, get_headers, get_body = exchange("GET")
    head_status, head_headers, head_body = exchange("HEAD")

    assert (head_status, head_headers) == (get_status, get_headers)
    assert head_body == b""
    assert len(get_body) == int(get_headers["Content-Length"])


def test_a_forged_token_is_refused(live_server: LiveServer, path: str) -> None:
    forged = path[:-1] + ("A" if path[-1] != "A" else "B")

    for candidate in (forged, "/storage/not-a-token", "/storage/a:b:c"):
        response = fetch(live_server, candidate)
        assert response.status == 403
        assert response.error() == {
            "error": {"status": 403, "code": "invalid_signature", "message": "The download link is not valid."}
        }


def test_an_overlong_token_is_refused(client: Client, store: FilesystemObjectStore) -> None:
    # Through the test client: live_server's media-file handler would stat the path first and fail on its length.
    response = client.get("/storage/" + "x" * 5000)

    assert (response.status_code, response.json()["error"]["code"]) == (403, "invalid_signature")


def test_a_token_signed_for_another_purpose_is_refused(live_server: LiveServer, key: str) -> None:
    token = signing.dumps({"k": key, "f": FILENAME, "x": 4_102_444_800})  # same key and secret, no salt

    response = fetch(live_server, f"/storage/{token}")

    assert (response.status, response.error()["error"]["code"]) == (403, "invalid_signature")


def test_an_expired_token_is_refused(live_server: LiveServer, key: str) -> None:
    token = download_token_make(key=key, filename=FILENAME, expires_at=datetime(2024, 1, 1, tzinfo=UTC))

    response = fetch(live_server, f"/storage/{token}")

    assert response.status == 403
    assert response.error() == {
        "error": {
            "status": 403,
            "code": "expired",
            "message": "The download link expired at 2024-01-01T00:00:00+00:00.",
        }
    }


def test_a_link_to_a_missing_object_is_not_found(live_server: LiveServer, store: FilesystemObjectStore) -> None:
    missing = f"tests/signed-download/{uuid.uuid4()}/gone.zip"

    response = fetch(live_server, store.download_url(key=missing, filename="gone.zip"))

    assert response.status == 404
    assert response.error() == {
        "error": {"status": 404, "code": "object_not_found", "message": f"No object {missing!r}."}
    }


def test_other_methods_are_not_allowed(live_server: LiveServer, path: str) -> None:
    response = fetch(live_server, path, method="POST")

    assert (response.status, response.headers["Allow"]) == (405, "GET, HEAD")


def test_a_non_ascii_filename_is_sent_as_an_encoded_filename(
    live_server: LiveServer, store: FilesystemObjectStore, key: str
) -> None:
    response = fetch(live_server, store.download_url(key=key, filename="relevé été.zip"))

    assert response.status == 200
    assert response.headers["Content-Disposition"] == "attachment; filename*=utf-8''relev%C3%A9%20%C3%A9t%C3%A9.zip"


def test_an_empty_object_downloads_as_zero_bytes(live_server: LiveServer, store: FilesystemObjectStore) -> None:
    key = f"tests/signed-download/{uuid.uuid4()}/empty.bin"
    store.put_stream(key=key, stream=b"")
    path = store.download_url(key=key, filename="empty.bin")

    whole = fetch(live_server, path)
    last_bytes = fetch(live_server, path, headers={"Range": "bytes=-5"})
    from_start = fetch(live_server, path, headers={"Range": "bytes=0-"})

    assert (whole.status, whole.headers["Content-Length"], whole.body) == (200, "0", b"")
    assert (last_bytes.status, last_bytes.body) == (200, b"")
    assert (from_start.status, from_start.headers["Content-Range"]) == (416, "bytes */0")
