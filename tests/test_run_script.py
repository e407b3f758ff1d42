"""`make run` for real: scripts/run.sh on a fresh folder brings up web, worker and beat on the embedded default, prints
admin credentials that log in, loads the demo once, and stops its whole process tree on Ctrl-C."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT_S = 300  # a fresh SpatiaLite database is migrated first: about a minute on a busy machine
STOP_TIMEOUT_S = 45  # run.sh's grace for running tasks (30 s) and a margin


@pytest.fixture(autouse=True)
def _object_storage() -> None:
    """Overrides the suite's autouse fixture: run.sh brings its own filesystem storage under its folder."""


@dataclass
class Run:
    process: subprocess.Popen[str]
    log: Path
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def session_members(self) -> set[int]:
        """Every process of run.sh's session (it leads a new one): its groups keep the session when orphaned."""
        members = set()
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[3]) == self.process.pid:
                members.add(int(stat.parent.name))
        return members

    def descendants(self) -> set[int]:
        """Every process below run.sh now (web master and workers, the Celery worker and its pool, beat)."""
        children: dict[int, list[int]] = {}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
        found, todo = set(), [self.process.pid]
        while todo:
            for child in children.get(todo.pop(), []):
                found.add(child)
                todo.append(child)
        return found


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def terminal_signals() -> None:
    """A terminal's defaults in the child: a test runner started in the background ignores SIGINT, and a shell cannot
    trap a signal that was ignored when it started."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.fixture
def start(tmp_path: Path) -> Iterator[Callable[[], Run]]:
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "RS_ENV_FILE": str(tmp_path / "none.env"),
           "RS_VAR_DIR": str(tmp_path / "var"), "SECRET_KEY": "run-script-test-secret-" + "x" * 20}
    runs: list[Run] = []

    def started() -> Run:
        port = free_port()
        log = tmp_path / f"run-{len(runs) + 1}.log"
        with log.open("w") as sink:
            process = subprocess.Popen(["scripts/run.sh"], cwd=ROOT, env={**env, "RS_PORT": str(port)}, stdout=sink,
                                       stderr=subprocess.STDOUT, text=True, start_new_session=True,
                                       preexec_fn=terminal_signals)
        run = Run(process=process, log=log, port=port)
        runs.append(run)
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            assert process.poll() is None, run.output()[-5000:]
            try:
                if requests.get(f"{run.url}/", timeout=10).status_code == 200:
                    return run
            except (requests.ConnectionError, requests.Timeout):  # bound, workers still booting
                pass
            assert time.monotonic() < deadline, run.output()[-5000:]
            time.sleep(0.5)

    yield started
    for run in runs:  # a failed test leaves nothing behind, even processes run.sh left orphaned
        for pid in run.session_members():
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        with suppress(subprocess.TimeoutExpired):
            run.process.wait(10)


def admin_password(run: Run) -> str:
    match = re.search(r"admin +http://\S+ +user: admin +password: (\S+)\n", run.output())
    assert match, run.output()
    return match[1]


def admin_session(run: Run, password: str) -> requests.Session:
    """Signed in through the admin's login form, as a person would."""
    session = requests.Session()
    page = session.get(f"{run.url}/admin/login/", timeout=30)
    assert page.status_code == 200
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert token
    answer = session.post(f"{run.url}/admin/login/", timeout=30, allow_redirects=False, data={
        "csrfmiddlewaretoken": token[1], "username": "admin", "password": password, "next": "/admin/"})
    assert (answer.status_code, answer.headers.get("Location")) == (302, "/admin/")
    return session


def product_count(run: Run) -> int:
    answer = requests.get(f"{run.url}/odata/v1/Products", params={"$count": "true", "$top": "0"}, timeout=30)
    assert answer.status_code == 200
    return int(answer.json()["@odata.count"])


def demo_rule_enabled(session: requests.Session, run: Run) -> dict[str, bool]:
    answer = session.get(f"{run.url}/api/v1/production/rules/", params={"page_size": 100}, timeout=30)
    assert answer.status_code == 200
    return {rule["name"]: rule["enabled"] for rule in answer.json()["results"] if rule["name"].startswith("demo-")}


