from __future__ import annotations

import os
import subprocess
import sys

import pytest
import redis
from django.db import connection

from conftest import ROOT, worker_database_url
from rs.catalog import services as catalog_services
from rs.catalog.choices import DeletionCause, EventKind, ProcessingLevel, ProductFamily
from rs.catalog.events import consumers_for
from rs.catalog.models import CatalogEvent, Product
from rs.catalog.tests import factories
from rs.monitoring.consumers import METRICS_CONSUMER
from rs.monitoring.tests.metrics_scrape import value

pytestmark = pytest.mark.urls("rs.monitoring.tests.urls")

SLICE = ProductFamily.S1_L1_SLICE.value
AUX = ProductFamily.AUXILIARY_FILE.value


def _event_id(product: Product, kind: str) -> int:
    return CatalogEvent.objects.get(product_id=product.id, kind=kind).pk


def _deliver_in_another_process(multiproc_dir, event_ids: list[int]) -> None:
    env = {**os.environ, "DATABASE_URL": worker_database_url(), "PROMETHEUS_MULTIPROC_DIR": str(multiproc_dir)}
    done = subprocess.run([sys.executable, "-m", "rs.monitoring.tests.deliver_events", METRICS_CONSUMER,
                           *map(str, event_ids)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def test_ingestion_and_eviction_counters_sum_the_processes_that_delivered_the_events(
    transactional_db, client, tmp_path, monkeypatch
):
    # given three products catalogued (two slices of 100 and 250 bytes, one aux file of 7), a validation campaign's
    # output, and one slice evicted
    slice_a = factories.product(content_length=100, storage_key="products/S1/L1_SLICE/metrics-a.zip")
    slice_b = factories.product(content_length=250)
    aux = factories.product(content_length=7, family=AUX, product_type="AUX_PP1", level=ProcessingLevel.AUX,
                            mode="", footprint=None)
    # (not production: neither its creation nor its eviction counts)
    campaign_output = factories.product(content_length=999, scope="campaign-7-v1-r1", publish=False,
                                        storage_key="scoped/campaign-7-v1-r1/metrics-c.zip")
    catalog_services.product_evict(product_id=slice_a.id, cause=DeletionCause.CORRUPTED)
    catalog_services.product_evict(product_id=campaign_output.id, cause=DeletionCause.CORRUPTED)
    # when two processes deliver the events to the metrics consumer, each writing to the multiprocess folder
    _deliver_in_another_process(tmp_path, [_event_id(slice_a, EventKind.CREATED), _event_id(aux, EventKind.CREATED)])
    _deliver_in_another_process(tmp_path, [_event_id(slice_b, EventKind.CREATED),
                                           _event_id(campaign_output, EventKind.CREATED),
                                           _event_id(slice_a, EventKind.EVICTED),
                                           _event_id(campaign_output, EventKind.EVICTED)])
    # and one scrape reads the folder
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    response = client.get("/metrics")
    # then the counters are the sums over both processes
    assert response.status_code == 200
    text = response.content.decode()
    assert len(list(tmp_path.glob("counter_*.db"))) == 2
    assert value(text, "rs_products_ingested_total", family=SLICE) == 2.0
    assert value(text, "rs_products_ingested_bytes_total", family=SLICE) == 350.0
    assert value(text, "rs_products_ingested_total", family=AUX) == 1.0
    assert value(text, "rs_products_ingested_bytes_total", family=AUX) == 7.0
    assert value(text, "rs_products_evicted_total", family=SLICE, cause=DeletionCause.CORRUPTED.value) == 1.0


def test_an_event_delivered_again_is_counted_once(transactional_db, client, tmp_path, monkeypatch):
    # given an event delivered once by another process
    product = factories.product(content_length=5)
    event_id = _event_id(product, EventKind.CREATED)
    _deliver_in_another_process(tmp_path, [event_id])
    # when it is delivered again (a re-dispatch), here
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    assert catalog_services.event_deliver(event_id=event_id, consumer_name=METRICS_CONSUMER) is False
    # then it counted once
    text = client.get("/metrics").content.decode()
    assert value(text, "rs_products_ingested_total", family=SLICE) == 1.0
    assert value(text, "rs_products_ingested_bytes_total", family=SLICE) == 5.0


@pytest.mark.django_db
def test_catalog_size_comes_from_the_planner_estimate(client):
    factories.product()
    factories.product()
    with connection.cursor() as cursor:
        cursor.execute(f'ANALYZE "{Product._meta.db_table}"')

    text = client.get("/metrics").content.decode()

    assert value(text, "rs_catalog_rows_estimate", table="product") == float(Product.objects.count())


@pytest.mark.django_db
def test_queue_depths_count_the_messages_waiting_in_redis(client, settings, django_capture_on_commit_callbacks):
    # given an empty maintenance queue in this run's Redis database
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    broker.delete("maintenance", *(f"maintenance\x06\x16{step}" for step in (3, 6, 9)))
    # when one product is catalogued and its deliveries are sent (no worker consumes them)
    with django_capture_on_commit_callbacks(execute=True):
        factories.product(publish=False)
    text = client.get("/metrics").content.decode()
    # then the maintenance queue holds one delivery task per consumer of 'created' on it
    expected = len([c for c in consumers_for(EventKind.CREATED) if c.queue == "maintenance"])
    assert value(text, "rs_queue_depth", queue="maintenance") == float(expected)
    assert value(text, "rs_queue_depth_up") == 1.0
    broker.delete("maintenance")


@pytest.mark.django_db
def test_queue_depths_report_down_when_redis_does_not_answer(client, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"

    text = client.get("/metrics").content.decode()

    assert value(text, "rs_queue_depth_up") == 0.0


@pytest.mark.django_db
def test_request_durations_are_labelled_by_route_name_not_path(client, settings):
    labels = {"route": "prip:products", "method": "GET", "status": "2xx"}
    before = value(client.get("/metrics").content.decode(), "rs_http_request_duration_seconds_count", **labels) or 0

    assert client.get("/odata/v1/Products?$top=1").status_code == 200
    assert client.get("/odata/v1/Products/?$top=2").status_code == 200

    text = client.get("/metrics").content.decode()
    assert value(text, "rs_http_request_duration_seconds_count", **labels) == before + 2
    assert "/odata/v1/Products" not in text
