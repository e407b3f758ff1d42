"""Pools in sequence, the tasks of a pool in parallel, each a subprocess in its own process group
(ipf-interface.md §6): Max_Time over the whole job, Killing_Signal then SIGKILL, per-task resource usage."""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from rs.production.execution.errors import ProcessorFailure
from rs.production.execution.logs import TaskLog
from rs.production.models.execution import TaskOutcome
from rs.production.tasktables.definition import Pool, Task

POLL_S = 0.05
READER_JOIN_S = 5.0

_libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
_PR_SET_PDEATHSIG = 1


def _die_with_worker() -> None:
    """In the child before exec: SIGKILL when the worker process dies (kill -9 of a worker leaves no processor
    running on its own). Only a C call: nothing that could take a lock another thread held at fork time."""
    _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


@dataclass
class TaskResult:
    pool: int
    position: int
    task: Task
    executable: str
    started_at: datetime
    finished_at: datetime
    exit_code: int | None
    signal: int | None
    outcome: str
    wall_s: float
    cpu_user_s: float
    cpu_system_s: float
    max_rss_kib: int
    log: TaskLog

    @property
    def failed(self) -> bool:
        return self.outcome in (TaskOutcome.ERROR, TaskOutcome.TIMEOUT, TaskOutcome.KILLED, TaskOutcome.ABORTED)


@dataclass
class _Running:
    pool: int
    position: int
    task: Task
    executable: str
    process: subprocess.Popen[bytes]
    started_at: datetime
    started: float
    log: TaskLog
    readers: list[threading.Thread] = field(default_factory=list)
    stopped_for: str = ""  # the outcome we forced on it by signalling it


def task_environment(base: Mapping[str, str], task: Task) -> dict[str, str]:
    return {**base, "RS_TASK_NAME": task.name, "RS_TASK_VERSION": task.version}


def base_environment(*, workdir: Path, joborder: Path, job_id: int, run: int, processor: str,
                     version: str) -> dict[str, str]:
    """The processor contract §5: minimal and explicit, nothing of the worker's own environment."""
    return {
        "PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin",
        "HOME": str(workdir), "TMPDIR": str(workdir / "tmp"),
        "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "TZ": "UTC",
        "RS_JOB_ID": str(job_id), "RS_JOB_RUN": str(run), "RS_JOB_ORDER": str(joborder), "RS_WORKDIR": str(workdir),
        "RS_PROCESSOR_NAME": processor, "RS_PROCESSOR_VERSION": version,
    }


def _read(stream: IO[bytes], log: TaskLog, name: str) -> None:
    for raw in iter(stream.readline, b""):
        log.add(raw.decode("utf-8", errors="replace"), stream=name)
    stream.close()


def _signal_group(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signum)  # every task leads its own session: its process group id is its pid


