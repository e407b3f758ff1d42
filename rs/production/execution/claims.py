"""The life of a job in execution: dispatch (ids only, on commit), the atomic claim, the lease a running worker
renews, automatic retries with backoff, failure, and the reaper of jobs whose worker vanished.

Every change is a conditional update through `job_transition`: two workers, the reaper and an operator racing on
one job cannot both move it. The run number tells a worker whether the job is still its own.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.utils import timezone

from rs.catalog import selectors as catalog_selectors
from rs.catalog.storage import StorageError, object_store
from rs.production.choices import JobState
from rs.production.execution.errors import ClaimLost, MaxTimeReached, RunFailure, TransientFailure
from rs.production.execution.outputs import expected_outputs
from rs.production.models import Job, JobMissingOutput, JobOutput
from rs.production.registry import tasktable_of
from rs.production.transitions import job_transition

logger = logging.getLogger(__name__)

# A retry message is sent with its countdown; the dispatcher sweep re-sends one this late (the message was lost).
RETRY_LOST_AFTER_S = 60
READY_LOST_AFTER_S = 10


# --- dispatch -------------------------------------------------------------------------------------------------------


def _send(job_id: int, queue: str, countdown: float | None = None) -> None:
    from rs.production.tasks import execution_job_task

    try:
        if countdown:
            execution_job_task.apply_async(args=(job_id,), queue=queue, countdown=countdown)
        else:
            execution_job_task.apply_async(args=(job_id,), queue=queue)
    except Exception:  # broker down: the job row stays queued/retrying and the dispatcher sweep sends it later
        logger.warning("job %s: could not send it to %s; the dispatcher will", job_id, queue, exc_info=True)


def job_dispatch(*, job_id: int, reason: str = "dispatched") -> bool:
    """ready|retrying → queued, and its id sent to the job's queue once the transaction commits."""
    with transaction.atomic():
        job = (Job.objects.select_for_update(skip_locked=True)
               .filter(pk=job_id, state__in=[JobState.READY, JobState.RETRYING]).first())
        if job is None:
            return False
        job_transition(job=job, to=JobState.QUEUED, reason=reason, fields={"retry_at": None})
        transaction.on_commit(partial(_send, job.pk, job.queue))
    return True


def job_dispatch_on_commit(job_id: int) -> None:
    """Called where a job becomes ready: queued and sent once the caller's transaction has committed."""
    transaction.on_commit(lambda: job_dispatch(job_id=job_id))


def jobs_dispatch_due(*, now: datetime | None = None, limit: int = 500) -> int:
    """The dispatcher sweep (beat): ready jobs whose on-commit dispatch was lost, retries due whose delayed message
    was lost, queued jobs whose message was lost long ago (re-sent; the claim makes duplicates harmless)."""
    now = now or timezone.now()
    sent = 0
    ready = Job.objects.filter(state=JobState.READY, ready_at__lt=now - timedelta(seconds=READY_LOST_AFTER_S))
    due = Job.objects.filter(state=JobState.RETRYING, retry_at__lt=now - timedelta(seconds=RETRY_LOST_AFTER_S))
    for job_id in [*ready.order_by("ready_at").values_list("pk", flat=True)[:limit],
                   *due.order_by("retry_at").values_list("pk", flat=True)[:limit]]:
        sent += job_dispatch(job_id=job_id, reason="dispatched by the sweep")
    stale = now - timedelta(seconds=settings.RS_EXECUTION_QUEUED_RESEND_S)
    for job_id, queue in (Job.objects.filter(state=JobState.QUEUED, queued_at__lt=stale)
                          .order_by("queued_at").values_list("pk", "queue")[:limit]):
        if Job.objects.filter(pk=job_id, state=JobState.QUEUED, queued_at__lt=stale).update(queued_at=now):
            _send(job_id, queue)
            sent += 1
    return sent


# --- claim and lease ------------------------------------------------------------------------------------------------


def job_claim(*, job_id: int, worker: str) -> Job | None:
    """queued (or a retry that is due) → running for this worker, with a new run number and a fresh lease.
    None when the job is not this message's to run (already running, cancelled, claimed by a duplicate)."""
    now = timezone.now()
    with transaction.atomic():
        job = (Job.objects.select_for_update(skip_locked=True, of=("self",))
               .select_related("processor_version__processor")
               .filter(pk=job_id, state__in=[JobState.QUEUED, JobState.RETRYING]).first())
        if job is None:
            return None
        if job.state == JobState.RETRYING:
            if job.retry_at is not None and job.retry_at > now + timedelta(seconds=1):
                return None  # an early duplicate; the delayed message or the sweep comes back for it
            job_transition(job=job, to=JobState.QUEUED, reason="retry due", fields={"retry_at": None})
        job_transition(job=job, to=JobState.RUNNING, reason=f"run {job.run + 1} on {worker}", fields={
            "run": job.run + 1, "worker": worker[:255],
            "lease_until": now + timedelta(seconds=settings.RS_EXECUTION_LEASE_S)})
    return job


def lease_renew(*, job_id: int, run: int) -> bool:
    """False when the job is no longer this run's (cancelled, or reaped after a long stall)."""
    until = timezone.now() + timedelta(seconds=settings.RS_EXECUTION_LEASE_S)
    return bool(Job.objects.filter(pk=job_id, state=JobState.RUNNING, run=run).update(lease_until=until))


