"""Every refusal of the access, download and subscription interfaces is a 4xx in the contract's error format
(prip-odata.md §9, §13): the OData error {"error": {"code", "message"}} (401 with WWW-Authenticate), CDSE's
{"detail": …} for unknown subscriptions and out-of-range integers — never a 500."""

from __future__ import annotations

import json
from typing import Any

import pytest

from rs.subscriptions.tests.support import (  # noqa: F401 - fixtures
    alice_fixture,
    basic_memo_fixture,
    bearer,
    fast_passwords_fixture,
    filesystem_store_fixture,
    public_client_fixture,
    stored_product,
)

pytestmark = pytest.mark.django_db

ROOT = "/odata/v1"
UNKNOWN = "00000000-0000-0000-0000-000000000000"


def answer(response: Any) -> tuple[int, str]:
    """(status, error code) of an error answer, checking its format."""
    body = json.loads(response.content)
    if "detail" in body:  # CDSE's FastAPI shapes
        detail = body["detail"]
        if isinstance(detail, dict):
            assert set(detail) == {"message", "request_id"}
            return response.status_code, "detail"
        return response.status_code, detail[0]["type"]
    assert set(body) == {"error"} and {"code", "message"} <= set(body["error"]), body
    if response.status_code == 401:
        assert response["WWW-Authenticate"].startswith('Bearer realm="rs"')
    return response.status_code, body["error"]["code"]


@pytest.fixture
def product(filesystem_store: Any) -> Any:
    return stored_product("S1A_IW_GRDH_1SDV_ERRORS.SAFE", b"0123456789" * 10).product


@pytest.mark.parametrize(("authorization", "message"), [
    ("Bearer ", "The token is malformed."),
    ("Bearer a.b", "The token is malformed."),
    ("Bearer \u00e9\u00e9", "The token is malformed."),
    ("bearer x.y.z", "The token is malformed."),
    ("Basic dXNlcg==", "Malformed Basic credentials."),
    ("Basic", "Malformed Basic credentials."),
    ("Token abc", "Unsupported authorization scheme 'token': use Bearer or Basic."),
])
def test_malformed_credentials_are_401_on_every_interface(client, product, authorization, message):
    for method, path in (("get", "Products?$top=1"), ("get", "Products/$count"), ("get", f"Products({product.id})"),
                         ("get", f"Products({product.id})/$value"), ("head", f"Products({product.id})/$value"),
                         ("get", "DeletedProducts"), ("get", "Subscriptions/Info"),
                         ("post", f"Subscriptions({UNKNOWN})/Ack?$ackid=x")):
        response = getattr(client, method)(f"{ROOT}/{path}", HTTP_AUTHORIZATION=authorization)
        assert response.status_code == 401, (path, response.content)
        if method != "head":
            assert json.loads(response.content) == {"error": {"code": "InvalidToken", "message": message}}


def test_an_empty_or_undecodable_token_parameter_is_401(client, product):
    for query in ("token=", "token=%FF%FE", "token=a&token=b"):
        for path in ("Products", f"Products({product.id})/$value"):
            assert answer(client.get(f"{ROOT}/{path}?{query}")) == (401, "InvalidToken"), (path, query)


def test_download_refusals(client, alice, public_client, product):
    headers = bearer(alice)
    value = f"{ROOT}/Products({product.id})/$value"
    for range_header, status in (("bytes=abc", 200), ("bytes=5-1", 200), ("bytes=0-1,5-6", 200), ("items=0-5", 200),
                                 ("bytes=999999-", 416), ("bytes=-0", 416), ("bytes=2-4", 206)):
        response = client.get(value, HTTP_RANGE=range_header, **headers)
        assert response.status_code == status, range_header
        if status == 416:
            assert answer(response) == (416, "RangeNotSatisfiable") and response["Content-Range"] == "bytes */100"
        else:
            b"".join(response.streaming_content)  # read to the end: the download's slot is freed
    assert answer(client.get(f"{ROOT}/Products(nope)/$value", **headers)) == (400, "InvalidKey")
    assert answer(client.get(f"{ROOT}/Products({UNKNOWN})/$value", **headers)) == (404, "NotFound")
    assert answer(client.get(f"{ROOT}/Products({product.id})/Quicklooks('nope')/$value", **headers)) == (
        404, "NotFound")
    assert answer(client.get(f"{ROOT}/Assets(zzz)/$value", **headers)) == (400, "InvalidKey")
    assert answer(client.post(value, **headers)) == (405, "MethodNotAllowed")


