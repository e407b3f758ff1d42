"""Other apps follow the jobs that end without production depending on them (as the lifecycle app's eviction
guards): a listener registered here is called by the job state machine (transitions.job_transition) inside the
transaction of every transition into a final state, so it can lock what it needs and enqueue work on commit."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rs.production.models import Job

# A listener receives the job (already in its final state in this transaction) and that state; it runs for every
# job that ends, operational or not, so it costs one indexed query or a few.
JobEndListener = Callable[["Job", str], None]

_listeners: dict[str, JobEndListener] = {}


def job_end_listener_register(name: str, listener: JobEndListener) -> None:
    _listeners[name] = listener


def job_ended(*, job: Job, state: str) -> None:
    for listener in _listeners.values():
        listener(job, state)