class LeaseKeeper(threading.Thread):
    """Renews the lease every RS_EXECUTION_HEARTBEAT_S; sets `lost` when the job stopped being this run's."""

    def __init__(self, *, job_id: int, run: int) -> None:
        super().__init__(name=f"lease-{job_id}-{run}", daemon=True)
        self.job_id = job_id
        self.run_number = run
        self.lost = threading.Event()
        self._stop_requested = threading.Event()

    def run(self) -> None:
        try:
            while not self._stop_requested.wait(settings.RS_EXECUTION_HEARTBEAT_S):
                try:
                    if not lease_renew(job_id=self.job_id, run=self.run_number):
                        self.lost.set()
                        return
                except Exception:  # database briefly away: the lease has slack for a few missed beats
                    logger.warning("job %s: lease not renewed", self.job_id, exc_info=True)
                    close_old_connections()
        finally:
            connection.close()  # this thread's own connection

    def stop(self) -> None:
        self._stop_requested.set()
        self.join(5)


def claim_check(job_id: int, run: int) -> Job:
    """The job row locked, if it is still this run's; else ClaimLost. Call inside a transaction."""
    job = (Job.objects.select_for_update(of=("self",)).select_related("rule", "processor_version__processor")
           .get(pk=job_id))
    if job.state != JobState.RUNNING or job.run != run:
        raise ClaimLost(f"job {job_id} is {job.state} (run {job.run}), no longer run {run}'s")
    return job


# --- failure, retries, missing outputs --------------------------------------------------------------------------------


def retry_delay_s(automatic_retries: int) -> int:
    """Exponential backoff: base, 2·base, 4·base, … capped."""
    delay = settings.RS_EXECUTION_RETRY_BACKOFF_S * (2 ** automatic_retries)
    return int(min(delay, settings.RS_EXECUTION_RETRY_BACKOFF_MAX_S))


def will_retry(job: Job, failure: RunFailure) -> bool:
    if isinstance(failure, MaxTimeReached) and not job.rule.retry_after_max_time:
        return False
    return failure.transient and job.automatic_retries < settings.RS_EXECUTION_MAX_RETRIES


def missing_outputs_record(job: Job) -> int:
    """Every catalogued output type the job declares and did not register: one row each (completeness KPIs)."""
    made = set(JobOutput.objects.filter(job=job, registered_at__isnull=False).values_list("product_type", flat=True))
    now = timezone.now()
    rows = [JobMissingOutput(job=job, product_type=e.file_type, mandatory=e.mandatory, recorded_at=now)
            for e in expected_outputs(tasktable_of(job.processor_version)) if e.catalogued and e.file_type not in made]
    JobMissingOutput.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def _fail_locked(job: Job, failure: RunFailure, *, archive_key: str = "") -> str:
    """The caller holds the job's lock; the job is running. → retrying (transient, budget left) or failed."""
    if will_retry(job, failure):
        delay = retry_delay_s(job.automatic_retries)
        retries = job.automatic_retries + 1
        job_transition(job=job, to=JobState.RETRYING, reason=(
            f"{failure.reason} — automatic retry {retries}/{settings.RS_EXECUTION_MAX_RETRIES} in {delay} s"),
            fields={"automatic_retries": retries, "retry_at": timezone.now() + timedelta(seconds=delay),
                    "lease_until": None})
        transaction.on_commit(partial(_send, job.pk, job.queue, delay))
        return JobState.RETRYING
    reason = failure.reason
    if failure.transient:
        reason += f" (after {job.automatic_retries} automatic retries)"
    job_transition(job=job, to=JobState.FAILED, reason=reason,
                   fields={"lease_until": None, "workdir_archive_key": archive_key or job.workdir_archive_key})
    missing_outputs_record(job)
    return JobState.FAILED


def run_fail(*, job_id: int, run: int, failure: RunFailure, archive_key: str = "") -> str:
    with transaction.atomic():
        job = claim_check(job_id, run)
        return _fail_locked(job, failure, archive_key=archive_key)


def outputs_orphans_remove(*, job_id: int, runs_before: int | None = None, run: int | None = None) -> int:
    """Objects uploaded by an interrupted run and never registered: removed (unless a catalogued product or asset
    owns the key, e.g. a later run uploaded the same name), and their planning rows deleted."""
    rows = JobOutput.objects.filter(job_id=job_id, registered_at__isnull=True)
    if runs_before is not None:
        rows = rows.filter(run__lt=runs_before)
    if run is not None:
        rows = rows.filter(run=run)
    planned = list(rows)
    if not planned:
        return 0
    keys = {key for row in planned for key in [row.storage_key, *row.extra_keys] if key}
    owned = set(catalog_selectors.storage_owners(keys=keys))
    registered = set(JobOutput.objects.filter(job_id=job_id, registered_at__isnull=False)
                     .values_list("storage_key", flat=True))
    try:
        object_store().delete_many(sorted(keys - owned - registered))
    except StorageError:
        logger.warning("job %s: orphan outputs not removed yet", job_id, exc_info=True)
        return 0
    JobOutput.objects.filter(pk__in=[row.pk for row in planned]).delete()
    return len(planned)


def jobs_reap(*, now: datetime | None = None, limit: int = 100) -> int:
    """Running jobs whose lease lapsed (their worker vanished: kill -9, machine lost): retried or failed."""
    now = now or timezone.now()
    reaped = 0
    while reaped < limit:
        with transaction.atomic():
            job = (Job.objects.select_for_update(skip_locked=True, of=("self",))
                   .select_related("rule", "processor_version__processor")
                   .filter(state=JobState.RUNNING, lease_until__lt=now).order_by("lease_until").first())
            if job is None:
                break
            failure = TransientFailure(f"worker lost: {job.worker or 'its worker'} stopped renewing the lease of "
                                       f"run {job.run} (due {job.lease_until:%Y-%m-%dT%H:%M:%SZ})")
            state = _fail_locked(job, failure)
            logger.warning("job %s: %s → %s", job.pk, failure.reason, state)
        if state == JobState.FAILED:
            outputs_orphans_remove(job_id=job.pk)
        reaped += 1
    return reaped
