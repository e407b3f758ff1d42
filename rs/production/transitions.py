"""The job state machine: one function changes a job's state, refusing what ALLOWED_TRANSITIONS does not allow."""

from __future__ import annotations

from collections.abc import Mapping

from django.db import transaction
from django.utils import timezone

from rs.errors import Conflict
from rs.monitoring import services as monitoring_services
from rs.production.choices import (
    ALLOWED_TRANSITIONS,
    PREPARING_STATES,
    STATE_TIMESTAMP_FIELD,
    TERMINAL_STATES,
    JobState,
)
from rs.production.job_listeners import job_ended
from rs.production.models import Job, JobAwaitedType, JobTransition
from rs.production.orders.progress import order_job_changed


class IllegalTransition(Conflict):
    code = "illegal_transition"

    def __init__(self, job_id: int, from_state: str, to_state: str) -> None:
        allowed = ", ".join(sorted(ALLOWED_TRANSITIONS.get(from_state, ()))) or "none (final state)"
        super().__init__(f"job {job_id}: {from_state} → {to_state} is not allowed (from {from_state}: {allowed})",
                         details={"job": job_id, "from": from_state, "to": to_state})


def job_transition(*, job: Job, to: str, reason: str = "", fields: Mapping[str, object] | None = None) -> Job:
    """Move a job (the caller holds its row lock, or not) to `to`, timestamped and logged; `fields` are written in
    the same UPDATE.

    The update is conditional on the state read: two workers racing on the same job cannot both move it. Refusals
    are raised outside the write block, so a caller's transaction stays usable."""
    to = JobState(to)
    if to not in ALLOWED_TRANSITIONS[job.state]:
        raise IllegalTransition(job.pk, job.state, to)
    now = timezone.now()
    changes: dict[str, object] = {**(fields or {}), "state": to, "state_changed_at": now,
                                  STATE_TIMESTAMP_FIELD[to]: now, "reason": reason, "updated_at": now}
    if to not in PREPARING_STATES:
        changes["next_check_at"] = None
    if to == JobState.RETRYING:
        changes["attempts"] = job.attempts + 1
    with transaction.atomic(savepoint=False):  # no savepoint: nothing in here raises a refusal
        updated = Job.objects.filter(pk=job.pk, state=job.state).update(**changes)
        if updated:
            JobTransition.objects.create(job=job, from_state=job.state, to_state=to, at=now, reason=reason)
            if to not in PREPARING_STATES:  # nothing arriving can change it any more: leave the awaited index
                JobAwaitedType.objects.filter(job=job).delete()
            if to in TERMINAL_STATES or job.state in TERMINAL_STATES:  # an order's progress, in this transaction
                order_job_changed(job=job, state=to)
            if to in TERMINAL_STATES:  # other apps' listeners (campaigns), in this transaction
                job_ended(job=job, state=to)
            if job.state == JobState.RUNNING and job.running_at is not None:  # a run ended: its duration
                monitoring_services.job_run_finished(processor=job.processor_version.processor.name, state=to,
                                                     duration_s=(now - job.running_at).total_seconds())
    if not updated:
        current = Job.objects.filter(pk=job.pk).values_list("state", flat=True).first()
        raise IllegalTransition(job.pk, current or "deleted", to)
    for name, value in changes.items():
        setattr(job, name, value)
    return job
