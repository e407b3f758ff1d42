"""/api/v1/production/: why a job waits, the dry-run plan, processors (import, detail, diff), jobs and rules."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from rs.production import services
from rs.production.models import Job, ProcessorVersion
from rs.production.tests import builders
from rs.production.tests.builders import at, aux, level
from rs.production.tests.tables import table_xml

pytestmark = pytest.mark.django_db


def client_for(*, staff: bool) -> APIClient:
    user = get_user_model().objects.create_user(f"op-{staff}", password="x-operator-password", is_staff=staff)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


@pytest.fixture
def api() -> APIClient:
    return client_for(staff=False)


@pytest.fixture
def staff_api() -> APIClient:
    return client_for(staff=True)


@pytest.fixture
def rule():
    version = services.processor_import(data=table_xml())
    return builders.rule(version, name="test-l1", product_types="IW_RAW__0S")


def test_why_is_this_job_waiting(api, rule, deliver):
    # given a slice whose AUX_CAL has not arrived
    product = level("IW_RAW__0S", start=at(0), stop=at(25))
    deliver(product)
    job = Job.objects.get()

    body = api.get(f"/api/v1/production/jobs/{job.pk}/why/").json()

    assert body["state"] == "waiting_inputs"
    assert body["summary"] == "waiting for AUX_CAL (mandatory)"
    assert body["gives_up_at"] == job.mandatory_deadline_at.isoformat()
    main, cal, orbit = body["inputs"]
    assert (main["status"], main["files"][0]["name"], main["selected"]["policy"]) == (
        "found", product.name, "LatestValCover")
    assert (cal["status"], cal["missing"], cal["reason"]) == ("missing", True, "waiting for AUX_CAL")
    assert cal["gives_up_at"] == job.mandatory_deadline_at.isoformat()
    assert cal["awaited_types"] == ["AUX_CAL"]
    tried = cal["alternatives"][0]
    assert (tried["policy"], tried["file_type"], tried["found"]) == ("LatestValCover", "AUX_CAL", [])
    assert tried["window"] == [at(0).isoformat(), at(25).isoformat()]
    # the recorded SQL shows the values as SQL literals
    assert "\"catalog_product\".\"product_type\" IN ('AUX_CAL')" in tried["queries"][0]
    assert f"\"catalog_product\".\"validity_start\" <= '{at(0).isoformat()}'" in tried["queries"][0]
    assert (orbit["status"], orbit["reason"]) == ("timed_out", "optional, not found; no timeout configured")
    assert [a["file_type"] for a in orbit["alternatives"]] == ["AUX_POE", "AUX_RES"]


def test_jobs_are_listed_and_filtered_by_state(api, rule, deliver):
    deliver(level("IW_RAW__0S", start=at(0), stop=at(25)))
    aux("AUX_CAL", start=at(-1000), stop=None)
    deliver(level("IW_RAW__0S", start=at(100), stop=at(125)))
    waiting = api.get("/api/v1/production/jobs/", {"state": "waiting_inputs"}).json()["results"]
    assert [j["interval_start"] for j in waiting] == [at(0).isoformat().replace("+00:00", "Z")]
    assert [j["state"] for j in api.get("/api/v1/production/jobs/").json()["results"]] == ["ready", "waiting_inputs"]
    bad = api.get("/api/v1/production/jobs/", {"state": "asleep"})
    assert bad.status_code == 400 and list(bad.json()["error"]["details"]) == ["state"]
    assert api.get("/api/v1/production/jobs/999999/why/").json() == {
        "error": {"status": 404, "code": "not_found", "message": "no job 999999"}}


def test_the_dry_run_plans_the_job_of_a_product_without_creating_it(api, rule):
    aux("AUX_CAL", start=at(-1000), stop=None)
    product = level("IW_RAW__0S", start=at(0), stop=at(25))
    body = api.post("/api/v1/production/plan/", {"product_id": str(product.id)}, format="json").json()
    assert Job.objects.count() == 0
    (planned,) = body["jobs"]
    assert (planned["rule"], planned["action"], planned["state"], planned["group_key"]) == (
        "test-l1", "create", "ready", product.name)
    assert [(i["key"], i["status"]) for i in planned["inputs"]] == [
        ("1.1.1", "found"), ("AUX_CAL", "found"), ("Orbit", "timed_out")]


def test_the_dry_run_over_a_window_groups_products_and_reports_skips(api):
    version = services.processor_import(data=table_xml(main_policy="ValIntersect"))
    builders.rule(version, name="asp", product_types="IW_RAW__0S", grouping="datatake")
    for n in range(3):
        level("IW_RAW__0S", start=at(n * 60), stop=at(n * 60 + 60), attributes={"datatakeID": 5})
    level("IW_RAW__0S", start=at(500), stop=at(510))  # no datatake: skipped with the reason
    level("IW_RAW__0S", start=at(5000), stop=at(5010), attributes={"datatakeID": 6})  # outside the window
    body = api.post("/api/v1/production/plan/", {"start": at(-10).isoformat(), "stop": at(1000).isoformat()},
                    format="json").json()
    (planned,) = body["jobs"]
    assert (planned["group_key"], planned["interval"], len(planned["products"])) == (
        "A:000005", [at(0).isoformat(), at(180).isoformat()], 3)
    assert [s["reason"] for s in body["skipped"]] == [
        f"{body['skipped'][0]['product']}: no datatake id (attribute datatakeID or S1 name)"]
    assert Job.objects.count() == 0


@pytest.mark.parametrize(("payload", "field"), [({}, "non_field_errors"), ({"start": "2024-01-01T00:00:00Z"}, "stop"),
                                                 ({"product_id": "x"}, "product_id")])
def test_the_dry_run_refuses_unclear_requests(api, payload, field):
    response = api.post("/api/v1/production/plan/", payload, format="json")
    assert response.status_code == 400
    assert list(response.json()["error"]["details"]) == [field]


def test_processors_are_imported_by_staff_and_shown_with_their_table(api, staff_api):
    upload = SimpleUploadedFile("t.xml", table_xml(), content_type="application/xml")
    assert api.post("/api/v1/production/processors/", {"file": upload}).status_code == 403
    upload.seek(0)
    created = staff_api.post("/api/v1/production/processors/", {"file": upload})
    assert created.status_code == 201 and created.json()["name"] == "TEST_L1"
    detail = api.get(f"/api/v1/production/processors/{created.json()['id']}/").json()
    assert detail["tasktable"]["counts"]["inputs"] == 3
    assert detail["tasktable"]["input_types"] == ["AUX_CAL", "AUX_POE", "AUX_RES", "IW_RAW__0S"]


def test_a_malformed_upload_is_a_400_naming_the_element(staff_api):
    upload = SimpleUploadedFile("t.xml", table_xml().replace(b"LatestValCover", b"Whatever", 1))
    response = staff_api.post("/api/v1/production/processors/", {"file": upload})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_task_table"
    assert error["details"] == {
        "element": "Ipf_Task_Table/List_of_Pools/Pool[1]/List_of_Tasks/Task[1](T1)/List_of_Inputs/Input[1]/"
                   "List_of_Alternatives/Alternative[1]/Retrieval_Mode",
        "reason": "unknown selection policy 'Whatever'"}
    assert ProcessorVersion.objects.count() == 0


def test_the_diff_of_two_versions(api):
    old = services.processor_import(data=table_xml(version="1.0"))
    new = services.processor_import(data=table_xml(version="2.0", extra_inputs=1))
    body = api.get(f"/api/v1/production/processors/{new.pk}/diff/", {"against": old.pk}).json()
    assert [c["text"] for c in body["changes"]] == [
        "+ input T1/E00: ALWAYS mandatory [1:AUX_E00 DB LatestValCover(0, 0) Physical]"]


def test_rules_are_listed(api, rule):
    (listed,) = api.get("/api/v1/production/rules/").json()["results"]
    assert (listed["name"], listed["processor"], listed["version"]) == ("test-l1", "TEST_L1", "1.0")


def test_staff_cancel_and_retry_jobs(api, staff_api, rule, deliver):
    deliver(level("IW_RAW__0S", start=at(0), stop=at(25)))
    job = Job.objects.get()
    assert api.post(f"/api/v1/production/jobs/{job.pk}/cancel/").status_code == 403
    assert staff_api.post(f"/api/v1/production/jobs/{job.pk}/cancel/").json()["state"] == "cancelled"
    refused = staff_api.post(f"/api/v1/production/jobs/{job.pk}/retry/")
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "illegal_transition"
