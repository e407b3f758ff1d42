from __future__ import annotations

import pytest


@pytest.mark.django_db
def test_an_over_long_url_gets_a_414_with_the_limit(client, settings):
    settings.RS_MAX_URL_BYTES = 2048
    response = client.get("/odata/v1/Products", {"$filter": "Name eq '" + "x" * 3000 + "'"})
    assert response.status_code == 414
    error = response.json()["error"]
    assert error["code"] == "UriTooLong" and "the limit is 2048" in error["message"]


@pytest.mark.django_db
def test_a_long_but_allowed_url_reaches_the_api(client, settings):
    settings.RS_MAX_URL_BYTES = 65536
    ring = ", ".join(f"{10 + i / 1000:.4f} 45.0000" for i in range(600))
    response = client.get("/odata/v1/Products", {"$filter": f"startswith(Name,'S1') and Name ne '{ring}'"})
    assert response.status_code == 200
