"""Downloads as HTTP clients really make them, over real HTTP (live server): cdsetool's walk (HEAD with Bearer and no
redirects, then GET of the last URL with Bearer still attached; prip-odata.md §17.2), a browser-like plain GET
following the 307, in both storage modes."""

from __future__ import annotations

import hashlib
import random
from typing import Any

import pytest
import requests

from rs.subscriptions.tests.support import (  # noqa: F401 - fixtures
    basic_memo_fixture,
    fast_passwords_fixture,
    filesystem_store_fixture,
    stored_product,
    token_of,
    user_create,
)

DATA = random.Random(172).randbytes(2_500_000)
NAME = "S1A_IW_SLC__1SDV_20240313T054626_20240313T054653_052959_066921_3759.SAFE"


@pytest.fixture(params=["s3", "filesystem"])
def storage(request: pytest.FixtureRequest) -> str:
    from django.conf import settings

    if request.param == "s3" and settings.RS_STORAGE != "s3":
        pytest.skip("the suite runs without S3")
    if request.param == "filesystem":
        request.getfixturevalue("filesystem_store")
    return str(request.param)


@pytest.fixture
def setting_up(live_server: Any, transactional_db: None, storage: str) -> tuple[str, Any]:
    from rs.access import services
    from rs.access.models import OAuthClient

    OAuthClient.objects.get_or_create(client_id="cdse-public", defaults={"grant_types": "password refresh_token"})
    services.signing_keys_ensure()
    user = user_create("carol")
    stored = stored_product(NAME, DATA)
    return token_of(user, issuer=f"{live_server.url}/auth/realms/rs"), stored


def cdsetool_download(url: str, token: str) -> tuple[list[int], requests.Response, bytes]:
    """cdsetool 0.3's download.py: HEAD hops without redirects, then GET of the last URL with the Bearer header."""
    session = requests.Session()
    headers = {"Authorization": f"Bearer {token}"}
    hops = []
    response = session.head(url, headers=headers, allow_redirects=False, timeout=30)
    hops.append(response.status_code)
    while response.status_code in (301, 302, 303, 307, 308):
        url = response.headers["Location"]
        response = session.head(url, headers=headers, allow_redirects=False, timeout=30)
        hops.append(response.status_code)
    with session.get(url, headers=headers, stream=True, timeout=30) as final:
        body = b"".join(final.iter_content(1024 * 1024))
    return hops, final, body


def test_cdsetools_head_walk_then_get_receives_the_product(live_server, setting_up, storage):
    token, stored = setting_up
    hops, final, body = cdsetool_download(f"{live_server.url}/odata/v1/Products({stored.product.id})/$value", token)
    assert hops == [200]  # HEAD never redirects (a presigned URL refuses HEAD)
    assert (final.status_code, int(final.headers["Content-Length"])) == (200, len(DATA))
    assert hashlib.md5(body).hexdigest() == stored.product.md5
    # S3: requests dropped the Authorization header on the way to another origin (one auth mechanism only)
    assert [r.status_code for r in final.history] == ([307] if storage == "s3" else [])


def test_a_plain_get_with_the_token_parameter_follows_the_redirect_without_it(live_server, setting_up, storage):
    token, stored = setting_up
    answer = requests.get(f"{live_server.url}/odata/v1/Products({stored.product.id})/$value",
                          params={"token": token}, timeout=30)
    assert (answer.status_code, answer.content) == (200, DATA)
    assert answer.headers["Content-Disposition"] == f'attachment; filename="{NAME}.zip"'
    if storage == "s3":
        assert "token=" not in answer.url
