from __future__ import annotations

import random
from typing import Any

import pytest

from rs.monitoring.tests.metrics_scrape import value
from rs.subscriptions.tests.support import (  # noqa: F401 - fixtures
    alice_fixture,
    basic_memo_fixture,
    bearer,
    fast_passwords_fixture,
    filesystem_store_fixture,
    public_client_fixture,
    stored_product,
    token_of,
)

pytestmark = [pytest.mark.django_db, pytest.mark.urls("rs.monitoring.tests.urls")]

DATA = random.Random(7).randbytes(100_000)
NAME = "S1A_IW_GRDH_1SDV_20240601T101010_20240601T101035_054321_069ABC_1A2C.SAFE"


@pytest.fixture
def stored(filesystem_store: Any) -> Any:
    return stored_product(NAME, DATA)


def test_downloads_count_the_bytes_of_whole_and_ranged_gets_but_not_heads(client, settings, alice, public_client,
                                                                           stored):
    url = f"/odata/v1/Products({stored.product.id})/$value"
    before = value(client.get("/metrics").content.decode(), "rs_download_bytes_total", route="prip:product-value") or 0

    assert client.get(url, **bearer(alice)).status_code == 200
    assert client.get(url, HTTP_RANGE="bytes=0-99", **bearer(alice)).status_code == 206
    assert client.head(url, **bearer(alice)).status_code == 200

    after = value(client.get("/metrics").content.decode(), "rs_download_bytes_total", route="prip:product-value")
    assert after == before + len(DATA) + 100
