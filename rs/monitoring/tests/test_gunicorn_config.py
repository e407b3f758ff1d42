"""gunicorn's hook in multiprocess mode: a dead worker's live gauges stop counting, its totals stay."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from rs.monitoring.gunicorn_config import child_exit


def test_a_dead_worker_loses_its_live_gauge_files_and_keeps_its_counters(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    for name in ("gauge_livesum_41.db", "gauge_liveall_41.db", "counter_41.db", "gauge_livesum_42.db"):
        (tmp_path / name).write_bytes(b"")
    child_exit(server=None, worker=SimpleNamespace(pid=41))
    assert sorted(path.name for path in tmp_path.iterdir()) == ["counter_41.db", "gauge_livesum_42.db"]


def test_without_the_multiprocess_folder_the_hook_does_nothing(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    child_exit(server=None, worker=SimpleNamespace(pid=41))  # no folder to look in, and no error
