"""The web client's pages without a browser: the search page's HTML, sign-in and sign-out with the Django session,
and the operations page for operators only."""

from __future__ import annotations

import json
import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

pytestmark = [pytest.mark.django_db, pytest.mark.urls("rs.web.tests.urls")]
PASSWORD = "a-user-password-for-tests"


def client_json(html: str) -> dict[str, object]:
    found = re.search(r'<script id="page-client" type="application/json">(.*?)</script>', html)
    assert found, "the page has no #page-client"
    return json.loads(found.group(1))


def test_the_search_page_needs_no_database_query_and_nothing_from_the_internet(client, django_assert_num_queries):
    with django_assert_num_queries(0):  # the catalogue is asked by the page's script, through the PRIP
        html = client.get("/").content.decode()
    for fragment in ('<form id="search-form"', '<select id="f-collection" name="collection">',
                     '<option value="SENTINEL-2">SENTINEL-2</option>', 'id="odata-filter"', 'id="results-list"',
                     'data-basemap-url="/static/rs/basemap/countries-50m.geojson"', 'data-tile-url=""',
                     '<script src="/static/vendor/ol/ol.js" defer></script>',
                     '<script type="module" src="/static/rs/web/search-page.js"></script>',
                     '<link rel="modulepreload" href="/static/rs/web/map.js">'):
        assert fragment in html
    assert client_json(html) == {"authenticated": False, "staff": False, "loginUrl": "/login/"}
    assert 'href="/login/?next=/"' in html
    assert re.findall(r"https?://", html) == []


def test_an_online_tile_layer_is_a_setting(client, settings):
    settings.RS_WEB_TILE_URL = "https://tiles.example.org/{z}/{x}/{y}.png"
    settings.RS_WEB_TILE_ATTRIBUTION = "© Example"
    html = client.get("/").content.decode()
    assert 'data-tile-url="https://tiles.example.org/{z}/{x}/{y}.png"' in html
    assert 'data-tile-attribution="© Example"' in html


def test_signing_in_and_out_with_the_session(client):
    get_user_model().objects.create_user("ada", password=PASSWORD)
    assert 'name="username"' in client.get("/login/").content.decode()

    refused = client.post("/login/", {"username": "ada", "password": "wrong", "next": "/"})
    assert refused.status_code == 200
    assert "Please enter a correct username and password" in refused.content.decode()

    signed_in = client.post("/login/", {"username": "ada", "password": PASSWORD, "next": "/?product=abc"})
    assert (signed_in.status_code, signed_in["Location"]) == (302, "/?product=abc")
    html = client.get("/").content.decode()
    assert client_json(html) == {"authenticated": True, "staff": False, "loginUrl": "/login/"}
    assert "Signed in as <strong>ada</strong>" in html
    assert 'href="/ops/"' not in html  # operators only

    signed_out = client.post("/logout/")
    assert (signed_out.status_code, signed_out["Location"]) == (302, "/")
    assert client_json(client.get("/").content.decode())["authenticated"] is False


def test_sign_in_never_sends_users_to_another_site(client):
    get_user_model().objects.create_user("ada", password=PASSWORD)
    response = client.post("/login/", {"username": "ada", "password": PASSWORD, "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_the_operations_page_is_for_operators(client):
    assert client.get("/ops/")["Location"] == "/login/?next=/ops/"

    get_user_model().objects.create_user("ada", password=PASSWORD)
    client.login(username="ada", password=PASSWORD)
    assert client.get("/ops/").status_code == 403

    get_user_model().objects.create_user("olga", password=PASSWORD, is_staff=True)
    operator = Client()
    operator.login(username="olga", password=PASSWORD)
    response = operator.get("/ops/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "csrftoken" in response.cookies  # the page posts retry/cancel with it
    assert '<script type="module" src="/static/rs/web/ops-page.js"></script>' in html
    assert re.findall(r'role="tab" id="(tab-[a-z]+)"', html) == [
        "tab-jobs", "tab-ingestion", "tab-monitoring", "tab-campaigns", "tab-events"]
    assert 'href="/ops/" aria-current="page"' in operator.get("/ops/").content.decode()
    assert 'href="/ops/"' in operator.get("/").content.decode()
