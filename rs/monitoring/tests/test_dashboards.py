from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from rs.catalog import services as catalog_services
from rs.catalog.tests import factories
from rs.monitoring.dashboards import dashboards
from rs.monitoring.tests.timelines import HOUR, T0

pytestmark = pytest.mark.django_db

MINUTE = timedelta(minutes=1)


def published(*, at, latency, size, **kwargs):
    product = factories.product(publish=False, origin_date=at - latency, timeliness="NRT", content_length=size,
                                **kwargs)
    return catalog_services.product_publish(product_id=product.id, at=at)


@pytest.fixture
def window():
    """S1-L12-NRT products (threshold 3 h) published in the three hours from T0."""
    published(at=T0 + 10 * MINUTE, latency=HOUR, size=10, storage_key="products/S1/L1_SLICE/dash.zip")
    published(at=T0 + 20 * MINUTE, latency=4 * HOUR, size=20)
    published(at=T0 + 2 * HOUR + 10 * MINUTE, latency=13 * HOUR, size=30)
    return {d.name: d for d in dashboards(start=T0, end=T0 + 3 * HOUR)}


def _hours(*values):
    return [[(T0 + i * HOUR).isoformat(), value] for i, value in enumerate(values)]


def test_throughput_counts_products_and_bytes_published_per_hour(window):
    products, size = window["throughput"].panels

    assert products.series == _hours(2, 0, 1)
    assert size.series == _hours(30, 0, 30)


def test_the_timeliness_distribution_puts_each_product_in_its_latency_over_threshold_bucket(window):
    [panel] = window["timeliness"].panels

    assert panel.title == "S1-L12-NRT latency / threshold (10800 s)"
    assert panel.series == [[0.25, 0], [0.5, 1], [0.75, 0], [1.0, 0], [1.5, 1], [2.0, 0], [4.0, 0], ["inf", 1]]


def test_storage_counts_the_online_bytes_per_family(window):
    assert window["storage"].panels[0].series == [["L1_SLICE", 10]]


def test_failures_have_a_point_for_every_hour(window):
    assert window["failures"].panels[0].series == _hours(0, 0, 0)


@pytest.mark.urls("rs.monitoring.tests.urls")
def test_operators_get_the_dashboards_in_the_web_client_shape(client):
    user = get_user_model().objects.create_user("dash-operator", password="x-operator-password")
    user.groups.add(Group.objects.get_or_create(name="operator")[0])
    client.force_login(user)

    body = client.get("/api/v1/monitoring/dashboards/", {"hours": 3}).json()

    assert [d["name"] for d in body] == ["throughput", "timeliness", "storage", "failures"]
    assert [p["title"] for p in body[0]["panels"]] == ["Products published per hour", "Bytes published per hour"]
    assert len(body[0]["panels"][0]["series"]) == 3
    assert client.get("/api/v1/monitoring/dashboards/", {"hours": 0}).status_code == 400


def test_staff_reach_the_dashboards_and_other_users_do_not(client):
    users = get_user_model().objects
    client.force_login(users.create_user("plain", password="x-plain-password"))
    assert client.get("/api/v1/monitoring/dashboards/").status_code == 403
    client.force_login(users.create_user("staff", password="x-staff-password", is_staff=True))
    assert client.get("/api/v1/monitoring/dashboards/").status_code == 200
