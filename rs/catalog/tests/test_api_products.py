from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from rs.catalog.tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def api() -> APIClient:
    user = get_user_model().objects.create_user("operator", password="x-operator-password")
    token = Token.objects.create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def test_the_api_needs_credentials_and_says_so_in_the_error_format():
    response = APIClient().get("/api/v1/products/")
    assert response.status_code == 401
    assert response.json() == {"error": {"status": 401, "code": "not_authenticated",
                                         "message": "Authentication credentials were not provided."}}


def test_products_are_listed_newest_first_with_their_footprint(api):
    first = factories.product()
    second = factories.product()
    body = api.get("/api/v1/products/").json()
    assert [p["id"] for p in body["results"]] == [str(second.id), str(first.id)]
    assert body["results"][0]["footprint"]["type"] == "MultiPolygon"
    assert body["next"] is None


def test_filters_narrow_the_list(api):
    keep = factories.product()
    factories.product(product_type="IW_SLC__1S")
    body = api.get("/api/v1/products/", {"product_type": "IW_GRDH_1S", "bbox": "110,-31,120,-25"}).json()
    assert [p["id"] for p in body["results"]] == [str(keep.id)]
    across = api.get("/api/v1/products/", {"bbox": "170,-31,-170,-25"}).json()
    assert across["results"] == []


@pytest.mark.parametrize(
    ("params", "field"),
    [({"bbox": "1,2,3"}, "bbox"), ({"bbox": "0,50,1,40"}, "bbox"), ({"mission": "S9"}, "mission"),
     ({"sensing_from": "yesterday"}, "sensing_from")],
)
def test_bad_filters_get_a_400_naming_the_field(api, params, field):
    response = api.get("/api/v1/products/", params)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid" and error["message"] == "The request is not valid."
    assert list(error["details"]) == [field]


def test_detail_has_attributes_and_lineage(api):
    source = factories.product()
    output = factories.product(inputs=[source.id])
    body = api.get(f"/api/v1/products/{output.id}/").json()
    assert {a["name"]: a["value"] for a in body["attributes"]} == {
        "productType": "IW_GRDH_1S", "orbitNumber": 54172, "orbitDirection": "DESCENDING"}
    assert body["inputs"] == [{"id": str(source.id), "name": source.name}]
    missing = api.get("/api/v1/products/00000000-0000-0000-0000-000000000000/")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    malformed = api.get("/api/v1/products/not-a-uuid/")
    assert malformed.status_code == 404


def test_events_of_a_product(api):
    product = factories.product()
    body = api.get("/api/v1/events/", {"product_id": str(product.id)}).json()
    assert sorted(e["kind"] for e in body["results"]) == ["created", "published"]
    assert api.get("/api/v1/events/", {"product_id": "nope"}).status_code == 400


def test_the_openapi_schema_is_generated(api):
    response = api.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    assert "/api/v1/products/" in schema["paths"]
    assert schema["info"]["title"] == "Copernicus Reference System operator API"
