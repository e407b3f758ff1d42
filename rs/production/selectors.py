"""Every read of production with logic in it: the admin, the API and the CLI read through these."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Count, QuerySet, Sum

from rs.catalog.choices import OPERATIONAL_SCOPE
from rs.errors import NotFound
from rs.production.choices import TERMINAL_STATES, Grouping, InputStatus, JobState
from rs.production.joborder import joborder_render
from rs.production.models import (
    Job,
    JobInputFile,
    JobLogLine,
    JobMissingOutput,
    JobOutput,
    ProcessorVersion,
    ProductionRule,
    TaskRun,
)
from rs.production.preparation import joborder_spec, stored_resolutions, workdir_of
from rs.production.registry import tasktable_of
from rs.production.tasktables.definition import TaskTable
from rs.production.tasktables.diff import Change, tasktable_diff


def processor_versions() -> QuerySet[ProcessorVersion]:
    return (ProcessorVersion.objects.select_related("processor")
            .annotate(rule_count=Count("rules", distinct=True)).order_by("processor__name", "-imported_at"))


def processor_version_get(*, name: str, version: str) -> ProcessorVersion:
    found = ProcessorVersion.objects.select_related("processor").filter(processor__name=name,
                                                                         version=version).first()
    if found is None:
        raise NotFound(f"no processor {name} version {version}")
    return found


def processor_version_by_id(*, version_id: int) -> ProcessorVersion:
    found = ProcessorVersion.objects.select_related("processor").filter(pk=version_id).first()
    if found is None:
        raise NotFound(f"no processor version {version_id}")
    return found


def processor_tasktable(*, version: ProcessorVersion) -> TaskTable:
    return tasktable_of(version)


def processor_diff(*, before: ProcessorVersion, after: ProcessorVersion) -> list[Change]:
    return tasktable_diff(tasktable_of(before), tasktable_of(after))


def rules(*, include_orders: bool = False) -> QuerySet[ProductionRule]:
    """The operators' rules; the rules ad-hoc orders own (`order-<id>`) only with `include_orders` (the order's
    one-to-one key is unique, so the anti-join is an index probe per rule)."""
    qs = ProductionRule.objects.select_related("processor_version__processor").prefetch_related(
        "parameters", "time_windows", "recurring_windows").order_by("name")
    return qs if include_orders else qs.filter(order__isnull=True)


def jobs(*, state: str | None = None, rule: str | None = None, processor: str | None = None) -> QuerySet[Job]:
    qs = Job.objects.select_related("rule", "processor_version__processor")
    if state:
        qs = qs.filter(state=state)
    if rule:
        qs = qs.filter(rule__name=rule)
    if processor:
        qs = qs.filter(processor_version__processor__name=processor)
    return qs


def operational_jobs() -> QuerySet[Job]:
    """Jobs of operational production: what KPIs and dashboards count (validation campaigns' jobs run in a scope
    of their own and are reported by the campaign)."""
    return jobs().filter(rule__output_scope=OPERATIONAL_SCOPE)


def job_get(*, job_id: int) -> Job:
    job = jobs().filter(pk=job_id).first()
    if job is None:
        raise NotFound(f"no job {job_id}")
    return job


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def job_why(*, job_id: int) -> dict[str, Any]:
    """"Why is this job waiting?": per input the query run, what it found, what is missing and until when."""
    job = job_get(job_id=job_id)
    inputs = list(job.inputs.prefetch_related("files").order_by("position"))
    missing = [i for i in inputs if i.status == InputStatus.MISSING]
    waiting = job.state == JobState.WAITING_INPUTS
    if waiting and missing:
        summary = "waiting for " + ", ".join(f"{i.key} ({'mandatory' if i.mandatory else 'optional'})"
                                             for i in missing)
        granules_checked = job.rule.grouping == Grouping.GRANULE_WINDOW and job.rule.granule_gap_s is not None
        if granules_checked and job.reason:  # the granule window is incomplete too (another reason is history)
            summary += f"; {job.reason}"
    elif waiting and job.reason:
        summary = job.reason
    elif waiting and job.settle_until:
        summary = f"settling until {job.settle_until.isoformat()}: more products of the group may arrive"
    elif waiting:
        summary = "waiting for its first evaluation"
    else:
        summary = f"{job.state}" + (f": {job.reason}" if job.reason else "")
    return {
        "job": job.pk, "state": job.state, "summary": summary, "reason": job.reason,
        "rule": job.rule.name, "processor": job.processor_version.processor.name,
        "version": job.processor_version.version, "group_key": job.group_key,
        "interval": [_iso(job.interval_start), _iso(job.interval_stop)],
        "sensing": [_iso(job.sensing_start), _iso(job.sensing_stop)],
        "created_at": _iso(job.created_at),
        "gives_up_at": _iso(job.mandatory_deadline_at) if waiting else None,
        "next_check_at": _iso(job.next_check_at),
        "inputs": [
            {
                "key": i.key, "mandatory": i.mandatory, "status": i.status, "reason": i.reason,
                "missing": i.status == InputStatus.MISSING,
                "gives_up_at": _iso(i.deadline_at) if i.status == InputStatus.MISSING else None,
                "selected": {"order": i.alternative_order, "policy": i.policy, "file_type": i.file_type,
                             "window": [_iso(i.window_start), _iso(i.window_stop)]} if i.alternative_order else None,
                "files": [{"name": f.name, "product_id": str(f.product_id) if f.product_id else None,
                           "start": _iso(f.start), "stop": _iso(f.stop)} for f in i.files.all()],
                "alternatives": i.attempts,
                "awaited_types": [a[0] for a in i.awaited],
            }
            for i in inputs
        ],
    }


def job_joborder(*, job_id: int, workdir: str | None = None) -> str:
    """The JobOrder of a prepared job, written for `workdir` (default: the job's planned working directory)."""
    job = job_get(job_id=job_id)
    table = tasktable_of(job.processor_version)
    resolutions = list(stored_resolutions(job, table).values())
    sensing = (job.sensing_start or job.interval_start, job.sensing_stop or job.interval_stop)
    spec = joborder_spec(job, table, sorted(resolutions, key=lambda r: r.position), sensing=sensing,
                         workdir=workdir or workdir_of(job.pk))
    return joborder_render(spec)


def jobs_ready() -> QuerySet[Job]:
    """Prepared jobs for execution (part 2), oldest first."""
    return jobs(state=JobState.READY).order_by("ready_at", "pk")


# --- execution --------------------------------------------------------------------------------------------------------

LOG_PAGE_MAX = 1000


def job_task_runs(*, job_id: int) -> QuerySet[TaskRun]:
    job_get(job_id=job_id)
    return TaskRun.objects.filter(job_id=job_id).order_by("run", "pool", "position")


def job_log(*, job_id: int, run: int | None = None, task: str | None = None, levels: str | None = None,
            after: int = 0, limit: int = 500) -> QuerySet[JobLogLine]:
    """One page of a run's log (the latest run by default), in order; `after` = the last seq already read."""
    job = job_get(job_id=job_id)
    lines = JobLogLine.objects.filter(job_id=job_id, run=run if run is not None else job.run, seq__gt=after)
    if task is not None:
        lines = lines.filter(task=task)
    if levels:
        lines = lines.filter(level__in=list(levels))
    return lines.order_by("seq")[:min(limit, LOG_PAGE_MAX)]


def job_outputs(*, job_id: int) -> dict[str, Any]:
    """What a job registered and, for a failed one, the output types it should have made."""
    job = job_get(job_id=job_id)
    registered = JobOutput.objects.filter(job_id=job_id, registered_at__isnull=False).order_by("name")
    return {
        "job": job.pk, "state": job.state, "run": job.run, "workdir_archive_key": job.workdir_archive_key,
        "outputs": [{"name": o.name, "product_type": o.product_type, "product_id": str(o.product_id),
                     "storage_key": o.storage_key, "size": o.size, "md5": o.md5, "published": o.published,
                     "run": o.run, "registered_at": _iso(o.registered_at)} for o in registered],
        "missing": [{"product_type": m.product_type, "mandatory": m.mandatory, "expected_count": m.expected_count}
                    for m in JobMissingOutput.objects.filter(job_id=job_id)],
    }


def missing_outputs_between(*, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """Outputs that failed jobs should have made, recorded in [start, end), summed per product type and the job's
    mission, timeliness and acquisition mode (an index range on the recording time)."""
    return list(
        JobMissingOutput.objects.filter(recorded_at__gte=start, recorded_at__lt=end,
                                        job__rule__output_scope=OPERATIONAL_SCOPE).order_by()
        .values("product_type", "job__mission", "job__timeliness", "job__acquisition_mode")
        .annotate(count=Sum("expected_count"))
    )


# --- what validation campaigns read of their runs' jobs ---------------------------------------------------------------


def jobs_of_rules(*, rule_ids: list[int]) -> QuerySet[Job]:
    """The jobs of the given rules (a campaign's runs), with their processor version (one query)."""
    return (Job.objects.filter(rule_id__in=rule_ids).select_related("processor_version__processor")
            .order_by("rule_id", "group_key", "pk"))


def rule_has_open_jobs(*, rule_id: int) -> bool:
    """Whether a job of the rule is not final yet (a campaign run still running)."""
    return Job.objects.filter(rule_id=rule_id).exclude(state__in=list(TERMINAL_STATES)).exists()


def jobs_registered_outputs(*, job_ids: list[int]) -> QuerySet[JobOutput]:
    return JobOutput.objects.filter(job_id__in=job_ids, registered_at__isnull=False).order_by("job_id", "name")


def jobs_missing_outputs(*, job_ids: list[int]) -> QuerySet[JobMissingOutput]:
    return JobMissingOutput.objects.filter(job_id__in=job_ids).order_by("job_id", "product_type")


def jobs_task_runs(*, job_ids: list[int]) -> QuerySet[TaskRun]:
    """Every task run of the jobs (all their runs; callers keep the job's last run)."""
    return TaskRun.objects.filter(job_id__in=job_ids).order_by("job_id", "run", "pool", "position")


def jobs_input_bytes(*, job_ids: list[int]) -> dict[int, int]:
    """job id → bytes of the catalogued products its inputs selected (what a run stages)."""
    rows = (JobInputFile.objects.filter(job_input__job_id__in=job_ids).values("job_input__job_id")
            .annotate(total=Sum("product__content_length")).values_list("job_input__job_id", "total"))
    return {job_id: int(total or 0) for job_id, total in rows}
