from __future__ import annotations

import socket

import pytest

pytestmark = [pytest.mark.django_db, pytest.mark.urls("rs.monitoring.tests.urls")]


def _unused_local_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_readyz_is_ready_when_every_dependency_answers(client):
    response = client.get("/readyz")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready"
    assert list(body["checks"]) == ["database", "broker", "storage"]
    assert {name: check["status"] for name, check in body["checks"].items()} == {
        "database": "ok", "broker": "ok", "storage": "ok",
    }
    assert all(isinstance(check["ms"], float) for check in body["checks"].values())
    assert body["checks"]["broker"]["queue"] in {"present", "absent"}


def test_a_stopped_broker_makes_readyz_not_ready_with_the_others_ok(client, settings):
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{_unused_local_port()}/0"

    response = client.get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "not ready"
    assert {name: check["status"] for name, check in body["checks"].items()} == {
        "database": "ok", "broker": "error", "storage": "ok",
    }
    assert "detail" in body["checks"]["broker"]
    assert body["checks"]["broker"]["ms"] < 3000


def test_a_missing_bucket_makes_readyz_not_ready_with_storage_error(client, settings):
    if settings.RS_STORAGE != "s3":
        pytest.skip("the bucket check is S3's; the filesystem root always exists once the store is built")
    settings.STORAGES = {**settings.STORAGES, "products": {
        **settings.STORAGES["products"],
        "OPTIONS": {**settings.STORAGES["products"]["OPTIONS"], "bucket_name": "rs-test-no-such-bucket"},
    }}

    response = client.get("/readyz")

    assert response.status_code == 503
    assert {name: check["status"] for name, check in response.json()["checks"].items()} == {
        "database": "ok", "broker": "ok", "storage": "error",
    }


def test_readyz_refuses_other_methods(client):
    assert client.post("/readyz").status_code == 405
