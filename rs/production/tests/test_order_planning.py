"""Large ad-hoc orders: accepted at once (202, state `accepted`), planned in chunks by `order_plan_task` on the
preparation queue with their progress in the API, refused precisely above the configured cap; a cancellation stops
the planning; the rules orders own stay out of the operators' rule lists."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from rs.celery import app as celery_app
from rs.production import services
from rs.production.choices import JobState
from rs.production.models import Job, OrderState, ProductionOrder, ProductionRule
from rs.production.orders.planning import order_plan_step, plannings_redispatch
from rs.production.tests import builders
from rs.production.tests.builders import at, aux, level
from rs.production.tests.execution_support import wait_for
from rs.production.tests.tables import table_xml

ORDERS = "/api/v1/production/orders/"


def staff_client() -> APIClient:
    user = get_user_model().objects.create_user("planner", password="x-operator-password", is_staff=True)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


@pytest.fixture
def setup(settings: Any) -> dict[str, Any]:
    """Five slices 100 s apart, the AUX_CAL they need, a template rule; orders of more than 2 products are planned
    in the background, 2 per step."""
    settings.RS_PRODUCTION_ORDER_SYNC_MAX_PRODUCTS = 2
    settings.RS_PRODUCTION_ORDER_PLAN_CHUNK = 2
    version = services.processor_import(data=table_xml())
    template = builders.rule(version, name="test-l1", product_types="IW_RAW__0S")
    aux("AUX_CAL", start=at(-1000), stop=None)
    slices = [level("IW_RAW__0S", start=at(100 * n), stop=at(100 * n + 25), name=f"S1A_SLICE_{n}")
              for n in range(5)]
    return {"version": version, "template": template, "slices": slices, "api": staff_client()}


def window_order(setup: dict[str, Any]) -> Any:
    return setup["api"].post(ORDERS, {"processor_version": setup["version"].pk, "start": at(-10).isoformat(),
                                      "stop": at(1000).isoformat()}, format="json")


def jobs_of(order_id: int) -> list[str]:
    return list(Job.objects.filter(rule__order__id=order_id).order_by("interval_start").values_list("group_key",
                                                                                                     flat=True))


@pytest.mark.django_db
def test_a_large_order_is_accepted_then_planned_chunk_by_chunk_with_its_progress_visible(setup):
    # when an order selects five products (more than the two planned within a request)
    response = window_order(setup)
    # then it is accepted with its row, and no job exists yet
    assert response.status_code == 202, response.content
    body = response.json()
    order_id = body["id"]
    assert response["Location"] == body["url"] == f"http://testserver{ORDERS}{order_id}/"
    assert (body["state"], body["products_selected"], body["jobs_created"]) == ("accepted", 5, 0)
    assert body["planning"] == {"planned": 0, "selected": 5, "percent": 0.0, "done": False, "last_step_at": None,
                                "error": ""}
    assert jobs_of(order_id) == []

    # when the planning task runs its steps: two products each, oldest sensing first, progress in the API
    expected = [(True, 2, ["S1A_SLICE_0", "S1A_SLICE_1"]), (True, 4, ["S1A_SLICE_0", "S1A_SLICE_1", "S1A_SLICE_2",
                                                                       "S1A_SLICE_3"])]
    costs = []
    for more, planned, jobs in expected:
        with CaptureQueriesContext(connection) as queries:
            assert order_plan_step(order_id=order_id) is more
        costs.append(len(queries))
        sql = [q["sql"] for q in queries.captured_queries]  # read now: a request resets the connection's log
        shown = setup["api"].get(f"{ORDERS}{order_id}/").json()
        assert (shown["state"], shown["planning"]["planned"], shown["planning"]["percent"], shown["jobs_created"]) \
            == ("accepted", planned, 100 * planned / 5, planned)
        assert jobs_of(order_id) == jobs
    assert costs[0] == costs[1]  # a step costs the same however far the planning went (keyset, no offset)
    window_sql = next(q for q in sql if "ORDER BY" in q and "LIMIT 2" in q and "catalog_product" in q)
    assert '"catalog_product"."content_start" > ' in window_sql and "OFFSET" not in window_sql
    assert order_plan_step(order_id=order_id) is False
    # then the order runs its five ready jobs
    shown = setup["api"].get(f"{ORDERS}{order_id}/").json()
    assert (shown["state"], shown["planning"]["planned"], shown["planning"]["done"], shown["jobs_created"]) == (
        "running", 5, True, 5)
    assert shown["progress"]["jobs"]["ready"] == 5
    assert jobs_of(order_id) == [f"S1A_SLICE_{n}" for n in range(5)]
    # and a late duplicate message changes nothing
    assert order_plan_step(order_id=order_id) is False
    assert Job.objects.filter(rule__order__id=order_id).count() == 5


def test_the_planning_task_is_routed_to_the_preparation_queue() -> None:
    route = celery_app.amqp.router.route({}, "rs.production.orders.tasks.order_plan_task", args=(1,))
    assert route["queue"].name == "preparation"


@pytest.mark.django_db
def test_above_the_cap_an_order_is_refused_with_the_setting_named_and_nothing_written(setup, settings):
    settings.RS_PRODUCTION_ORDER_MAX_PRODUCTS = 4
    rules_before = ProductionRule.objects.count()
    response = window_order(setup)
    assert response.status_code == 400
    assert response.json()["error"]["details"] == {"stop": [
        f"more than 4 triggering products sensed in [{at(-10).isoformat()}, {at(1000).isoformat()}): at most 4 per "
        "order (RS_PRODUCTION_ORDER_MAX_PRODUCTS); narrow the window"]}
    ids = [str(s.id) for s in setup["slices"]]
    response = setup["api"].post(ORDERS, {"processor_version": setup["version"].pk, "product_ids": ids},
                                 format="json")
    assert response.status_code == 400
    assert response.json()["error"]["details"] == {"product_ids": [
        "5 products listed: at most 4 per order (RS_PRODUCTION_ORDER_MAX_PRODUCTS)"]}
    assert (ProductionOrder.objects.count(), ProductionRule.objects.count()) == (0, rules_before)
    # at the cap, the list is accepted and planned in the background
    response = setup["api"].post(ORDERS, {"processor_version": setup["version"].pk, "product_ids": ids[:4]},
                                 format="json")
    assert (response.status_code, response.json()["state"]) == (202, "accepted")


@pytest.mark.django_db
def test_cancelling_an_accepted_order_stops_its_planning(setup):
    order_id = window_order(setup).json()["id"]
    assert order_plan_step(order_id=order_id) is True
    response = setup["api"].post(f"{ORDERS}{order_id}/cancel/")
    assert (response.status_code, response.json()["state"]) == (200, "cancelled")
    assert order_plan_step(order_id=order_id) is False  # the next step finds the order cancelled
    assert list(Job.objects.filter(rule__order__id=order_id).values_list("state", flat=True)) == [
        JobState.CANCELLED, JobState.CANCELLED]
    assert ProductionOrder.objects.get(pk=order_id).products_planned == 2


@pytest.mark.django_db
def test_a_large_order_whose_products_make_no_job_ends_failed_with_the_reason(setup):
    builders.rule(setup["version"], name="test-dt", product_types="IW_RAW__0S", grouping="datatake")
    body = setup["api"].post(ORDERS, {"processor_version": setup["version"].pk, "rule": "test-dt",
                                      "start": at(-10).isoformat(), "stop": at(250).isoformat()},
                             format="json").json()
    assert (body["state"], body["products_selected"]) == ("accepted", 3)
    while order_plan_step(order_id=body["id"]):
        pass
    shown = setup["api"].get(f"{ORDERS}{body['id']}/").json()
    assert (shown["state"], shown["products_skipped"], shown["jobs_created"]) == ("failed", 3, 0)
    assert shown["planning"]["error"] == (
        "none of the 3 selected products makes a job: " + "; ".join(
            f"S1A_SLICE_{n}: no datatake id (attribute datatakeID or S1 name)" for n in range(3)))
    assert shown["finished_at"] is not None


@pytest.mark.django_db
def test_order_rules_stay_out_of_the_operators_rule_lists(setup, admin_client):
    order_id = window_order(setup).json()["id"]
    api = setup["api"]
    assert [r["name"] for r in api.get("/api/v1/production/rules/").json()["results"]] == ["test-l1"]
    everything = api.get("/api/v1/production/rules/?include_orders=true").json()["results"]
    assert [r["name"] for r in everything] == [f"order-{order_id}", "test-l1"]
    rule_id = ProductionRule.objects.get(name=f"order-{order_id}").pk
    assert api.get(f"/api/v1/production/rules/{rule_id}/").status_code == 200
    assert api.get("/api/v1/production/rules/?include_orders=maybe").status_code == 400

    listed = admin_client.get("/admin/production/productionrule/")
    assert [r.name for r in listed.context["cl"].result_list] == ["test-l1"]
    listed = admin_client.get("/admin/production/productionrule/?owner=orders")
    assert [r.name for r in listed.context["cl"].result_list] == [f"order-{order_id}"]
    listed = admin_client.get("/admin/production/productionrule/?owner=all")
    assert sorted(r.name for r in listed.context["cl"].result_list) == [f"order-{order_id}", "test-l1"]


@pytest.mark.django_db
def test_a_lost_planning_message_is_sent_again_by_the_periodic_task(setup):
    from datetime import timedelta

    from django.utils import timezone

    order_id = window_order(setup).json()["id"]
    assert plannings_redispatch() == 0  # just accepted: its message may still be on the way
    assert plannings_redispatch(now=timezone.now() + timedelta(minutes=6)) == 1
    order_plan_step(order_id=order_id)
    assert plannings_redispatch(now=timezone.now() + timedelta(minutes=1)) == 0
    assert ProductionOrder.objects.get(pk=order_id).state == OrderState.ACCEPTED


def test_a_real_worker_plans_an_accepted_order_to_running(celery_worker_factory: Any, settings: Any) -> None:
    # given a worker of the preparation queue only, and an order of five products (2 in the request, 2 per step)
    settings.RS_PRODUCTION_ORDER_SYNC_MAX_PRODUCTS = 2
    version = services.processor_import(data=table_xml())
    builders.rule(version, name="test-l1", product_types="IW_RAW__0S")
    aux("AUX_CAL", start=at(-1000), stop=None)
    for n in range(5):
        level("IW_RAW__0S", start=at(100 * n), stop=at(100 * n + 25), name=f"S1A_SLICE_{n}")
    celery_worker_factory(queues="preparation", extra_env={"RS_PRODUCTION_ORDER_PLAN_CHUNK": "2"}).start()
    api = staff_client()
    # when it is ordered
    response = api.post(ORDERS, {"processor_version": version.pk, "start": at(-10).isoformat(),
                                 "stop": at(1000).isoformat()}, format="json")
    assert response.status_code == 202, response.content
    order_id = response.json()["id"]
    # then the worker plans it, step after step, to a running order of five ready jobs
    shown = wait_for("the order to run", lambda: (lambda b: b if b["state"] != "accepted" else None)(
        api.get(f"{ORDERS}{order_id}/").json()), timeout=60, every=0.3)
    assert (shown["state"], shown["planning"]["planned"], shown["jobs_created"]) == ("running", 5, 5)
    assert jobs_of(order_id) == [f"S1A_SLICE_{n}" for n in range(5)]
