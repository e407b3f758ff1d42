"""Ad-hoc production orders: each selection kind creates the expected jobs through the rules' preparation path,
precise refusals, progress counted in one query, the order's end through the job state machine, cancellation,
retry reopening, the admin form and the operator permission."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.gis.geos import Polygon
from django.core import mail
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from rs.production import services
from rs.production.choices import JobState
from rs.production.models import Job, OrderState, ProductionOrder, ProductionRule
from rs.production.orders import selectors as order_selectors
from rs.production.orders.notification import notify_attempt
from rs.production.tests import builders
from rs.production.tests.builders import at, aux, level
from rs.production.tests.tables import table_xml
from rs.production.transitions import job_transition

pytestmark = pytest.mark.django_db

ORDERS = "/api/v1/production/orders/"
# Two boxes in longitude/latitude: the area of the order covers the first only.
INSIDE = Polygon.from_bbox((10.0, 45.0, 11.0, 46.0))
OUTSIDE = Polygon.from_bbox((20.0, 45.0, 21.0, 46.0))
AREA_GEOJSON = {"type": "Polygon", "coordinates": [[[9.5, 44.5], [10.5, 44.5], [10.5, 45.5], [9.5, 45.5],
                                                    [9.5, 44.5]]]}


def client_for(*, staff: bool) -> APIClient:
    user = get_user_model().objects.create_user(f"op-{staff}", password="x-operator-password", is_staff=staff)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


@pytest.fixture
def staff_api() -> APIClient:
    return client_for(staff=True)


@pytest.fixture
def version():
    return services.processor_import(data=table_xml())


@pytest.fixture
def template(version):
    return builders.rule(version, name="test-l1", product_types="IW_RAW__0S")


@pytest.fixture
def slices():
    """Three slices at 0 s, 100 s (outside the area) and 200 s, and the AUX_CAL they need."""
    aux("AUX_CAL", start=at(-1000), stop=None)
    return [level("IW_RAW__0S", start=at(0), stop=at(25), name="S1A_SLICE_0", footprint=INSIDE),
            level("IW_RAW__0S", start=at(100), stop=at(125), name="S1A_SLICE_100", footprint=OUTSIDE),
            level("IW_RAW__0S", start=at(200), stop=at(225), name="S1A_SLICE_200", footprint=INSIDE)]


def order(api: APIClient, **body: Any) -> Any:
    return api.post(ORDERS, body, format="json")


def jobs_of(order_id: int) -> list[Job]:
    return list(Job.objects.filter(rule__order__id=order_id).order_by("interval_start"))


def iso(seconds: float) -> str:
    return at(seconds).isoformat()


def drive(job: Job, *states: str) -> None:
    for state in states:
        job_transition(job=job, to=state)


# --- creation, one test per selection kind ----------------------------------------------------------------------------


def test_a_window_order_creates_one_ready_job_per_slice_sensed_in_it(staff_api, version, template, slices):
    response = order(staff_api, processor_version=version.pk, name="reprocess June", priority="high",
                     parameters={"Mission_Id": "{mission_id}-ADHOC"}, start=iso(-10), stop=iso(150))

    assert response.status_code == 201, response.content
    body = response.json()
    created = ProductionOrder.objects.get()
    assert (body["id"], body["state"], body["rule"], body["template_rule"]) == (
        created.pk, "running", f"order-{created.pk}", "test-l1")
    assert body["selection"] == {"kind": "window", "start": iso(-10), "stop": iso(150), "area": None,
                                 "product_ids": []}
    assert (body["products_selected"], body["products_skipped"], body["jobs_created"]) == (2, 0, 2)
    assert body["progress"]["jobs"]["ready"] == 2 and body["progress"]["total"] == 2
    assert body["jobs"] == f"http://testserver/api/v1/production/jobs/?rule=order-{created.pk}"
    assert "notify_secret" not in body
    jobs = jobs_of(created.pk)
    assert [(j.group_key, j.state, j.priority, j.queue) for j in jobs] == [
        ("S1A_SLICE_0", "ready", "high", "production-high"), ("S1A_SLICE_100", "ready", "high", "production-high")]
    assert "<Name>Mission_Id</Name><Value>S1A-ADHOC</Value>" in jobs[0].joborder.replace("\n", "").replace(" ", "")
    rule = ProductionRule.objects.get(order=created)
    assert (rule.enabled, rule.processor_version_id, rule.product_types) == (False, version.pk, "IW_RAW__0S")
    listed = staff_api.get(f"/api/v1/production/jobs/?rule=order-{created.pk}").json()["results"]
    assert sorted(j["group_key"] for j in listed) == ["S1A_SLICE_0", "S1A_SLICE_100"]


def test_an_area_order_keeps_the_slices_whose_footprint_meets_the_area(staff_api, version, template, slices):
    response = order(staff_api, processor_version=version.pk, start=iso(-10), stop=iso(300), area=AREA_GEOJSON)

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["selection"]["kind"] == "area"
    assert body["selection"]["area"].startswith("MULTIPOLYGON (((9.5 44.5, 10.5 44.5")
    assert [j.group_key for j in jobs_of(body["id"])] == ["S1A_SLICE_0", "S1A_SLICE_200"]


def test_an_area_in_wkt_gives_the_same_jobs(staff_api, version, template, slices):
    response = order(staff_api, processor_version=version.pk, start=iso(-10), stop=iso(300),
                     area="POLYGON ((19.5 44.5, 20.5 44.5, 20.5 45.5, 19.5 45.5, 19.5 44.5))")
    assert response.status_code == 201, response.content
    assert [j.group_key for j in jobs_of(response.json()["id"])] == ["S1A_SLICE_100"]


def test_a_product_list_order_creates_the_jobs_of_those_products(staff_api, version, template, slices):
    ids = [str(slices[2].id), str(slices[0].id)]
    response = order(staff_api, processor_version=version.pk, product_ids=ids, rule="test-l1")

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["selection"]["product_ids"] == ids and body["jobs_created"] == 2
    assert [j.group_key for j in jobs_of(body["id"])] == ["S1A_SLICE_0", "S1A_SLICE_200"]


def test_an_order_missing_an_input_waits_for_it_like_a_systematic_job(staff_api, version, template, deliver):
    product = level("IW_RAW__0S", start=at(0), stop=at(25), name="S1A_LONELY")
    body = order(staff_api, processor_version=version.pk, product_ids=[str(product.id)]).json()
    (job,) = jobs_of(body["id"])
    assert (job.state, job.mandatory_deadline_at > job.created_at) == ("waiting_inputs", True)
    deliver(aux("AUX_CAL", start=at(-1000), stop=None))  # its arrival wakes the order's job as any other
    job.refresh_from_db()
    assert job.state == "ready"


def test_orders_of_the_same_products_make_their_own_jobs(staff_api, version, template, slices):
    first = order(staff_api, processor_version=version.pk, product_ids=[str(slices[0].id)]).json()
    second = order(staff_api, processor_version=version.pk, product_ids=[str(slices[0].id)]).json()
    assert [len(jobs_of(first["id"])), len(jobs_of(second["id"]))] == [1, 1]
    assert Job.objects.count() == 2


# --- refusals ---------------------------------------------------------------------------------------------------------


def refusal(response: Any) -> tuple[int, dict[str, list[str]]]:
    return response.status_code, response.json()["error"]["details"]


def test_refusals_name_the_field_and_write_nothing(staff_api, version, template, slices):
    rules_before = ProductionRule.objects.count()
    pv = version.pk
    assert refusal(order(staff_api, processor_version=999999, start=iso(0), stop=iso(10))) == (
        400, {"processor_version": ["unknown processor version 999999"]})
    assert refusal(order(staff_api, processor_version=pv, start=iso(10), stop=iso(0))) == (
        400, {"stop": ["must be after start"]})
    assert refusal(order(staff_api, processor_version=pv, start=iso(10))) == (
        400, {"stop": ["required with the other end of the window"]})
    assert refusal(order(staff_api, processor_version=pv)) == (
        400, {"start": ["select products: a time window (start, stop), with an optional area, or product ids"]})
    assert refusal(order(staff_api, processor_version=pv, start=iso(-10), stop=iso(300),
                         product_ids=[str(slices[0].id)])) == (
        400, {"product_ids": ["give either product ids, or a time window (with an optional area), not both"]})
    bowtie = "POLYGON ((0 0, 1 1, 1 0, 0 1, 0 0))"
    assert refusal(order(staff_api, processor_version=pv, start=iso(-10), stop=iso(300), area=bowtie)) == (
        400, {"area": ["not a valid polygon: Self-intersection[0.5 0.5]"]})
    assert refusal(order(staff_api, processor_version=pv, start=iso(-10), stop=iso(300), area="POINT (1 2)")) == (
        400, {"area": ["a Polygon or MultiPolygon, not a Point"]})
    assert refusal(order(staff_api, processor_version=pv, start=iso(-10), stop=iso(300), area="not a shape")) == (
        400, {"area": ["not a WKT or GeoJSON geometry"]})
    assert refusal(order(staff_api, processor_version=pv, start=iso(-10), stop=iso(300),
                         area="POLYGON ((170 0, 190 0, 190 10, 170 10, 170 0))")) == (
        400, {"area": ["coordinates out of range (longitude -180…180, latitude -90…90)"]})
    assert refusal(order(staff_api, processor_version=pv, start=iso(1000), stop=iso(2000))) == (
        400, {"start": [f"no online product triggering rule test-l1 (IW_RAW__0S) was sensed in "
                        f"[{iso(1000)}, {iso(2000)})"]})
    assert refusal(order(staff_api, processor_version=pv, start=iso(-10), stop=iso(300),
                         parameters={"Bogus": "1", "Mission_Id": "{nope}"})) == (
        400, {"parameters": ["'Bogus' is not a Dyn_ProcParam of TEST_L1 1.0 (declared: Mission_Id); Mission_Id: "
                             "'{nope}': unknown placeholder {nope} (use one of acquisition_mode, attr, "
                             "interval_start, interval_stop, job_id, mission, mission_id, platform, "
                             "processing_station, s1_total_slices, sensing_start, sensing_stop, timeliness, "
                             "timeliness_category, workdir)"]})
    assert refusal(order(staff_api, processor_version=pv, start=iso(-10), stop=iso(300), rule="nope")) == (
        400, {"rule": ["unknown production rule 'nope'"]})
    assert refusal(order(staff_api, processor_version=pv, product_ids=["not-a-uuid"])) == (
        400, {"product_ids": ["not product ids: not-a-uuid"]})
    cal = aux("AUX_CAL", start=at(-500), stop=None, name="S1A_AUX_CAL_X")
    missing = "5c0b3d3a-0000-4000-8000-000000000000"
    assert refusal(order(staff_api, processor_version=pv, product_ids=[str(cal.id), missing])) == (
        400, {"product_ids": ["S1A_AUX_CAL_X: a AUX_CAL does not trigger rule test-l1 (IW_RAW__0S); "
                              f"{missing}: no such product"]})
    assert refusal(order(staff_api, processor_version=pv, start=iso(-10), stop=iso(300),
                         notify_url="ftp://example.org/x", notify_email="nobody")) == (
        400, {"notify_url": ["must be an http:// or https:// URL with a host"],
              "notify_email": ["not an e-mail address"]})
    assert (ProductionOrder.objects.count(), Job.objects.count(), ProductionRule.objects.count()) == (
        0, 0, rules_before)


def test_the_template_rule_must_be_named_when_the_processor_has_several(staff_api, version, template, slices):
    builders.rule(version, name="test-l1-bis", product_types="IW_RAW__0S")
    assert refusal(order(staff_api, processor_version=version.pk, start=iso(-10), stop=iso(300))) == (
        400, {"rule": ["TEST_L1 has several rules (test-l1, test-l1-bis): name the one the order follows"]})
    other = services.processor_import(data=table_xml(name="OTHER_L1"))
    assert refusal(order(staff_api, processor_version=other.pk, start=iso(-10), stop=iso(300))) == (
        400, {"rule": ["no production rule runs OTHER_L1: name the rule whose trigger types and grouping the "
                       "order follows"]})
    assert refusal(order(staff_api, processor_version=other.pk, rule="test-l1", start=iso(-10), stop=iso(300))) == (
        400, {"rule": ["rule test-l1 runs TEST_L1, not OTHER_L1"]})


def test_a_non_operator_reads_orders_but_cannot_order_or_cancel(version, template, slices, staff_api):
    created = order(staff_api, processor_version=version.pk, start=iso(-10), stop=iso(150)).json()
    reader = client_for(staff=False)
    assert order(reader, processor_version=version.pk, start=iso(-10), stop=iso(150)).status_code == 403
    assert reader.post(f"{ORDERS}{created['id']}/cancel/").status_code == 403
    assert reader.get(f"{ORDERS}{created['id']}/").status_code == 200
    assert APIClient().get(ORDERS).status_code in (401, 403)
    assert ProductionOrder.objects.count() == 1


# --- progress and the order's end -------------------------------------------------------------------------------------


def test_progress_is_counted_per_state_in_one_query(staff_api, version, template, slices, django_assert_num_queries):
    created = order(staff_api, processor_version=version.pk, start=iso(-10), stop=iso(300)).json()
    first, second, _third = jobs_of(created["id"])
    drive(first, "queued", "running")
    drive(second, "failed")

    with django_assert_num_queries(1):
        (listed,) = list(order_selectors.orders())
    assert order_selectors.progress_of(listed) == {
        "jobs": {"waiting_inputs": 0, "ready": 1, "queued": 0, "running": 1, "succeeded": 0, "failed": 1,
                 "cancelled": 0, "retrying": 0},
        "total": 3, "final": 1, "percent": 33.3}
    assert staff_api.get(f"{ORDERS}{created['id']}/").json()["progress"]["percent"] == 33.3


def test_the_order_ends_partially_failed_with_its_last_job_and_reopens_on_a_retry(staff_api, version, template,
                                                                                  slices):
    created = order(staff_api, processor_version=version.pk, start=iso(-10), stop=iso(150)).json()
    first, second = jobs_of(created["id"])
    drive(first, "queued", "running", "succeeded")
    assert ProductionOrder.objects.get().state == "running"
    drive(second, "queued", "running", "failed")

    finished = ProductionOrder.objects.get()
    assert (finished.state, finished.finished_at is not None, finished.notify_next_at) == (
        "partially_failed", True, None)
    services.job_retry(job_id=second.pk)  # an operator retries the failed job: the order is open again
    reopened = ProductionOrder.objects.get()
    assert (reopened.state, reopened.finished_at) == ("running", None)
    second.refresh_from_db()
    drive(second, "queued", "running", "succeeded")
    assert ProductionOrder.objects.get().state == "completed"


def test_an_order_whose_jobs_all_fail_is_failed(staff_api, version, template, slices):
    created = order(staff_api, processor_version=version.pk, product_ids=[str(slices[0].id)]).json()
    (job,) = jobs_of(created["id"])
    drive(job, "cancelled")
    assert staff_api.get(f"{ORDERS}{created['id']}/").json()["state"] == "failed"


def test_cancel_cancels_the_open_jobs_and_ends_the_order(staff_api, version, template, slices):
    created = order(staff_api, processor_version=version.pk, start=iso(-10), stop=iso(300)).json()
    first, second, _third = jobs_of(created["id"])
    drive(first, "queued", "running", "succeeded")
    drive(second, "queued", "running")

    response = staff_api.post(f"{ORDERS}{created['id']}/cancel/")

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["state"], body["cancelled_at"] is not None, body["finished_at"] is not None) == (
        "cancelled", True, True)
    assert body["progress"]["jobs"]["succeeded"] == 1 and body["progress"]["jobs"]["cancelled"] == 2
    second.refresh_from_db()
    assert (second.state, second.reason) == ("cancelled", f"order {created['id']} cancelled")
    again = staff_api.post(f"{ORDERS}{created['id']}/cancel/")
    assert again.status_code == 409 and again.json()["error"]["message"] == (
        f"order {created['id']} is already cancelled: nothing to cancel")
    assert staff_api.post(f"{ORDERS}999999/cancel/").status_code == 404


def test_orders_are_listed_newest_first_by_cursor_and_filtered_by_state(staff_api, version, template, slices):
    ids = [order(staff_api, processor_version=version.pk, product_ids=[str(p.id)]).json()["id"] for p in slices]
    (job,) = jobs_of(ids[1])
    drive(job, "cancelled")

    page = staff_api.get(ORDERS, {"page_size": 2}).json()
    assert [o["id"] for o in page["results"]] == [ids[2], ids[1]]
    rest = staff_api.get(page["next"]).json()
    assert [o["id"] for o in rest["results"]] == [ids[0]] and rest["next"] is None
    assert [o["id"] for o in staff_api.get(ORDERS, {"state": "failed"}).json()["results"]] == [ids[1]]
    bad = staff_api.get(ORDERS, {"state": "sleeping"})
    assert bad.status_code == 400 and list(bad.json()["error"]["details"]) == ["state"]


def test_the_completion_e_mail_is_sent_through_the_email_backend(staff_api, version, template, slices):
    created = order(staff_api, processor_version=version.pk, name="June", product_ids=[str(slices[0].id)],
                    notify_email="ops@example.org").json()
    (job,) = jobs_of(created["id"])
    drive(job, "queued", "running", "succeeded")
    assert ProductionOrder.objects.get().notify_next_at is not None

    assert notify_attempt(order_id=created["id"]) is None

    (sent,) = mail.outbox
    assert (sent.subject, sent.to) == (f"Production order {created['id']} completed: 1 of 1 jobs succeeded",
                                       ["ops@example.org"])
    assert f"Order {created['id']} (June): TEST_L1 1.0\nState: completed\n" in sent.body
    assert "succeeded: 1\ntotal: 1\n" in sent.body
    done = ProductionOrder.objects.get()
    assert (done.email_sent_at is not None, done.notify_next_at, done.notify_error) == (True, None, "")
    assert notify_attempt(order_id=created["id"]) is None and len(mail.outbox) == 1  # nothing due any more


def test_a_webhook_to_a_private_address_is_refused_and_retried_later(staff_api, version, template, slices, settings):
    settings.RS_PRODUCTION_ORDER_NOTIFY_BACKOFF_S = 7
    created = order(staff_api, processor_version=version.pk, product_ids=[str(slices[0].id)],
                    notify_url="http://127.0.0.1:9/hook").json()
    (job,) = jobs_of(created["id"])
    drive(job, "cancelled")

    assert notify_attempt(order_id=created["id"]) == 7.0
    row = ProductionOrder.objects.get()
    assert (row.notify_attempts, row.notify_error, row.webhook_sent_at) == (
        1, "127.0.0.1 resolves to 127.0.0.1, which is not a public address", None)
    assert notify_attempt(order_id=created["id"]) is None  # not due before its back-off


# --- admin ------------------------------------------------------------------------------------------------------------

ADD = "/admin/production/productionorder/add/"


def test_the_admin_form_creates_an_order_through_the_service(admin_client, version, template, slices):
    response = admin_client.post(ADD, {
        "name": "from the admin", "processor_version": version.pk, "rule": "", "priority": "low",
        "parameters": "Mission_Id=S1Z", "start": "2024-06-04 11:59:50", "stop": "2024-06-04 12:02:30",
        "area": "", "product_ids": "", "notify_url": "", "notify_email": ""})

    assert response.status_code == 302, response.context["adminform"].form.errors
    created = ProductionOrder.objects.get()
    assert (created.name, created.state, created.priority, created.parameters, created.requested_by.username) == (
        "from the admin", OrderState.RUNNING, "low", {"Mission_Id": "S1Z"}, "admin")
    assert [(j.group_key, j.state) for j in jobs_of(created.pk)] == [("S1A_SLICE_0", JobState.READY),
                                                                    ("S1A_SLICE_100", JobState.READY)]
    listing = admin_client.get("/admin/production/productionorder/").content.decode()
    assert "0/2 final (0.0 %): 2 ready" in listing
    page = admin_client.get(f"/admin/production/productionorder/{created.pk}/change/").content.decode()
    assert f"the jobs of order-{created.pk}" in page


def test_the_admin_form_shows_the_service_refusal_next_to_the_field(admin_client, version, template, slices):
    response = admin_client.post(ADD, {
        "name": "", "processor_version": version.pk, "rule": "", "priority": "medium", "parameters": "Nope=1",
        "start": "2024-06-04 11:59:50", "stop": "2024-06-04 12:02:30", "area": "POINT (1 2)", "product_ids": "",
        "notify_url": "", "notify_email": ""})

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "parameters": ["'Nope' is not a Dyn_ProcParam of TEST_L1 1.0 (declared: Mission_Id)"],
        "area": ["a Polygon or MultiPolygon, not a Point"]}
    assert ProductionOrder.objects.count() == 0


def test_a_page_of_orders_costs_the_same_queries_whatever_its_size(staff_api, version, template, slices):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    order(staff_api, processor_version=version.pk, product_ids=[str(slices[0].id)])
    with CaptureQueriesContext(connection) as one:
        assert len(staff_api.get(ORDERS).json()["results"]) == 1
    for product in slices[1:]:
        order(staff_api, processor_version=version.pk, product_ids=[str(product.id)])
    with CaptureQueriesContext(connection) as three:
        assert len(staff_api.get(ORDERS).json()["results"]) == 3
    assert len(three.captured_queries) == len(one.captured_queries)
    orders_queries = [q["sql"] for q in three.captured_queries if "production_productionorder" in q["sql"]]
    assert len(orders_queries) == 1 and "COUNT(" in orders_queries[0]


def test_a_datatake_template_groups_the_ordered_slices_into_one_job_per_datatake(staff_api, version):
    builders.rule(version, name="test-dt", product_types="IW_RAW__0S", grouping="datatake")
    aux("AUX_CAL", start=at(-1000), stop=None)
    one = [level("IW_RAW__0S", start=at(n * 20), stop=at(n * 20 + 25), attributes={"datatakeID": 0x1A2B})
           for n in range(3)]
    other = level("IW_RAW__0S", start=at(100), stop=at(125), attributes={"datatakeID": 0x1A2C})

    body = order(staff_api, processor_version=version.pk, start=iso(-10), stop=iso(200)).json()

    jobs = jobs_of(body["id"])
    assert [(j.group_key, j.interval_start, j.interval_stop, j.members.count()) for j in jobs] == [
        ("A:001A2B", at(0), at(65), 3), ("A:001A2C", at(100), at(125), 1)]
    assert (body["products_selected"], body["jobs_created"]) == (len(one) + 1, 2)
    assert other.name in {m.product_name for m in jobs[1].members.all()}


def test_an_order_whose_products_make_no_job_is_refused_and_leaves_nothing(staff_api, version):
    builders.rule(version, name="test-dt", product_types="IW_RAW__0S", grouping="datatake")
    product = level("IW_RAW__0S", start=at(0), stop=at(25), name="S1A_NO_DATATAKE")
    rules_before = ProductionRule.objects.count()

    assert refusal(order(staff_api, processor_version=version.pk, product_ids=[str(product.id)])) == (
        400, {"product_ids": ["none of the 1 selected products makes a job: S1A_NO_DATATAKE: no datatake id "
                              "(attribute datatakeID or S1 name)"]})
    assert (ProductionOrder.objects.count(), Job.objects.count(), ProductionRule.objects.count()) == (
        0, 0, rules_before)


def test_an_order_rule_cannot_be_enabled_as_a_systematic_rule(staff_api, version, template, slices):
    from django.core.exceptions import ValidationError

    created = order(staff_api, processor_version=version.pk, product_ids=[str(slices[0].id)]).json()
    rule = ProductionRule.objects.get(name=f"order-{created['id']}")
    rule.enabled = True
    with pytest.raises(ValidationError) as refused:
        rule.full_clean()
    assert refused.value.message_dict == {
        "enabled": ["This rule belongs to an order: enabling it would run it on every catalog event."]}
    template.full_clean()  # an operator's rule is not concerned
