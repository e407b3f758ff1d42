"""Writes of monitoring that other apps call: observations of finished work, recorded once the caller's transaction
commits (a rolled-back transition or task record observes nothing)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction

from rs.monitoring.metrics import JOB_DURATION, TASK_CPU, TASK_PEAK_MEMORY, TASK_WALL


@dataclass(frozen=True)
class TaskUsage:
    """What one task process of a run used."""

    task: str
    wall_s: float
    cpu_s: float
    peak_memory_bytes: int


def job_run_finished(*, processor: str, state: str, duration_s: float) -> None:
    """A job left `running` for `state` after `duration_s` seconds of its run."""
    transaction.on_commit(
        lambda: JOB_DURATION.labels(processor=processor, state=state).observe(max(duration_s, 0.0)))


def task_runs_finished(*, processor: str, tasks: Sequence[TaskUsage]) -> None:
    """The tasks of one pool of a run ended."""
    def observe() -> None:
        for usage in tasks:
            TASK_WALL.labels(processor=processor, task=usage.task).observe(usage.wall_s)
            TASK_CPU.labels(processor=processor, task=usage.task).observe(usage.cpu_s)
            TASK_PEAK_MEMORY.labels(processor=processor, task=usage.task).observe(usage.peak_memory_bytes)

    transaction.on_commit(observe)