@pytest.mark.parametrize(("body", "code", "target"), [
    (b'{"FilterParam": 123}', "InvalidSubscription", "FilterParam"),
    (b'{"FilterParam": "Name eq"}', "InvalidFilter", "FilterParam"),
    (b'{"FilterParam": "Foo eq 1"}', "InvalidFilter", "FilterParam"),
    (b'{"FilterParam": "OData.CSC.Intersects(area=geography\'SRID=4326;POLYGON((0 0,1 1))\')"}', "InvalidFilter",
     "FilterParam"),
    (b'{"FilterParam": "Name eq \'\\u0000\'"}', "InvalidSubscription", "FilterParam"),
    (b"[]", "InvalidSubscription", None),
    (b"\xff\xfe", "InvalidSubscription", None),
    (b'{"FilterParam": "' + b"x" * 70000 + b'"}', "InvalidSubscription", None),
    (b'{"SubscriptionEvent": ["created", 5]}', "InvalidSubscription", "SubscriptionEvent"),
    (b'{"Priority": "x"}', "InvalidSubscription", "Priority"),
    (b'{"NotificationEndpoint": "ftp://x"}', "InvalidSubscription", "NotificationEndpoint"),
])
def test_malformed_subscription_bodies_are_400(client, alice, public_client, body, code, target):
    response = client.post(f"{ROOT}/Subscriptions", body, content_type="application/json", **bearer(alice))
    assert answer(response) == (400, code)
    assert json.loads(response.content)["error"].get("target") == target


def test_subscription_calls_refuse_unknown_ids_and_bad_options(client, alice, public_client):
    headers = bearer(alice)
    created = client.post(f"{ROOT}/Subscriptions", b"{}", content_type="application/json", **headers).json()["Id"]
    one = f"{ROOT}/Subscriptions({created})"
    for path in (f"Subscriptions({UNKNOWN})", "Subscriptions(xyz)", f"Subscriptions({UNKNOWN})/Read"):
        assert answer(client.get(f"{ROOT}/{path}", **headers)) == (404, "detail")
    assert answer(client.delete(f"{ROOT}/Subscriptions({UNKNOWN})", **headers)) == (404, "detail")
    assert answer(client.patch(f"{ROOT}/Subscriptions({UNKNOWN})", b'{"Status": "paused"}',
                               content_type="application/json", **headers)) == (404, "detail")
    for body in (b'{"Status": "bogus"}', b'{"Status": 5}', b"[]", b'{"Foo": 1}',
                 b'{"NotificationEndpoint": "https://x.example/"}'):
        assert answer(client.patch(one, body, content_type="application/json", **headers)) == (
            400, "InvalidSubscription"), body
    for query, expected in (("$top=abc", (422, "int_parsing")), ("$top=0", (422, "greater_than_equal")),
                            ("$top=21", (422, "less_than_equal")), ("$top=1&$top=2", (400, "InvalidSubscription"))):
        assert answer(client.get(f"{one}/Read?{query}", **headers)) == expected, query
    for query, expected in (("", (400, "InvalidSubscription")), ("$ackid=abc", (400, "InvalidSubscription")),
                            ("$ackid=MTIzLTA6eHl6", (400, "InvalidSubscription")),
                            ("$ackid=%FF", (400, "InvalidQueryOption"))):
        assert answer(client.post(f"{one}/Ack?{query}", **headers)) == expected, query
    assert answer(client.put(one, b"{}", content_type="application/json", **headers)) == (405, "MethodNotAllowed")
    assert answer(client.post(f"{ROOT}/Subscriptions/Info", **headers)) == (405, "MethodNotAllowed")


def test_deleted_products_refuse_bad_options_like_products(client):
    for path, expected in (("DeletedProducts?$filter=DeletionCause eq", (400, "InvalidFilter")),
                           ("DeletedProducts?$filter=Online eq true", (400, "InvalidFilter")),
                           ("DeletedProducts?$orderby=Foo", (400, "InvalidOrderBy")),
                           ("DeletedProducts?$top=1001", (422, "less_than_equal")),
                           ("DeletedProducts?$skip=10001", (422, "less_than_equal")),
                           ("DeletedProducts/$count?$filter=Foo eq 1", (400, "InvalidFilter")),
                           ("DeletedProducts(abc)", (400, "InvalidKey")),
                           (f"DeletedProducts({UNKNOWN})", (404, "NotFound"))):
        assert answer(client.get(f"{ROOT}/{path}")) == expected, path
