from __future__ import annotations

import uuid

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from rs.catalog import services as catalog_services
from rs.catalog.choices import DeletionCause
from rs.catalog.tests import factories
from rs.monitoring.tests.production_jobs import job_finish, ready_jobs
from rs.monitoring.tests.timelines import HOUR, product_published_after
from rs.production.choices import JobState
from rs.production.models import Job

pytestmark = [pytest.mark.django_db, pytest.mark.urls("rs.monitoring.tests.urls")]


@pytest.fixture
def operator_client(client):
    user = get_user_model().objects.create_user("timeline-operator", password="x-operator-password")
    user.groups.add(Group.objects.get_or_create(name="operator")[0])
    client.force_login(user)
    return client


@pytest.fixture
def finished_job() -> Job:
    [job] = ready_jobs(1)
    job_finish(job, JobState.SUCCEEDED)
    return job


def test_the_timeline_lists_the_moments_of_a_product_in_time_order(operator_client, finished_job):
    trace = uuid.uuid4()
    product = product_published_after(HOUR, storage_key="products/S1/L1_SLICE/timeline.zip", job_id=finished_job.pk,
                                      trace_id=trace)
    catalog_services.product_evict(product_id=product.id, cause=DeletionCause.CORRUPTED)

    response = operator_client.get(f"/api/v1/monitoring/products/{product.id}/timeline/")

    assert response.status_code == 200
    entries = response.json()["entries"]
    assert [e["stage"] for e in entries] == [
        "received", "published",
        "job:waiting_inputs", "job:ready", "job:queued", "job:running", "job:succeeded",
        "catalogued", "event:created", "event:published", "event:evicted",
    ]
    assert entries[0]["at"] == "2025-03-01T10:00:00+00:00"
    assert entries[1]["at"] == "2025-03-01T11:00:00+00:00"
    assert entries[-1]["detail"] == DeletionCause.CORRUPTED.value
    assert entries[8]["trace_id"] == str(trace)


def test_the_timeline_of_an_unknown_product_is_404(operator_client):
    assert operator_client.get(f"/api/v1/monitoring/products/{uuid.uuid4()}/timeline/").status_code == 404


@pytest.fixture
def chain():
    """a → b → c, and a → d."""
    a = factories.product()
    b = factories.product(inputs=[a.id])
    c = factories.product(inputs=[b.id])
    d = factories.product(inputs=[a.id])
    return a, b, c, d


def test_the_lineage_graph_goes_up_and_down_the_requested_levels(operator_client, chain):
    a, b, c, _d = chain

    body = operator_client.get(f"/api/v1/monitoring/products/{b.id}/lineage/",
                               {"upstream": 1, "downstream": 1}).json()

    assert sorted(n["id"] for n in body["nodes"]) == sorted(str(p.id) for p in (a, b, c))
    assert sorted((e["input"], e["output"]) for e in body["edges"]) == sorted(
        [(str(a.id), str(b.id)), (str(b.id), str(c.id))])
    assert body["truncated"] is False


def test_the_lineage_says_when_the_depth_cut_it(operator_client, chain):
    _a, b, c, _d = chain

    body = operator_client.get(f"/api/v1/monitoring/products/{c.id}/lineage/",
                               {"upstream": 1, "downstream": 0}).json()

    assert sorted(n["id"] for n in body["nodes"]) == sorted([str(b.id), str(c.id)])
    assert body["truncated"] is True


def test_products_made_with_an_input_include_the_indirect_ones(operator_client, chain):
    a, b, c, d = chain

    every = operator_client.get(f"/api/v1/monitoring/products/{a.id}/made-with/").json()
    direct = operator_client.get(f"/api/v1/monitoring/products/{a.id}/made-with/", {"depth": 1}).json()

    assert sorted(p["id"] for p in every["products"]) == sorted(str(p.id) for p in (b, c, d))
    assert every["truncated"] is False
    assert sorted(p["id"] for p in direct["products"]) == sorted(str(p.id) for p in (b, d))
    assert direct["truncated"] is True


def test_a_depth_above_the_bound_is_refused(operator_client, chain):
    a, *_ = chain

    assert operator_client.get(f"/api/v1/monitoring/products/{a.id}/made-with/", {"depth": 11}).status_code == 400
