"""Products(<Id>)/$value with S3 storage (prip-odata.md §10, §20 cases 29-32): 307 to a presigned URL that needs no
token and names the real file, HEAD without redirect, 401/404/410 refusals, quicklooks and assets. The presigned
URLs are fetched from the suite's SeaweedFS for real."""

from __future__ import annotations

import base64
import hashlib
import json
import random
import urllib.error
import urllib.request
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from django.conf import settings
from django.utils import timezone

from rs.access import services as access_services
from rs.access.models import VisibilityRule
from rs.catalog import services as catalog_services
from rs.catalog.models import DeletedProduct
from rs.subscriptions.tests.support import (  # noqa: F401 - fixtures
    PASSWORD,
    alice_fixture,
    basic_memo_fixture,
    bearer,
    fast_passwords_fixture,
    public_client_fixture,
    quicklook_add,
    stored_product,
    token_of,
)

pytestmark = [pytest.mark.django_db,
              pytest.mark.skipif(settings.RS_STORAGE != "s3", reason="S3 storage (RS_STORAGE=s3) only")]

DATA = random.Random(29).randbytes(300_000)
NAME = "S1A_IW_GRDH_1SDV_20240601T101010_20240601T101035_054321_069ABC_1A2B.SAFE"
JPEG = b"\xff\xd8\xff\xe0" + random.Random(7).randbytes(2000)


@pytest.fixture
def stored(db: None) -> Any:
    return stored_product(NAME, DATA)


def value_url(product: Any) -> str:
    return f"/odata/v1/Products({product.id})/$value"


def fetch(url: str, headers: dict[str, str] | None = None) -> tuple[int, Any, bytes]:
    """A plain GET (no credentials) of a presigned URL."""
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=30) as answer:
            return answer.status, answer.headers, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def test_a_download_with_a_bearer_token_is_a_307_to_a_presigned_url_of_the_real_file(client, alice, public_client,
                                                                                     stored):
    response = client.get(value_url(stored.product), **bearer(alice))
    assert response.status_code == 307
    assert response["Cache-Control"] == "no-store"
    location = response["Location"]
    query = parse_qs(urlsplit(location).query)
    assert query["response-content-disposition"] == [f'attachment; filename="{NAME}.zip"']
    assert query["X-Amz-Expires"] == [str(settings.RS_DOWNLOAD_URL_EXPIRY_S)]
    assert "token" not in query
    # when the client follows it without any credential
    status, headers, body = fetch(location)
    # then the bytes are the product's, under the name of the stored file
    assert (status, hashlib.md5(body).hexdigest(), headers["Content-Length"]) == (200, stored.md5, str(len(DATA)))
    assert headers["Content-Disposition"] == f'attachment; filename="{NAME}.zip"'
    assert stored.product.md5 == stored.md5


def test_the_token_query_parameter_and_basic_credentials_work_like_bearer(client, alice, public_client, stored):
    with_token = client.get(value_url(stored.product), {"token": token_of(alice)})
    basic = "Basic " + base64.b64encode(f"alice:{PASSWORD}".encode()).decode()
    with_basic = client.get(value_url(stored.product), HTTP_AUTHORIZATION=basic)
    assert (with_token.status_code, with_basic.status_code) == (307, 307)
    assert fetch(with_token["Location"])[2] == DATA


def test_head_answers_200_with_the_headers_of_the_final_get_and_never_redirects(client, alice, public_client, stored):
    response = client.head(value_url(stored.product), **bearer(alice))
    md5 = base64.b64encode(bytes.fromhex(stored.md5)).decode()
    assert response.status_code == 200
    assert response.content == b""
    assert {name: response[name] for name in ("Content-Length", "Content-Type", "Content-Disposition", "ETag",
                                              "Accept-Ranges", "Repr-Digest", "Digest")} == {
        "Content-Length": str(len(DATA)), "Content-Type": "application/octet-stream",
        "Content-Disposition": f'attachment; filename="{NAME}.zip"', "ETag": f'"{stored.md5}"',
        "Accept-Ranges": "bytes", "Repr-Digest": f"md5=:{md5}:", "Digest": f"md5={md5}"}
    assert not response.has_header("Location")
    # and they are those S3 sends with the bytes
    _, headers, _ = fetch(client.get(value_url(stored.product), **bearer(alice))["Location"])
    assert (headers["Content-Length"], headers["Content-Disposition"]) == (
        response["Content-Length"], response["Content-Disposition"])


