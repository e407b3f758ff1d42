"""The embedded default (SpatiaLite) answers PRIP queries, DeletedProducts' attribute filters and the
case-insensitive searches exactly as PostGIS does: the same scenario (tests/embedded_parity.py) runs on a fresh
SpatiaLite database in a subprocess and on the suite's PostGIS database, and both give the expected answers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests import embedded_parity
from tests.embedded_parity import (
    ADMIN_SEARCHES,
    COUNT_QUERIES,
    DELETED_QUERIES,
    PRODUCT_QUERIES,
    QUARANTINE_REASONS,
)

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
@pytest.mark.django_db
def test_spatialite_and_postgis_answer_the_same_queries_with_the_expected_products(tmp_path):
    # given a fresh SpatiaLite database, migrated in the embedded environment while PostGIS runs the scenario
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "RS_ENV_FILE": str(tmp_path / "none.env"),
           "RS_VAR_DIR": str(tmp_path / "var"), "SECRET_KEY": "embedded-test-secret-" + "x" * 20,
           "PYTHONPATH": str(ROOT)}
    (tmp_path / "spatialite").mkdir()
    embedded = subprocess.Popen([sys.executable, "-m", "tests.embedded_parity", str(tmp_path / "spatialite")],
                                cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        (tmp_path / "postgis").mkdir()
        on_postgis = embedded_parity.scenario(directory=tmp_path / "postgis")
        stdout, stderr = embedded.communicate(timeout=300)
    finally:  # a failure on the PostGIS side or a timeout leaves no process behind
        embedded.kill()
        embedded.wait()
    assert embedded.returncode == 0, stderr[-5000:]
    on_spatialite = json.loads(stdout.strip().splitlines()[-1])

    # then both give exactly the expected answers (listed by query where they do not)
    expected = {
        "products": [{"labels": labels, "count": count} for _, labels, count in PRODUCT_QUERIES],
        "counts": [count for _, count in COUNT_QUERIES],
        "quarantine": [["garbage.bin"], ["garbage.bin"], []],
        "admin": [["Parity-Inbox-Alpha"], ["Parity-Inbox-Alpha"], []],
        "deleted": [{"labels": labels, "count": count} for _, labels, count in DELETED_QUERIES],
    }
    assert _differences(on_postgis, expected) == {}
    assert _differences(on_spatialite, expected) == {}


def _differences(answers: dict[str, list[object]], expected: dict[str, list[object]]) -> dict[str, object]:
    asked = {"products": [q[0] for q in PRODUCT_QUERIES], "counts": [q[0] for q in COUNT_QUERIES],
             "quarantine": QUARANTINE_REASONS, "admin": ADMIN_SEARCHES, "deleted": [q[0] for q in DELETED_QUERIES]}
    return {f"{part} {question}": {"got": got, "expected": wanted}
            for part, questions in asked.items()
            for question, got, wanted in zip(questions, answers[part], expected[part], strict=True) if got != wanted}
