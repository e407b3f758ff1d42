"""Suite-wide fixtures: the suite runs on the real services of scripts/services.sh (PostGIS, Redis, S3)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parent
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # live_server + sync Playwright


def pytest_configure(config: pytest.Config) -> None:
    if not settings.IS_POSTGIS and not os.environ.get("RS_TEST_ALLOW_SPATIALITE"):
        pytest.exit("the suite runs on PostGIS: use `make test` (or source var/services.env)", returncode=2)


@pytest.fixture(scope="session")
def s3_bucket(django_db_blocker: pytest.FixtureRequest) -> Iterator[str]:
    """The run's own bucket, created once and emptied and removed at the end."""
    from rs.catalog.storage import object_store

    store = object_store()
    store.ensure_bucket()
    yield settings.RS_S3_BUCKET
    if settings.RS_STORAGE == "s3" and settings.RS_S3_BUCKET.startswith("rs-test-"):
        for key, _size in list(store.list_keys("")):
            store.delete(key)
        from django.core.files.storage import storages

        storages["products"].connection.meta.client.delete_bucket(Bucket=settings.RS_S3_BUCKET)


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    """Each test starts with an empty cache (the suite's own Redis database), so no cached count leaks between them."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _object_storage(request: pytest.FixtureRequest) -> None:
    if settings.RS_STORAGE == "s3":
        request.getfixturevalue("s3_bucket")


def worker_database_url() -> str:
    """DATABASE_URL of the test database that pytest-django created (for worker subprocesses)."""
    from django.db import connection

    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path="/" + connection.settings_dict["NAME"]))


class WorkerProcess:
    """A real `celery worker` subprocess on the test database and the test broker."""

    def __init__(self, *, queues: str, extra_env: dict[str, str] | None = None) -> None:
        self.queues = queues
        self.extra_env = extra_env or {}
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = ROOT / "var" / "log" / f"test-worker-{uuid.uuid4().hex[:8]}.log"

    def start(self) -> None:
        env = {**os.environ, "DATABASE_URL": worker_database_url(), **self.extra_env}
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "rs", "worker", "-Q", self.queues, "--pool", "prefork",
             "--concurrency", "2", "--hostname", f"test-{uuid.uuid4().hex[:8]}@%h", "--loglevel", "INFO",
             "--without-gossip", "--without-mingle"],
            cwd=ROOT, env=env, stdout=self.log_path.open("wb"), stderr=subprocess.STDOUT, start_new_session=True,
        )
        self._wait_ready()

    def _wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"worker exited early:\n{self.log_path.read_text()[-3000:]}")
            if b" ready." in self.log_path.read_bytes():
                return
            time.sleep(0.1)
        raise RuntimeError(f"worker not ready after {timeout}s:\n{self.log_path.read_text()[-3000:]}")

    def kill(self) -> None:
        """kill -9 of the whole process group: the worker and its pool children vanish mid-task."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()


def _broker_purge() -> None:
    from rs.celery import app

    with app.connection_for_write() as connection:
        for queue in settings.RS_QUEUES:
            try:
                connection.default_channel.queue_purge(queue)
            except Exception:  # noqa: S112 - a queue that was never declared has nothing to purge
                continue


@pytest.fixture
def celery_worker_factory(transactional_db: None) -> Iterator[type[WorkerProcess]]:
    """Start real workers inside a test (committed data; stale messages of earlier tests purged first)."""
    _broker_purge()
    started: list[WorkerProcess] = []

    class Factory(WorkerProcess):
        def start(self) -> None:
            started.append(self)
            super().start()

    yield Factory
    for worker in started:
        worker.stop()
