"""Failed logins are throttled per username and per address (429 + Retry-After, counters shared in the Django
cache); no password, token or secret ever reaches a log record, in text or JSON format."""

from __future__ import annotations

import base64
import logging
from urllib.parse import urlencode

import pytest
from django.http import HttpResponse
from django.test import RequestFactory
from pythonjsonlogger.json import JsonFormatter

from rs.access import services, throttling
from rs.access.authentication import principal_required
from rs.access.log_redaction import SecretRedactionFilter
from rs.access.tests.conftest import PASSWORD, http

TOKEN = "/auth/realms/rs/protocol/openid-connect/token"
pytestmark = pytest.mark.django_db


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def time(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(throttling, "time", clock)
    return clock


@pytest.fixture
def strict(settings):
    settings.RS_ACCESS_LOGIN_MAX_FAILURES = 3
    settings.RS_ACCESS_LOGIN_MAX_FAILURES_PER_IP = 5
    settings.RS_ACCESS_LOGIN_LOCKOUT_S = 900


def login(client, username="alice", password=PASSWORD, **meta):
    form = {"grant_type": "password", "username": username, "password": password, "client_id": "cdse-public"}
    return client.post(TOKEN, urlencode(form), content_type="application/x-www-form-urlencoded", **meta)


def test_a_username_is_locked_after_repeated_failures_even_for_the_right_password(client, alice, public_client,
                                                                                    strict, clock):
    assert [login(client, password="wrong").status_code for _ in range(3)] == [401, 401, 401]
    answer = login(client)
    assert answer.status_code == 429
    assert answer["Retry-After"] == "900"
    assert answer.json() == {"error": "temporarily_unavailable",
                             "error_description": "Too many failed logins; retry in 900 s."}
    clock.now += 600
    assert login(client)["Retry-After"] == "300"
    clock.now += 300
    assert login(client).status_code == 200


def test_a_success_clears_the_usernames_count(client, alice, public_client, strict, clock):
    login(client, password="wrong")
    login(client, password="wrong")
    assert login(client).status_code == 200
    assert [login(client, password="wrong").status_code for _ in range(2)] == [401, 401]
    assert login(client).status_code == 200


def test_an_address_trying_many_usernames_is_locked(client, alice, public_client, strict, clock):
    assert [login(client, username=f"user{n}", password="x").status_code for n in range(5)] == [401] * 5
    assert login(client).status_code == 429
    assert login(client, REMOTE_ADDR="192.0.2.7").status_code == 200  # another address is not concerned


def test_behind_a_proxy_the_forwarded_address_is_counted(client, alice, public_client, strict, clock, settings):
    settings.RS_ACCESS_PROXY_HOPS = 1
    for n in range(5):
        login(client, username=f"user{n}", password="x", HTTP_X_FORWARDED_FOR="198.51.100.1")
    assert login(client, HTTP_X_FORWARDED_FOR="198.51.100.1").status_code == 429
    assert login(client, HTTP_X_FORWARDED_FOR="198.51.100.2").status_code == 200


@principal_required()
def protected(request):
    return HttpResponse("ok")


def test_basic_logins_are_throttled_with_the_same_counters(client, alice, public_client, strict, clock):
    def basic(password):
        token = base64.b64encode(f"alice:{password}".encode()).decode()
        return protected(RequestFactory().get("/", HTTP_AUTHORIZATION=f"Basic {token}"))

    login(client, password="wrong")
    login(client, password="wrong")
    assert basic("wrong").status_code == 401
    locked = basic(PASSWORD)
    assert (locked.status_code, locked["Retry-After"]) == (429, "900")
    assert locked.content == b'{"error": {"code": "TooManyRequests", "message": "Too many failed logins; retry in ' \
                             b'900 s."}}'


def test_throttling_over_http(live_server, transactional_db, alice, public_client, strict):
    url = live_server.url + TOKEN
    form = {"grant_type": "password", "username": "alice", "password": "wrong", "client_id": "cdse-public"}
    assert [http("POST", url, form=form).status for _ in range(3)] == [401, 401, 401]
    answer = http("POST", url, form={**form, "password": PASSWORD})
    assert answer.status == 429
    assert 899 <= int(answer.headers["Retry-After"]) <= 900


def test_no_secret_reaches_a_log_record(live_server, transactional_db, alice, public_client, machine_client, caplog):
    caplog.set_level(logging.DEBUG)
    _robot, client_secret = machine_client
    url = live_server.url + TOKEN
    wrong = "Wrong-Pass-4f9d2e"
    form = {"grant_type": "password", "username": "alice", "client_id": "cdse-public"}
    assert http("POST", url, form={**form, "password": wrong}).status == 401
    good = http("POST", url, form={**form, "password": PASSWORD}).json()
    again = http("POST", url, form={"grant_type": "refresh_token", "refresh_token": good["refresh_token"],
                                    "client_id": "cdse-public"}).json()
    assert http("POST", url, form={"grant_type": "refresh_token", "refresh_token": good["refresh_token"],
                                   "client_id": "cdse-public"}).status == 400
    robot = http("POST", url, form={"grant_type": "client_credentials", "client_id": "prip-monitor",
                                    "client_secret": client_secret}).json()
    assert http("POST", url, form={"grant_type": "client_credentials", "client_id": "prip-monitor",
                                   "client_secret": client_secret + "x"}).status == 401
    userinfo = live_server.url + "/auth/realms/rs/protocol/openid-connect/userinfo"
    assert http("GET", userinfo, headers={"Authorization": f"Bearer {again['access_token']}"}).status == 200
    assert http("GET", userinfo + "?token=" + good["access_token"][:-4] + "AAAA").status == 401
    basic = base64.b64encode(f"alice:{wrong}".encode()).decode()
    assert http("GET", userinfo, headers={"Authorization": f"Basic {basic}"}).status == 401

    secrets = [PASSWORD, wrong, client_secret, good["access_token"], good["refresh_token"], again["access_token"],
               again["refresh_token"], robot["access_token"], good["access_token"][:-4] + "AAAA", basic]
    assert caplog.records, "the failures above are logged"
    text = JsonFormatter("%(message)s")
    redaction = SecretRedactionFilter()
    for record in caplog.records:
        redaction.filter(record)
        rendered = record.getMessage() + "\n" + text.format(record) + "\n" + repr(record.__dict__)
        for secret in secrets:
            assert secret[:24] not in rendered, f"{record.name}: a secret reached the log"
    assert {"django.request", "rs.access.grants"} <= {record.name for record in caplog.records}


def test_the_redaction_filter_hides_the_token_of_a_query_string():
    request = RequestFactory().get("/odata/v1/Products(1)/$value?token=eyJabc.def.ghi&x=1")
    record = logging.LogRecord("django.request", logging.WARNING, __file__, 1, "Unauthorized: %s", (request.path,),
                               None)
    record.request = request
    SecretRedactionFilter().filter(record)
    assert JsonFormatter("%(message)s").format(record) == (
        '{"message": "Unauthorized: /odata/v1/Products(1)/$value", '
        '"request": "<WSGIRequest: GET \'/odata/v1/Products(1)/$value?token=[redacted]&x=1\'>"}')


def test_services_never_log_a_refresh_token(alice, public_client, caplog):
    caplog.set_level(logging.DEBUG)
    grant = services.tokens_issue_for_user(client=public_client, user=alice, scope="profile", issuer="http://x/realms/rs")
    services.tokens_refresh(client=public_client, refresh_token=grant.refresh_token, issuer="http://x/realms/rs")
    assert grant.refresh_token not in caplog.text and grant.access_token not in caplog.text
