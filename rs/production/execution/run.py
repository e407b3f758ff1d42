"""One run of one job, from the claim to `succeeded`, `retrying` or `failed` (the worker side of execution)."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings

from rs.catalog import selectors as catalog_selectors
from rs.catalog.choices import ProductFamily
from rs.catalog.storage import StorageError
from rs.monitoring import services as monitoring_services
from rs.monitoring.services import TaskUsage
from rs.production.choices import InputStatus, JobState
from rs.production.execution import claims
from rs.production.execution.errors import (
    ClaimLost,
    MaxTimeReached,
    ProcessorFailure,
    RunFailure,
    TransientFailure,
)
from rs.production.execution.logs import LogLine
from rs.production.execution.outputs import expected_outputs, outputs_discover
from rs.production.execution.processes import PoolsRunner, TaskResult, base_environment, pools_run
from rs.production.execution.registration import Lineage, outputs_register
from rs.production.execution.workdir import (
    JOBORDER_NAME,
    StagedInput,
    disk_space_check,
    executable_resolve,
    inputs_stage,
    session_folder,
    workdir_archive,
    workdir_create,
    workdir_remove,
    workdirs_stale,
)
from rs.production.models import Job, JobInputFile, JobLogLine, JobMember, TaskOutcome, TaskRun
from rs.production.registry import tasktable_of
from rs.production.selectors import job_joborder

logger = logging.getLogger(__name__)


class RunLog:
    """The job's log of one run: task lines after each pool, execution events as they happen."""

    def __init__(self, job_id: int, run: int) -> None:
        self.job_id = job_id
        self.run = run
        self.seq = 0

    def write(self, lines: Sequence[LogLine]) -> None:
        rows = []
        for line in lines:
            self.seq += 1
            rows.append(JobLogLine(job_id=self.job_id, run=self.run, seq=self.seq, task=line.task[:128],
                                   stream=line.stream, at=line.at, level=line.level, node=line.node,
                                   pid=line.pid, message=line.message, ipf_format=line.ipf_format))
        JobLogLine.objects.bulk_create(rows)

    def event(self, message: str, *, level: str = "I") -> None:
        self.write([LogLine(task="", stream="rs", at=datetime.now(UTC), level=level, message=message[:4000])])


def job_inputs(job: Job) -> tuple[list[StagedInput], Lineage]:
    """What to stage (selected products by name; session members in their channel folder) and the lineage."""
    files = list(JobInputFile.objects.filter(job_input__job=job, job_input__status=InputStatus.FOUND,
                                             product__isnull=False).values_list("product_id", flat=True))
    members = list(JobMember.objects.filter(job=job, product__isnull=False).values_list("product_id", flat=True))
    products = {p.id: p for p in catalog_selectors.products_by_ids(ids=[*files, *members])}
    staged: dict[str, StagedInput] = {}
    for pid in files:
        product = products.get(pid)
        if product is None:
            raise TransientFailure(f"selected input {pid} is no longer in the catalogue")
        staged.setdefault(product.name, StagedInput(name=product.name, storage_key=product.storage_key))
    for pid in members:  # session files are staged by channel (ipf-interface.md §7); other members are inputs
        product = products.get(pid)
        if product is not None and product.family == ProductFamily.SESSION and product.storage_key:  # not the marker
            staged.setdefault(product.name, StagedInput(name=product.name, storage_key=product.storage_key,
                                                        folder=session_folder(product.name)))
    origin = max((p.origin_date for p in products.values() if p.origin_date), default=None)
    table = tasktable_of(job.processor_version)
    return list(staged.values()), Lineage(inputs=tuple(products), origin_date=origin,
                                          processor=table.processor_name, version=table.version)


def task_runs_record(job: Job, run: int, results: Sequence[TaskResult], log: RunLog, *, processor: str) -> None:
    for result in results:
        log.write(result.log.lines)
        ended = (f"exit code {result.exit_code}" if result.exit_code is not None else f"signal {result.signal}")
        log.event(f"task {result.task.name} ended: {ended} ({result.outcome}), {result.wall_s:.2f} s wall, "
                  f"{result.cpu_user_s + result.cpu_system_s:.2f} s CPU, {result.max_rss_kib} KiB peak",
                  level="I" if result.outcome == TaskOutcome.OK else ("W" if not result.failed else "E"))
    TaskRun.objects.bulk_create([
        TaskRun(job=job, run=run, pool=r.pool, position=r.position, name=r.task.name, version=r.task.version,
                executable=r.executable, critical=r.task.critical, worker=job.worker, started_at=r.started_at,
                finished_at=r.finished_at, exit_code=r.exit_code, signal=r.signal, outcome=r.outcome,
                wall_s=r.wall_s, cpu_user_s=r.cpu_user_s, cpu_system_s=r.cpu_system_s, max_rss_kib=r.max_rss_kib,
                log_lines=len(r.log.lines), log_lines_dropped=r.log.dropped)
        for r in results])
    monitoring_services.task_runs_finished(processor=processor, tasks=[
        TaskUsage(task=r.task.name, wall_s=r.wall_s, cpu_s=r.cpu_user_s + r.cpu_system_s,
                  peak_memory_bytes=r.max_rss_kib * 1024) for r in results])


