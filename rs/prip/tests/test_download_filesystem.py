"""Products(<Id>)/$value with the filesystem store (the embedded default): the app streams the bytes itself, with
Content-Length, Content-Disposition, ETag/Repr-Digest, single ranges (206/416) and HEAD (prip-odata.md §10, §20
cases 30-31), over the test client and over real HTTP."""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import random
from typing import Any
from urllib.parse import urlsplit

import pytest

from rs.subscriptions.tests.support import (  # noqa: F401 - fixtures
    alice_fixture,
    basic_memo_fixture,
    bearer,
    fast_passwords_fixture,
    filesystem_store_fixture,
    public_client_fixture,
    quicklook_add,
    stored_product,
    token_of,
)

pytestmark = pytest.mark.django_db

MIB = 1024 * 1024
DATA = random.Random(31).randbytes(3 * MIB + 17)
NAME = "S1A_IW_GRDH_1SDV_20240601T101010_20240601T101035_054321_069ABC_1A2B.SAFE"


@pytest.fixture
def stored(filesystem_store: Any) -> Any:
    return stored_product(NAME, DATA)


def url(stored: Any) -> str:
    return f"/odata/v1/Products({stored.product.id})/$value"


def body(response: Any) -> bytes:
    return b"".join(response.streaming_content)


def test_a_get_streams_the_whole_product_with_its_headers(client, alice, public_client, stored):
    response = client.get(url(stored), **bearer(alice))
    md5 = base64.b64encode(bytes.fromhex(stored.md5)).decode()
    assert response.status_code == 200
    assert {name: response[name] for name in ("Content-Length", "Content-Type", "Content-Disposition", "ETag",
                                              "Accept-Ranges", "Repr-Digest")} == {
        "Content-Length": str(len(DATA)), "Content-Type": "application/octet-stream",
        "Content-Disposition": f'attachment; filename="{NAME}.zip"', "ETag": f'"{stored.md5}"',
        "Accept-Ranges": "bytes", "Repr-Digest": f"md5=:{md5}:"}
    assert hashlib.md5(body(response)).hexdigest() == stored.product.md5


def test_head_has_the_headers_of_the_get_and_no_body(client, alice, public_client, stored):
    head = client.head(url(stored), **bearer(alice))
    get = client.get(url(stored), **bearer(alice))
    names = ("Content-Length", "Content-Type", "Content-Disposition", "ETag", "Accept-Ranges", "Repr-Digest")
    assert head.status_code == 200 and head.content == b""
    assert {n: head[n] for n in names} == {n: get[n] for n in names}
    body(get)


def test_a_range_is_a_206_with_exactly_those_bytes(client, alice, public_client, stored):
    first = client.get(url(stored), HTTP_RANGE="bytes=0-1023", **bearer(alice))
    last = client.get(url(stored), HTTP_RANGE="bytes=-100", **bearer(alice))
    middle = client.get(url(stored), HTTP_RANGE=f"bytes={MIB - 5}-", **bearer(alice))
    assert (first.status_code, first["Content-Range"], first["Content-Length"], body(first)) == (
        206, f"bytes 0-1023/{len(DATA)}", "1024", DATA[:1024])
    assert (last["Content-Range"], body(last)) == (f"bytes {len(DATA) - 100}-{len(DATA) - 1}/{len(DATA)}", DATA[-100:])
    assert body(middle) == DATA[MIB - 5:]


def test_an_unsatisfiable_range_is_a_416_and_a_stale_if_range_gets_the_whole_object(client, alice, public_client,
                                                                                     stored):
    beyond = client.get(url(stored), HTTP_RANGE=f"bytes={len(DATA)}-", **bearer(alice))
    assert (beyond.status_code, beyond["Content-Range"]) == (416, f"bytes */{len(DATA)}")
    assert json.loads(beyond.content)["error"]["code"] == "RangeNotSatisfiable"
    stale = client.get(url(stored), HTTP_RANGE="bytes=0-9", HTTP_IF_RANGE='"0123"', **bearer(alice))
    fresh = client.get(url(stored), HTTP_RANGE="bytes=0-9", HTTP_IF_RANGE=f'"{stored.md5}"', **bearer(alice))
    assert (stale.status_code, len(body(stale)), fresh.status_code, body(fresh)) == (200, len(DATA), 206, DATA[:10])


def test_a_quicklook_is_streamed_as_an_image(client, alice, public_client, stored):
    quicklook_add(stored.product, b"\xff\xd8\xff" + b"j" * 500)
    response = client.get(f"/odata/v1/Products({stored.product.id})/Quicklooks('quick-look.jpg')/$value",
                          **bearer(alice))
    assert (response.status_code, response["Content-Type"], body(response)) == (200, "image/jpeg",
                                                                                 b"\xff\xd8\xff" + b"j" * 500)


def test_over_real_http_the_range_and_the_whole_object_arrive_intact(live_server, transactional_db, alice,
                                                                     public_client, stored):
    parts = urlsplit(live_server.url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    token = token_of(alice, issuer=f"{live_server.url}/auth/realms/rs")
    connection.request("GET", f"{url(stored)}?token={token}", headers={"Range": "bytes=1000-1999"})
    ranged = connection.getresponse()
    assert (ranged.status, ranged.getheader("Content-Range"), ranged.read()) == (
        206, f"bytes 1000-1999/{len(DATA)}", DATA[1000:2000])
    connection.request("GET", url(stored), headers={"Authorization": f"Bearer {token}"})
    whole = connection.getresponse()
    assert (whole.status, int(whole.getheader("Content-Length")), whole.read()) == (200, len(DATA), DATA)
    connection.close()


def test_no_token_reaches_the_logs_whatever_the_answer(client, alice, public_client, stored, caplog):
    from rs.catalog import services as catalog_services

    caplog.set_level("DEBUG")
    token = token_of(alice)
    client.get(url(stored), {"token": token + "x"})  # 401
    client.get("/odata/v1/Products(00000000-0000-0000-0000-000000000000)/$value", {"token": token})  # 404
    client.get(url(stored), {"token": token}, HTTP_RANGE=f"bytes={len(DATA)}-")  # 416
    catalog_services.product_evict(product_id=stored.product.id)
    client.get(url(stored), {"token": token})  # 410
    assert {r.levelname for r in caplog.records} >= {"WARNING"}
    assert token[:40] not in caplog.text
