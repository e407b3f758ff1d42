"""eodag end to end, downloads included (prip-odata.md §17.1, §20 case 35): the real `eodag` package, provider
`cop_dataspace`, discovers our OIDC document on the live test server, obtains a token with a username and a
password (password grant of `cdse-public`), searches S2 L1C by dates and area, and downloads each product through
`Products(<Id>)/$value?token=…`; the bytes on disk must have the catalogue's MD5. With S3 storage eodag follows
our 307 to SeaweedFS's presigned URL (without the token); with the filesystem store it receives our stream.

This file is also the script the eodag subprocess runs (standard library and eodag only, like eodag_setup.py):
the Django side is imported inside the fixtures and tests.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import subprocess
import sys
import threading
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.slow

if __name__ != "__main__":  # in the eodag subprocess there is no Django
    from rs.subscriptions.tests.support import filesystem_store_fixture  # noqa: F401 - fixture

RUN_TIMEOUT_S = 90
USERNAME, PASSWORD = "eve.downloader", "a long and correct password"
AOI = [10.0, 45.0, 11.0, 46.0]


def safe_zip(name: str, size: int) -> bytes:
    """A small SAFE archive, as ingestion stores them (eodag checks that a download is a zip)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr(f"{name}/manifest.safe", f"<manifest name='{name}'/>")
        archive.writestr(f"{name}/measurement/image.jp2", hashlib.sha512(name.encode()).digest() * (size // 64))
    return buffer.getvalue()


def eodag_environment(*, home: Path, server_url: str, base: dict[str, str]) -> dict[str, str]:
    """eodag_setup's isolated environment, with the auth plugin pointed at our realm and our user's credentials."""
    realm = f"{server_url}/auth/realms/rs"
    return {**base, "EODAG__COP_DATASPACE__AUTH__MATCHING_URL": server_url,
            "EODAG__COP_DATASPACE__AUTH__OIDC_CONFIG_URL": f"{realm}/.well-known/openid-configuration",
            "EODAG__COP_DATASPACE__AUTH__CREDENTIALS__USERNAME": USERNAME,
            "EODAG__COP_DATASPACE__AUTH__CREDENTIALS__PASSWORD": PASSWORD, "HOME": str(home)}


def run_eodag(*, home: Path, server_url: str, s3_endpoint: str | None) -> dict[str, Any]:
    from rs.prip.tests import eodag_setup

    allowed = [urlsplit(server_url).port, *([urlsplit(s3_endpoint).port] if s3_endpoint else [])]
    request = {"allowed": allowed, "output": str(home / "downloads"),
               "search": {"collection": "S2_MSI_L1C", "start": "2024-06-01T00:00:00Z", "end": "2024-06-11T00:00:00Z",
                          "geom": AOI}}
    env = eodag_environment(home=home, server_url=server_url,
                            base=eodag_setup.eodag_environment(home=home, server_url=server_url))
    completed = subprocess.run([sys.executable, "-I", "-B", __file__], input=json.dumps(request), capture_output=True,
                               text=True, env=env, cwd=home, timeout=RUN_TIMEOUT_S, check=False)
    if completed.returncode != 0:
        raise AssertionError(f"eodag failed (exit {completed.returncode}):\n{completed.stderr[-8000:]}")
    return json.loads(completed.stdout)


# --- the Django side --------------------------------------------------------------------------------------------------


@pytest.fixture
def downloader(transactional_db: None) -> Any:
    from django.contrib.auth import get_user_model

    from rs.access.models import OAuthClient

    OAuthClient.objects.get_or_create(client_id="cdse-public", defaults={"grant_types": "password refresh_token"})
    return get_user_model().objects.create_user(USERNAME, "eve@example.org", PASSWORD)


@pytest.fixture
def server_log() -> Iterator[list[dict[str, str]]]:
    """Method, path, query and agent of every request the live server receives."""
    from django.core.signals import request_started

    log: list[dict[str, str]] = []
    lock = threading.Lock()

    def record(sender: Any, environ: dict[str, Any], **kwargs: Any) -> None:
        with lock:
            log.append({"method": environ["REQUEST_METHOD"], "path": environ["PATH_INFO"],
                        "query": environ.get("QUERY_STRING", ""), "agent": environ.get("HTTP_USER_AGENT", "")})

    request_started.connect(record, weak=False)
    yield log
    request_started.disconnect(record)


def register(name: str, *, start: datetime, footprint: Any, size: int) -> tuple[Any, bytes]:
    from rs.catalog import services
    from rs.catalog.choices import ProcessingLevel, ProductFamily
    from rs.catalog.storage import object_store
    from rs.catalog.storage.keys import product_key

    data = safe_zip(name, size)
    key = product_key(mission="S2", family=ProductFamily.S2_USER_PRODUCT, name=name, suffix=".zip")
    stored = object_store().put_stream(key=key, stream=data)
    metadata = services.ProductMetadata(
        mission="S2", platform="A", family=ProductFamily.S2_USER_PRODUCT, product_type="S2MSI1C",
        level=ProcessingLevel.L1, content_start=start, content_end=start + timedelta(seconds=5), footprint=footprint,
        attributes={"productType": "S2MSI1C", "platformShortName": "SENTINEL-2", "platformSerialIdentifier": "A",
                    "cloudCover": 10.0})
    product = services.product_register(
        name=name, metadata=metadata, content_length=stored.size, storage_key=key,
        checksums=services.Checksums(md5=stored.md5, blake3=stored.blake3, computed_at=stored.stored_at))
    return services.product_publish(product_id=product.id, at=start + timedelta(hours=3)), data


def catalogue() -> dict[str, tuple[Any, bytes]]:
    """Two products in the area and the window (June 3 and 5 over northern Italy), one over Paris."""
    from django.contrib.gis.geos import Polygon

    inside, paris = Polygon.from_bbox((10.2, 45.2, 10.8, 45.8)), Polygon.from_bbox((2.0, 48.0, 3.0, 49.0))
    inside.srid = paris.srid = 4326
    entries = {}
    for index, (day, footprint) in enumerate(((3, inside), (5, inside), (7, paris))):
        start = datetime(2024, 6, day, 10, tzinfo=UTC)
        name = f"S2A_MSIL1C_{start:%Y%m%dT%H%M%S}_N0510_R022_T32TQR_{start + timedelta(hours=2):%Y%m%dT%H%M%S}.SAFE"
        entries[name] = register(name, start=start, footprint=footprint, size=200_000 + 50_000 * index)
    return entries


@pytest.fixture(params=["s3", "filesystem"])
def storage(request: pytest.FixtureRequest) -> str:
    """Both stores: S3 when the suite runs on it (the redirect), the filesystem always (the app's stream)."""
    from django.conf import settings

    if request.param == "s3" and settings.RS_STORAGE != "s3":
        pytest.skip("the suite runs without S3")
    if request.param == "filesystem":
        request.getfixturevalue("filesystem_store")
    return str(request.param)


def test_eodag_logs_in_searches_and_downloads_each_product_with_its_checksum(live_server, downloader, server_log,
                                                                            storage, tmp_path):
    from django.conf import settings

    # given three S2 L1C products stored as SAFE zips, the first two in the area and the window
    products = list(catalogue().values())
    expected = {str(product.id): (product, data) for product, data in products[:2]}
    # when eodag searches and downloads
    s3 = settings.RS_S3_PUBLIC_ENDPOINT_URL or settings.RS_S3_ENDPOINT_URL if settings.RS_STORAGE == "s3" else None
    result = run_eodag(home=tmp_path, server_url=live_server.url, s3_endpoint=s3)
    # then it found those two and saved each as the zip of its bytes
    assert sorted(result["downloads"]) == sorted(expected)
    for uid, path in result["downloads"].items():
        product, data = expected[uid]
        saved = Path(path).read_bytes()
        # eodag saves <title>.zip, the title being the name without its extension (prip-odata.md §17.1)
        assert (Path(path).name, hashlib.md5(saved).hexdigest()) == (f"{product.name.split('.')[0]}.zip", product.md5)
        assert saved == data
    # having logged in with the password grant, and downloaded with ?token= (never in a header)
    token_posts = [e for e in server_log if e["path"].endswith("/protocol/openid-connect/token")]
    downloads = [e for e in server_log if e["path"].endswith("/$value")]
    assert len(token_posts) >= 1 and {e["method"] for e in token_posts} == {"POST"}
    assert sorted(e["path"] for e in downloads) == sorted(f"/odata/v1/Products({uid})/$value" for uid in expected)
    assert all(e["query"].startswith("token=") and e["agent"].startswith("eodag/") for e in downloads)
    assert result["warnings"] == []


# --- the subprocess side (standard library and eodag only) ------------------------------------------------------------


def _guard(ports: list[int]) -> None:
    """eodag_setup's audit hook, opened to the live server and (S3) the object store: any other lookup or
    connection fails at once with its address."""
    loopback = {"localhost", "127.0.0.1", "::1"}

    def hook(event: str, args: tuple[Any, ...]) -> None:
        if event == "socket.getaddrinfo" and args[0] not in loopback | {None}:
            raise ConnectionRefusedError(f"eodag tried to resolve {args[0]!r}")
        address = args[1] if event == "socket.connect" else None
        if isinstance(address, tuple) and (address[0] not in loopback or address[1] not in ports):
            raise ConnectionRefusedError(f"eodag tried to connect to {address}")

    sys.addaudithook(hook)


def _main() -> None:
    import socket
    import warnings

    request = json.load(sys.stdin)
    _guard(request["allowed"])
    socket.setdefaulttimeout(30)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(name)s %(levelname)s %(message)s")
    warnings_seen: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            warnings_seen.append(f"{record.name}: {record.getMessage()}")

    logging.getLogger("eodag").addHandler(Collect(level=logging.WARNING))
    warnings.simplefilter("ignore", DeprecationWarning)
    from eodag import EODataAccessGateway

    dag = EODataAccessGateway()
    found = dag.search_all(provider="cop_dataspace", raise_errors=True, **request["search"])
    os.makedirs(request["output"], exist_ok=True)
    downloads = {product.properties["uid"]: product.download(output_dir=request["output"], extract=False)
                 for product in found}
    json.dump({"downloads": downloads, "warnings": warnings_seen}, sys.stdout, default=str)


if __name__ == "__main__":
    _main()
