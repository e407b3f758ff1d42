from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from rs.monitoring.tests.production_jobs import job_finish, ready_jobs
from rs.monitoring.tests.timelines import HOUR, product_published_after

pytestmark = [pytest.mark.django_db, pytest.mark.urls("rs.monitoring.tests.urls")]


@pytest.fixture
def operator_client(client):
    user = get_user_model().objects.create_user("kpi-operator", password="x-operator-password")
    user.groups.add(Group.objects.get_or_create(name="operator")[0])
    client.force_login(user)
    return client


@pytest.fixture
def period():
    """Two S1-L12-NRT products (one on time, one 4 h late) catalogued now; the query period around them."""
    product_published_after(HOUR)
    product_published_after(4 * HOUR)
    now = timezone.now()
    return {"from": (now - HOUR).isoformat(), "to": (now + HOUR).isoformat(), "pi_type": "S1-L12-NRT"}


def test_operators_get_the_kpis_of_a_pi_type(operator_client, period):
    response = operator_client.get("/api/v1/monitoring/kpis/", period)

    assert response.status_code == 200
    body = response.json()
    assert body["pi_types"] == [{
        "pi_type": "S1-L12-NRT", "threshold_s": 10800, "generated": 2, "duplicates": 0, "published": 2,
        "not_on_prip": 0, "on_time": 1, "without_origin": 0, "estimated_missing": 0, "timeliness": 0.5,
        "completeness": {"0": 0.5, "1": 1.0, "2": 1.0, "3": 1.0, "7": 1.0},
    }]
    assert body["production"] == {"outcomes": {}, "backlog": {}}


def test_the_kpis_export_as_csv(operator_client, period):
    response = operator_client.get("/api/v1/monitoring/kpis/", {**period, "format": "csv"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [(r["pi_type"], r["generated"], r["timeliness"], r["completeness_0d"], r["completeness_1d"])
            for r in rows] == [("S1-L12-NRT", "2", "0.5", "0.5", "1.0")]


def test_an_unknown_pi_type_or_an_inverted_period_is_refused(operator_client):
    now = timezone.now()

    assert operator_client.get("/api/v1/monitoring/kpis/", {"pi_type": "S9-NOPE"}).status_code == 400
    inverted = {"from": now.isoformat(), "to": (now - timedelta(days=1)).isoformat()}
    assert operator_client.get("/api/v1/monitoring/kpis/", inverted).status_code == 400


def test_users_without_the_operator_role_are_refused(client):
    client.force_login(get_user_model().objects.create_user("plain-user", password="x-user-password"))

    assert client.get("/api/v1/monitoring/kpis/").status_code == 403


def test_the_failure_rate_per_processor_and_the_backlog_come_with_the_kpis(operator_client):
    first, second, third, waiting = ready_jobs(4)
    job_finish(first, "succeeded")
    job_finish(second, "succeeded")
    job_finish(third, "failed")
    now = timezone.now()

    body = operator_client.get("/api/v1/monitoring/kpis/", {"from": (now - HOUR).isoformat(),
                                                            "to": (now + HOUR).isoformat()}).json()

    assert body["production"] == {
        "outcomes": {"TEST_L1": {"succeeded": 2, "failed": 1, "failure_rate": 1 / 3}},
        "backlog": {waiting.state: 1},
    }
