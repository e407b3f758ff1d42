from __future__ import annotations

import pytest


@pytest.mark.django_db
def test_an_over_long_odata_url_gets_the_odata_414_with_the_limit(client, settings):
    settings.RS_MAX_URL_BYTES = 2048
    response = client.get("/odata/v1/Products", {"$filter": "Name eq '" + "x" * 3000 + "'"})
    assert response.status_code == 414
    assert (response["Content-Type"], response["OData-Version"]) == ("application/json", "4.0")
    assert response.json() == {"error": {
        "code": "UriTooLong", "target": "$filter",
        "message": "The URL has 3042 bytes; the limit is 2048. Simplify the area of interest or split the query."}}


@pytest.mark.django_db
def test_an_over_long_api_url_gets_the_414_in_the_api_format(client, settings):
    settings.RS_MAX_URL_BYTES = 2048
    response = client.get("/api/v1/products/", {"product_type": "x" * 3000})
    assert response.status_code == 414
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"error": {"status": 414, "code": "uri_too_long",
                                         "message": "The URL has 3030 bytes; the limit is 2048."}}


@pytest.mark.django_db
def test_an_over_long_stac_url_gets_the_stac_414(client, settings):
    settings.RS_MAX_URL_BYTES = 2048
    response = client.get("/stac/search", {"ids": "x" * 3000})
    assert (response.status_code, response["Content-Type"]) == (414, "application/json")
    assert response.json() == {"code": "UriTooLong", "description": "The URL has 3016 bytes; the limit is 2048. "
                                                                   "Simplify the area of interest or search with POST."}


@pytest.mark.django_db
def test_an_over_long_page_url_gets_a_plain_414(client, settings):
    settings.RS_MAX_URL_BYTES = 2048
    response = client.get("/", {"q": "x" * 3000})
    assert (response.status_code, response["Content-Type"]) == (414, "text/plain; charset=utf-8")
    assert response.content == b"The URL has 3003 bytes; the limit is 2048.\n"


@pytest.mark.django_db
def test_a_long_but_allowed_url_reaches_the_api(client, settings):
    settings.RS_MAX_URL_BYTES = 65536
    ring = ", ".join(f"{10 + i / 1000:.4f} 45.0000" for i in range(600))
    response = client.get("/odata/v1/Products", {"$filter": f"startswith(Name,'S1') and Name ne '{ring}'"})
    assert response.status_code == 200
