"""The operator API answers every error in its one format, including those no DRF view saw (an unknown path, a
failure outside a view); the OData and STAC APIs keep theirs and the web pages Django's."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.test import Client
from django.urls import path

from rs import urls as project

pytestmark = pytest.mark.django_db


def test_an_unknown_api_path_is_a_404_in_the_api_format(client):
    response = client.get("/api/v1/no-such-endpoint/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"error": {
        "status": 404, "code": "not_found",
        "message": "No resource '/api/v1/no-such-endpoint/' in this API: the endpoints are described at "
                   "/api/v1/schema/."}}


def test_an_unknown_nested_api_path_without_a_slash_is_a_404_too(client):
    response = client.post("/api/v1/products/x/y/z", {})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_a_known_api_path_without_its_slash_is_still_redirected(client):
    response = client.get("/api/v1/products")
    assert (response.status_code, response["Location"]) == (301, "/api/v1/products/")


def test_odata_and_stac_keep_their_own_404(client):
    odata = client.get("/odata/v1/NoSuchSet")
    assert (odata.status_code, odata["Content-Type"]) == (404, "application/json")
    assert odata.json() == {"error": {"code": "NotFound", "message": "No resource '/odata/v1/NoSuchSet' in this "
                                                                     "service"}}
    stac = client.get("/stac/no-such-thing")
    assert (stac.status_code, stac.json()) == (404, {"code": "NotFound",
                                                     "description": "No resource '/stac/no-such-thing' in this API"})


def test_pages_and_the_admin_keep_django_s_html_404(client):
    for url in ("/no-such-page/", "/admin-nope/"):
        response = client.get(url)
        assert response.status_code == 404
        assert response["Content-Type"] == "text/html; charset=utf-8"
        assert b"<h1>Not Found</h1>" in response.content


@pytest.fixture
def failing(settings) -> Client:
    settings.ROOT_URLCONF = "rs.api.tests.urls_failing"
    return Client(raise_request_exception=False)


def test_a_failure_outside_a_drf_view_is_a_500_in_the_api_format_without_internals(failing, caplog):
    response = failing.get("/api/v1/failing")
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"error": {"status": 500, "code": "server_error", "message": "Internal server error."}}
    assert b"secret internals" not in response.content and b"Traceback" not in response.content
    # the traceback is in the log, under the trace id the response names
    record = next(r for r in caplog.records if r.name == "django.request")
    assert record.exc_info is not None and record.trace_id == response["X-Trace-Id"]


def test_a_failure_under_odata_and_stac_is_their_500_with_the_trace_id(failing):
    odata = failing.get("/odata/v1/failing")
    trace_id = odata["X-Trace-Id"]
    assert (odata.status_code, odata["Content-Type"]) == (500, "application/json")
    assert odata.json() == {"error": {"code": "InternalError", "message": f"Unexpected error (request id {trace_id})"}}
    stac = failing.get("/stac/failing")
    assert (stac.status_code, stac["Content-Type"]) == (500, "application/json")
    assert stac.json() == {"code": "InternalServerError",
                           "description": f"Unexpected error (request id {stac['X-Trace-Id']})"}


def test_a_failing_page_keeps_django_s_html_500(failing):
    response = failing.get("/failing")
    assert response.status_code == 500
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert b"<h1>Server Error (500)</h1>" in response.content and b"secret internals" not in response.content


def refuse(request):
    raise SuspiciousOperation("a forged header")


def forbid(request):
    raise PermissionDenied


# this module as the root URLconf: its error handlers are rs.urls's own
urlpatterns = [path("api/v1/refused", refuse), path("api/v1/forbidden", forbid),
               path("odata/v1/refused", refuse), *project.urlpatterns]
handler400, handler403 = project.handler400, project.handler403


@pytest.mark.urls(__name__)
def test_refusals_outside_a_drf_view_are_400_and_403_in_the_api_format(client):
    refused, forbidden = client.get("/api/v1/refused"), client.get("/api/v1/forbidden")
    assert (refused.status_code, refused.json()) == (400, {"error": {
        "status": 400, "code": "bad_request", "message": "The request could not be read."}})
    assert (forbidden.status_code, forbidden.json()) == (403, {"error": {
        "status": 403, "code": "permission_denied", "message": "You do not have permission to perform this action."}})
    odata = client.get("/odata/v1/refused")
    assert (odata.status_code, odata.json()) == (400, {"error": {"code": "BadRequest",
                                                                 "message": "The request could not be read"}})