def stopped(run: Run, *, whole_group: bool) -> None:
    """Ctrl-C: to run.sh alone, or to its whole process group as a terminal does; then nothing of it is left."""
    tree = run.descendants()
    assert len(tree) >= 6  # gunicorn master + 2 workers, Celery worker + its pool of 2, beat
    began = time.monotonic()
    if whole_group:
        os.killpg(run.process.pid, signal.SIGINT)
    else:
        run.process.send_signal(signal.SIGINT)
    assert run.process.wait(STOP_TIMEOUT_S) == 0, run.output()[-5000:]
    deadline = time.monotonic() + 5
    while left := {pid for pid in tree if Path(f"/proc/{pid}").exists()}:
        assert time.monotonic() < deadline, f"still running: {left}"
        time.sleep(0.1)
    assert time.monotonic() - began < STOP_TIMEOUT_S
    assert run.output().endswith("\x1b[1m[run]\x1b[0m stopped\n"), run.output()[-3000:]


@pytest.mark.slow
def test_make_run_serves_logs_the_admin_in_loads_the_demo_once_and_stops_its_whole_tree(start, tmp_path: Path):
    var = tmp_path / "var"
    # a first start on an empty folder: database, admin, demo, and the three processes
    first = start()
    assert "demo rules: 10 created, 0 kept as they are\n" in first.output()
    assert f"50 demo items in {var / 'demo-inbox'}\n" in first.output()
    password = admin_password(first)
    assert (var / "admin-password").read_text() == f"{password}\n"
    session = admin_session(first, password)
    assert requests.get(f"{first.url}/api/v1/", timeout=30).status_code == 401
    assert session.get(f"{first.url}/api/v1/", timeout=30).status_code == 200
    assert session.get(f"{first.url}/admin/", timeout=30).status_code == 200
    # beat polls the demo inbox and the worker catalogues what it finds
    deadline = time.monotonic() + 120
    while product_count(first) == 0:
        assert time.monotonic() < deadline, (var / "log" / "worker.log").read_text()[-5000:]
        time.sleep(1)
    rules = demo_rule_enabled(session, first)
    assert len(rules) == 10 and all(rules.values())
    stopped(first, whole_group=False)
    worker_log = (var / "log" / "worker.log").read_text()
    assert "Warm shutdown" in worker_log and "exited with 'signal" not in worker_log  # tasks finished, not killed

    # between the starts an operator disables a demo rule, and the admin password file is lost
    edit = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c",
         "from rs.production.models import ProductionRule; "
         "ProductionRule.objects.filter(name='demo-s2-l1').update(enabled=False)"],
        cwd=ROOT, env={"PATH": os.environ["PATH"], "RS_ENV_FILE": str(tmp_path / "none.env"), "RS_VAR_DIR": str(var),
                       "SECRET_KEY": "run-script-test-secret-" + "x" * 20},
        capture_output=True, text=True, timeout=120, check=False)
    assert edit.returncode == 0, edit.stderr
    (var / "admin-password").unlink()
    demo_files = sorted(path.name for path in (var / "demo-inbox").iterdir())
    removed = next(name for name in demo_files if (var / "demo-inbox" / name).is_file())
    (var / "demo-inbox" / removed).unlink()

    # a second start on the same folder: the catalog has products, so no demo again and the edit stays
    second = start()
    assert "the catalog has products: demo not loaded\n" in second.output()
    assert "demo items" not in second.output() and "demo rules" not in second.output()
    assert sorted(path.name for path in (var / "demo-inbox").iterdir()) == [n for n in demo_files if n != removed]
    new_password = admin_password(second)
    assert new_password != password and (var / "admin-password").read_text() == f"{new_password}\n"
    session = admin_session(second, new_password)
    assert demo_rule_enabled(session, second)["demo-s2-l1"] is False
    assert product_count(second) > 0
    stopped(second, whole_group=True)
