"""The embedded default's SQLite file takes web, worker and beat writing at once: WAL, IMMEDIATE transactions and a
busy timeout make concurrent writers queue instead of failing with "database is locked"."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
WRITERS = 3
PRODUCTS_PER_WRITER = 40

SETTINGS_SCRIPT = """
import os, django
os.environ['DJANGO_SETTINGS_MODULE'] = 'rs.settings'
django.setup()
from django.db import connection
with connection.cursor() as cursor:
    cursor.execute('PRAGMA journal_mode'); print('journal_mode', cursor.fetchone()[0])
    cursor.execute('PRAGMA busy_timeout'); print('busy_timeout', cursor.fetchone()[0])
    cursor.execute('PRAGMA synchronous'); print('synchronous', cursor.fetchone()[0])
print('transaction_mode', connection.settings_dict['OPTIONS']['transaction_mode'])
"""

# Each writer registers its products one transaction at a time (a product row, its attributes and its events) while
# the others do the same; a reader counts in between. A locked database would raise OperationalError.
WRITER_SCRIPT = """
import os, sys, django
os.environ['DJANGO_SETTINGS_MODULE'] = 'rs.settings'
django.setup()
from datetime import timedelta
from rs.catalog import selectors
from rs.catalog.tests import factories
writer = int(sys.argv[1])
for n in range({per_writer}):
    start = factories.T0 + timedelta(minutes=writer * 1000 + n)
    factories.product(name=factories.s1_grd_name(start=start, index=writer * 1000 + n), content_start=start)
    selectors.product_search().count()
print('done', writer)
"""


def embedded_env(tmp_path: Path) -> dict[str, str]:
    return {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "RS_ENV_FILE": str(tmp_path / "none.env"),
            "RS_VAR_DIR": str(tmp_path / "var"), "SECRET_KEY": "embedded-test-secret-" + "x" * 20,
            "PYTHONPATH": str(ROOT)}


@pytest.mark.slow
def test_concurrent_writers_on_the_embedded_database_all_commit(tmp_path):
    env = embedded_env(tmp_path)
    migrate = subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=300, check=False)
    assert migrate.returncode == 0, migrate.stderr

    # the connection is opened in WAL mode, with a 30 s busy timeout and IMMEDIATE transactions
    shown = subprocess.run([sys.executable, "-c", SETTINGS_SCRIPT], cwd=ROOT, env=env, capture_output=True,
                           text=True, timeout=60, check=False)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.split("\n")[:4] == [
        "journal_mode wal", "busy_timeout 30000", "synchronous 1", "transaction_mode IMMEDIATE"]

    # three processes write at once, each commit taking the write lock in turn
    script = WRITER_SCRIPT.format(per_writer=PRODUCTS_PER_WRITER)
    writers = [subprocess.Popen([sys.executable, "-c", script, str(w)], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True) for w in range(WRITERS)]
    try:
        outputs = [w.communicate(timeout=300) for w in writers]
    finally:  # a timeout leaves no writer behind
        for w in writers:
            w.kill()
            w.wait()
    for writer, (_out, err) in zip(writers, outputs, strict=True):
        assert writer.returncode == 0, err
        assert "database is locked" not in err
    assert sorted(out.strip() for out, _ in outputs) == [f"done {w}" for w in range(WRITERS)]

    counted = subprocess.run(
        [sys.executable, "-c", "import os, django; os.environ['DJANGO_SETTINGS_MODULE'] = 'rs.settings'; "
         "django.setup(); from rs.catalog import selectors; print(selectors.product_search().count())"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert counted.returncode == 0, counted.stderr
    assert counted.stdout.strip() == str(WRITERS * PRODUCTS_PER_WRITER)