def results_judge(results: Sequence[TaskResult], *, pools: int, ran_pools: int, max_time_s: int) -> list[str]:
    """Raise the failure the task results mean; return the warnings of a run that stands."""
    warnings = []
    for r in results:
        code = f"exit code {r.exit_code}" if r.exit_code is not None else f"signal {r.signal}"
        if r.outcome == TaskOutcome.TIMEOUT:
            raise MaxTimeReached(f"Max_Time of {max_time_s} s reached: task {r.task.name} killed")
        if not r.failed and r.outcome != TaskOutcome.WARNING:
            continue
        if not r.failed:
            warnings.append(f"task {r.task.name}: warning ({code})")
        elif not r.task.critical:
            warnings.append(f"non-critical task {r.task.name} failed ({code})")
        elif r.outcome == TaskOutcome.KILLED:
            raise TransientFailure(f"task {r.task.name} was killed by SIGKILL (out of memory?)")
        elif r.outcome == TaskOutcome.ERROR:
            last = " | ".join(r.log.errors())
            raise ProcessorFailure(f"task {r.task.name} failed ({code})" + (f": {last}" if last else ""))
    if ran_pools < pools:
        raise MaxTimeReached(f"Max_Time of {max_time_s} s reached after pool {ran_pools}")
    return warnings


def _stale_workdirs_remove() -> None:
    """Folders of runs that are not running any more (their worker died on this machine). The age guard only
    spares a run claimed between the query and the directory scan: its folder is seconds old."""
    active = list(Job.objects.filter(state=JobState.RUNNING).values_list("pk", "run"))
    for path in workdirs_stale(active, older_than_s=max(2, settings.RS_EXECUTION_HEARTBEAT_S)):
        workdir_remove(path)


def job_execute(*, job_id: int, worker: str) -> str:
    """Claim and run the job; returns the state it ended in ("skipped" when it was not this message's)."""
    job = claims.job_claim(job_id=job_id, worker=worker)
    if job is None:
        return "skipped"
    run = job.run
    log = RunLog(job.pk, run)
    lease = claims.LeaseKeeper(job_id=job.pk, run=run)
    lease.start()
    workdir: Path | None = None
    try:
        claims.outputs_orphans_remove(job_id=job.pk, runs_before=run)
        _stale_workdirs_remove()
        table = tasktable_of(job.processor_version)
        max_time_s = table.max_time_s or settings.RS_EXECUTION_DEFAULT_MAX_TIME_S
        deadline = time.monotonic() + max_time_s
        disk_space_check(table.min_disk_space_mb)
        workdir = workdir_create(job.pk, run)
        joborder = workdir / JOBORDER_NAME
        joborder.write_text(job_joborder(job_id=job.pk, workdir=f"{workdir}/"), encoding="utf-8")
        inputs, lineage = job_inputs(job)
        started = time.monotonic()
        inputs_stage(workdir, inputs)
        log.event(f"run {run} on {worker}: {len(inputs)} inputs staged in {time.monotonic() - started:.2f} s")
        runner = PoolsRunner(
            workdir=workdir, joborder=joborder, deadline=deadline, max_time_s=max_time_s,
            env=base_environment(workdir=workdir, joborder=joborder, job_id=job.pk, run=run,
                                 processor=table.processor_name, version=table.version),
            kill_grace_s=settings.RS_EXECUTION_KILL_GRACE_S, log_max_lines=settings.RS_EXECUTION_LOG_MAX_LINES,
            abort=lease.lost, resolve=executable_resolve)
        for pool in table.pools:  # every executable checked before the first one starts
            for task in pool.tasks:
                executable_resolve(task.file_name)
        results = pools_run(runner, table.pools,
                            lambda done: task_runs_record(job, run, done, log, processor=table.processor_name))
        if lease.lost.is_set():
            raise ClaimLost(f"job {job.pk}: run {run} lost its claim")
        ran_pools = len({r.pool for r in results})
        warnings = results_judge(results, pools=len(table.pools), ran_pools=ran_pools, max_time_s=max_time_s)
        found, list_warnings = outputs_discover(workdir, expected_outputs(table), skip=[i.name for i in inputs])
        for warning in [*warnings, *list_warnings]:
            log.event(warning, level="W")
        registered = outputs_register(job_id=job.pk, run=run, found=found, lineage=lineage,
                                      warnings=[*warnings, *list_warnings])
        log.event(f"{len(registered)} outputs registered: {', '.join(o.name for o in registered)}")
        return JobState.SUCCEEDED
    except ClaimLost as exc:
        logger.warning("%s", exc)
        claims.outputs_orphans_remove(job_id=job.pk, run=run)
        return "lost"
    except RunFailure as failure:
        return _fail(job, run, failure, workdir, log)
    except (StorageError, OSError) as exc:
        return _fail(job, run, TransientFailure(f"{type(exc).__name__}: {exc}"), workdir, log)
    except Exception as exc:  # a bug or the unforeseen: retried a bounded number of times, then failed
        logger.exception("job %s run %s: unexpected failure", job.pk, run)
        return _fail(job, run, TransientFailure(f"unexpected {type(exc).__name__}: {exc}"), workdir, log)
    finally:
        lease.stop()
        if workdir is not None:
            workdir_remove(workdir)


def _fail(job: Job, run: int, failure: RunFailure, workdir: Path | None, log: RunLog) -> str:
    try:
        log.event(failure.reason, level="E")
        archive_key = ""
        if workdir is not None and workdir.exists() and not claims.will_retry(job, failure):
            try:
                archive_key = workdir_archive(workdir, job_id=job.pk, run=run)
                log.event(f"working directory archived as {archive_key}")
            except (StorageError, OSError) as exc:
                log.event(f"working directory not archived: {exc}", level="W")
        claims.outputs_orphans_remove(job_id=job.pk, run=run)
        return claims.run_fail(job_id=job.pk, run=run, failure=failure, archive_key=archive_key)
    except ClaimLost:
        return "lost"