class PoolsRunner:
    """Runs the pools of one job; `abort` (set by the heartbeat when the job is no longer this run's) stops it."""

    def __init__(self, *, workdir: Path, joborder: Path, env: Mapping[str, str], deadline: float,
                 max_time_s: int, kill_grace_s: float, log_max_lines: int, abort: threading.Event,
                 resolve: Callable[[str], Path]) -> None:
        self.workdir = workdir
        self.joborder = joborder
        self.env = env
        self.deadline = deadline
        self.max_time_s = max_time_s
        self.kill_grace_s = kill_grace_s
        self.log_max_lines = log_max_lines
        self.abort = abort
        self.resolve = resolve

    def pool_run(self, index: int, pool: Pool) -> list[TaskResult]:
        killing_signal = pool.killing_signal or signal.SIGTERM
        running: dict[int, _Running] = {}
        results: list[TaskResult] = []
        try:
            for position, task in enumerate(pool.tasks):
                item = self._start(index, position, task)
                running[item.process.pid] = item
        except BaseException:
            for item in running.values():
                _signal_group(item.process.pid, signal.SIGKILL)
                self._reap(item, blocking=True)
            raise
        kill_at: float | None = None
        while running:
            for pid, item in list(running.items()):
                result = self._reap(item, blocking=False)
                if result is None:
                    continue
                del running[pid]
                results.append(result)
                if result.failed and item.task.critical and running and kill_at is None:
                    for sibling in running.values():  # a critical task failed: its siblings are pointless
                        sibling.stopped_for = TaskOutcome.ABORTED
                        _signal_group(sibling.process.pid, killing_signal)
                    kill_at = time.monotonic() + self.kill_grace_s
            if not running:
                break
            now = time.monotonic()
            if kill_at is None and (now >= self.deadline or self.abort.is_set()):
                reason = TaskOutcome.ABORTED if self.abort.is_set() else TaskOutcome.TIMEOUT
                for item in running.values():
                    item.stopped_for = reason
                    _signal_group(item.process.pid, killing_signal)
                kill_at = now + self.kill_grace_s
            if kill_at is not None and now >= kill_at:
                for item in running.values():
                    _signal_group(item.process.pid, signal.SIGKILL)
            time.sleep(POLL_S)
        return sorted(results, key=lambda r: r.position)

    def _start(self, pool: int, position: int, task: Task) -> _Running:
        executable = self.resolve(task.file_name)
        log = TaskLog(task=task.name, max_lines=self.log_max_lines)
        started_at = datetime.now(UTC)
        try:
            process = subprocess.Popen(
                [str(executable), str(self.joborder)], cwd=self.workdir, env=task_environment(self.env, task),
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
                preexec_fn=_die_with_worker,  # a single C call in the child, see _die_with_worker
            )
        except OSError as exc:  # exec format error, bad interpreter, permission: the same on every retry
            raise ProcessorFailure(f"task {task.name}: cannot start {executable}: {exc}") from None
        item = _Running(pool=pool, position=position, task=task, executable=str(executable), process=process,
                        started_at=started_at, started=time.monotonic(), log=log)
        for stream, name in ((process.stdout, "stdout"), (process.stderr, "stderr")):
            assert stream is not None
            reader = threading.Thread(target=_read, args=(stream, log, name), daemon=True)
            reader.start()
            item.readers.append(reader)
        return item

    def _reap(self, item: _Running, *, blocking: bool) -> TaskResult | None:
        pid = item.process.pid
        try:
            waited, status, usage = os.wait4(pid, 0 if blocking else os.WNOHANG)
        except ChildProcessError:  # reaped elsewhere: should not happen, account it as lost
            waited, status, usage = pid, 9, None
        if waited == 0:
            return None
        code = os.waitstatus_to_exitcode(status)
        item.process.returncode = code  # Popen must not wait for it again
        _signal_group(pid, signal.SIGKILL)  # what the task left running in its group goes with it
        for reader in item.readers:
            reader.join(READER_JOIN_S)
        wall = time.monotonic() - item.started
        exit_code, signum = (code, None) if code >= 0 else (None, -code)
        return TaskResult(
            pool=item.pool, position=item.position, task=item.task, executable=item.executable,
            started_at=item.started_at, finished_at=datetime.now(UTC), exit_code=exit_code, signal=signum,
            outcome=_outcome(exit_code, signum, item.stopped_for), wall_s=wall,
            cpu_user_s=usage.ru_utime if usage else 0.0, cpu_system_s=usage.ru_stime if usage else 0.0,
            max_rss_kib=int(usage.ru_maxrss) if usage else 0, log=item.log,
        )


def _outcome(exit_code: int | None, signum: int | None, stopped_for: str) -> str:
    if stopped_for and exit_code != 0:
        return stopped_for
    if exit_code == 0:
        return TaskOutcome.OK
    if exit_code is not None:
        return TaskOutcome.WARNING if exit_code < 128 else TaskOutcome.ERROR
    # Killed by a signal nobody here sent: SIGKILL is the kernel's OOM killer (or an operator); others are crashes.
    return TaskOutcome.KILLED if signum == signal.SIGKILL else TaskOutcome.ERROR


def pools_run(runner: PoolsRunner, pools: Sequence[Pool],
              on_pool_done: Callable[[list[TaskResult]], None]) -> list[TaskResult]:
    """Every pool in order; stops after a pool where a critical task failed. Returns every task's result."""
    results: list[TaskResult] = []
    for index, pool in enumerate(pools):
        pool_results = runner.pool_run(index, pool)
        results.extend(pool_results)
        on_pool_done(pool_results)
        if any(r.failed and r.task.critical for r in pool_results) or runner.abort.is_set():
            break
        if time.monotonic() >= runner.deadline:
            break
    return results