def test_a_range_is_forwarded_by_the_client_to_the_presigned_url(client, alice, public_client, stored):
    response = client.get(value_url(stored.product), HTTP_RANGE="bytes=0-1023", **bearer(alice))
    status, headers, body = fetch(response["Location"], {"Range": "bytes=0-1023"})
    assert (response.status_code, status, headers["Content-Range"], body) == (
        307, 206, f"bytes 0-1023/{len(DATA)}", DATA[:1024])


def odata_error(response: Any) -> dict[str, Any]:
    assert response["Content-Type"] == "application/json"
    return json.loads(response.content)


def test_without_credentials_it_is_a_401_with_the_challenge(client, stored):
    response = client.get(value_url(stored.product))
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="rs", Basic realm="rs"'
    assert odata_error(response) == {"error": {"code": "Unauthorized", "message": "Authentication is required."}}


def test_expired_forged_and_wrong_audience_tokens_are_401_invalid_token(client, alice, public_client, stored):
    expired = token_of(alice, now=timezone.now() - timedelta(hours=2))
    header, claims, signature = token_of(alice).split(".")
    forged = f"{header}.{claims}.{signature[:-4]}AAAA"
    key = access_services.signing_material()
    other = jwt.decode(token_of(alice), options={"verify_signature": False}) | {"aud": "SOMEONE_ELSE"}
    wrong_audience = jwt.encode(other, key.private_key, algorithm="RS256", headers={"kid": key.kid})
    answers = {name: client.get(value_url(stored.product), {"token": token}) for name, token in
               (("expired", expired), ("forged", forged), ("audience", wrong_audience))}
    assert {name: (a.status_code, odata_error(a)["error"]["message"]) for name, a in answers.items()} == {
        "expired": (401, "The token has expired."), "forged": (401, "The token signature is invalid."),
        "audience": (401, "The token is not meant for this service (audience)."),
    }
    assert answers["expired"]["WWW-Authenticate"] == (
        'Bearer realm="rs", error="invalid_token", error_description="The token has expired.", Basic realm="rs"')


def test_unknown_unpublished_and_invisible_products_are_all_404(client, alice, public_client, stored):
    hidden = stored_product("S1A_IW_GRDH_1SDV_HIDDEN.SAFE", b"hidden", publish=False, index=1)
    secret = stored_product("S2A_MSIL1C_SECRET.SAFE", b"secret", mission="S2", product_type="S2MSI1C", index=2)
    access_services.visibility_rule_save(rule=VisibilityRule(user=alice, mission="S2", allow=False))
    answers = [client.get(f"/odata/v1/Products({pid})/$value", **bearer(alice)) for pid in
               ("00000000-0000-0000-0000-000000000000", hidden.product.id, secret.product.id)]
    assert [a.status_code for a in answers] == [404, 404, 404]
    assert odata_error(answers[2]) == {"error": {"code": "NotFound",
                                                 "message": f"No product with Id {secret.product.id}"}}
    malformed = client.get("/odata/v1/Products(not-a-uuid)/$value", **bearer(alice))
    assert (malformed.status_code, odata_error(malformed)["error"]["code"]) == (400, "InvalidKey")


def test_an_evicted_product_is_gone_with_the_eviction_date_in_the_message(client, alice, public_client, stored):
    catalog_services.product_evict(product_id=stored.product.id)
    evicted = DeletedProduct.objects.get(pk=stored.product.id).deletion_date
    for method in (client.get, client.head):
        response = method(value_url(stored.product), **bearer(alice))
        assert response.status_code == 410
    body = odata_error(client.get(value_url(stored.product), **bearer(alice)))
    stamp = evicted.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    assert body == {"error": {"code": "ProductOffline",
                              "message": f"Product {NAME} was evicted on {stamp}: it is offline and cannot be "
                                         "downloaded."}}


def test_quicklooks_and_assets_redirect_to_their_image(client, alice, public_client, stored):
    asset_id = quicklook_add(stored.product, JPEG)
    by_name = client.get(f"/odata/v1/Products({stored.product.id})/Quicklooks('quick-look.jpg')/$value",
                         **bearer(alice))
    by_id = client.get(f"/odata/v1/Assets({asset_id})/$value", **bearer(alice))
    head = client.head(f"/odata/v1/Assets({asset_id})/$value", **bearer(alice))
    assert (by_name.status_code, by_id.status_code, head.status_code) == (307, 307, 200)
    assert (head["Content-Type"], head["Content-Length"]) == ("image/jpeg", str(len(JPEG)))
    status, headers, body = fetch(by_id["Location"])
    assert (status, body, headers["Content-Disposition"]) == (200, JPEG, 'attachment; filename="quick-look.jpg"')
    unknown = client.get(f"/odata/v1/Products({stored.product.id})/Quicklooks('nope.jpg')/$value", **bearer(alice))
    assert unknown.status_code == 404
