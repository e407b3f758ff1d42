"""The embedded default boots for real: SpatiaLite, filesystem object storage, the filesystem broker and a real
Celery worker, with no environment but a secret."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = """
import io, os, django
os.environ['DJANGO_SETTINGS_MODULE'] = 'rs.settings'
django.setup()
from django.contrib.gis.geos import Polygon
from rs.catalog import selectors, services
from rs.catalog.storage import object_store
from rs.catalog.tasks import ping_task
from rs.catalog.tests import factories

stored = object_store().put_stream(key='products/S1/L1_SLICE/demo.zip', stream=io.BytesIO(b'abc'))
product = factories.product(footprint=Polygon(((178, 50), (-178, 50), (-178, 53), (178, 53), (178, 50)), srid=4326),
                            storage_key=stored.key, content_length=stored.size)
area = Polygon.from_bbox((-179.5, 51, -179, 52)); area.srid = 4326
print('found', selectors.product_search(intersects=area).count())
print('prefix', selectors.product_search(name_startswith='S1A_IW').count(),
      selectors.product_search(name_startswith='s1a_iw').count())
print('md5', stored.md5)
print('task', ping_task.apply_async(args=['pong'], queue='maintenance').get(timeout=30, interval=0.05))
from rs.monitoring.readiness import broker_check
broker_check()  # the readiness probe reaches the filesystem broker with the configured folders
print('broker ok')
"""


@pytest.mark.slow
def test_the_embedded_default_round_trips_a_task_through_a_real_worker(tmp_path):
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "RS_ENV_FILE": str(tmp_path / "none.env"),
           "RS_VAR_DIR": str(tmp_path / "var"), "SECRET_KEY": "embedded-test-secret-" + "x" * 20}
    migrate = subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=300, check=False)
    assert migrate.returncode == 0, migrate.stderr
    assert (tmp_path / "var" / "rs.sqlite3").exists()

    log = (tmp_path / "worker.log").open("wb")
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "rs", "worker", "-Q", "maintenance", "--concurrency", "1",
         "--hostname", "embedded-test@%h", "--without-gossip", "--without-mingle", "--loglevel", "INFO"],
        cwd=ROOT, env={**env, "CELERY_RESULT_BACKEND": f"file://{tmp_path / 'var' / 'celery' / 'results'}"},
        stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while b" ready." not in (tmp_path / "worker.log").read_bytes():
            assert worker.poll() is None, (tmp_path / "worker.log").read_text()
            assert time.monotonic() < deadline, "worker not ready"
            time.sleep(0.1)
        # the client starts in another directory than the worker: the broker's folders must not depend on it
        client_dir = tmp_path / "elsewhere"
        client_dir.mkdir()
        result = subprocess.run([sys.executable, "-c", SCRIPT], cwd=client_dir, env={**env, "PYTHONPATH": str(ROOT)},
                                capture_output=True, text=True, timeout=120, check=False)
        assert result.returncode == 0, result.stderr
        assert result.stdout.split("\n")[:5] == [
            "found 1", "prefix 1 0", "md5 900150983cd24fb0d6963f7d28e17f72", "task pong", "broker ok"]
        assert (tmp_path / "var" / "storage" / "products" / "S1" / "L1_SLICE" / "demo.zip").read_bytes() == b"abc"
        assert (tmp_path / "var" / "celery" / "control" / "maintenance.exchange").exists()
        assert list(client_dir.iterdir()) == []
    finally:
        worker.terminate()
        worker.wait(30)
