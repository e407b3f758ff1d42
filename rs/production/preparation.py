"""Preparation: products → jobs → resolved inputs → ready jobs with their JobOrder.

Runs on the `preparation` queue, inside the transaction that marks a catalog-event delivery done, so its effects
happen once per event. Jobs are unique per (rule, group key): workers racing on the same products meet on the
unique constraint and the row lock. Evaluations that change nothing write nothing (same event twice = no change).
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from rs.catalog import selectors as catalog_selectors
from rs.production.choices import (
    PREPARING_STATES,
    QUEUE_OF_PRIORITY,
    Grouping,
    InputStatus,
    JobState,
    Priority,
)
from rs.production.joborder import JobOrderFile, JobOrderInput, JobOrderSpec, joborder_render
from rs.production.models import (
    InputTimeout,
    Job,
    JobAwaitedType,
    JobInput,
    JobInputFile,
    JobMember,
    JobTransition,
    ProductionRule,
)
from rs.production.parameters import ParameterContext, ParameterError, parameter_render
from rs.production.registry import tasktable_of
from rs.production.resolution import (
    Attempt,
    Awaited,
    JobFacts,
    Resolution,
    TimeoutRules,
    inputs_resolve,
    sensing_interval,
)
from rs.production.routing import Group, granule_window, polarisation_of, product_interval
from rs.production.selection import FAR_FUTURE, Selected, uses_validity
from rs.production.sessions import (
    SessionGate,
    is_session_rule,
    session_gate,
    session_joborder_inputs,
    session_members_attach,
)
from rs.production.tasktables.definition import TaskTable
from rs.production.transitions import job_transition

if TYPE_CHECKING:
    from rs.catalog.selectors import Product

logger = logging.getLogger(__name__)

# Where JobOrders say the working directory is until execution (part 2) writes them into the real one.
WORKDIR_ROOT = "/data/localWD"


def workdir_of(job_id: int) -> str:
    return f"{WORKDIR_ROOT}/{job_id}/"


# --- jobs ------------------------------------------------------------------------------------------------------------


def job_locked(job_id: int, *, skip_locked: bool = False) -> Job | None:
    return (Job.objects.select_for_update(of=("self",), skip_locked=skip_locked)
            .select_related("rule", "processor_version__processor").filter(pk=job_id).first())


def job_for_group(*, rule: ProductionRule, group: Group, product: Product,
                  attributes: Mapping[str, object]) -> tuple[Job, bool]:
    """The job of (rule, group key), created if absent, locked for this transaction. Returns (job, created)."""
    query = Job.objects.select_for_update(of=("self",)).select_related("rule", "processor_version__processor")
    if rule.grouping != Grouping.PRODUCT:  # a group's job usually exists already: look first
        job = query.filter(rule=rule, group_key=group.key).first()
        if job is not None:
            return job, False
    now = timezone.now()
    try:
        with transaction.atomic():  # savepoint: the loser of a creation race keeps a usable transaction
            job = job_new(rule=rule, group=group, product=product, attributes=attributes, now=now)
            job.save(force_insert=True)
            JobTransition.objects.create(job=job, from_state="", to_state=JobState.WAITING_INPUTS, at=now,
                                         reason=f"created by {product.name}")
    except IntegrityError:
        job = query.get(rule=rule, group_key=group.key)
        return job, False
    return job, True


def job_new(*, rule: ProductionRule, group: Group, product: Product, attributes: Mapping[str, object],
            now: datetime) -> Job:
    """The job the group's first product makes, not saved: `job_for_group` inserts it, the dry run evaluates it."""
    priority = rule.priority_by_timeliness.get(product.timeliness, rule.priority)
    return Job(
        rule=rule, processor_version=rule.processor_version, group_key=group.key,
        state=JobState.WAITING_INPUTS, mission=product.mission, platform=product.platform,
        timeliness=product.timeliness, input_mode=rule.input_mode, acquisition_mode=product.mode,
        instrument_configuration_id=product.instrument_configuration_id,
        polarisation=polarisation_of(product, attributes), priority=priority,
        queue=QUEUE_OF_PRIORITY[Priority(priority)], interval_start=group.start, interval_stop=group.stop,
        trigger_product_id=product.id, trigger_attributes=dict(attributes),
        mandatory_deadline_at=now + timedelta(seconds=rule.mandatory_timeout_s), created_at=now,
        state_changed_at=now, waiting_at=now)


def settle_deadline(rule: ProductionRule, now: datetime) -> datetime | None:
    """Until when a new member keeps its group's job waiting (more segments, granules or files may come)."""
    return now + timedelta(seconds=rule.settle_s) if rule.settle_s else None


def interval_joined(job: Job, group: Group) -> tuple[datetime, datetime]:
    """The job interval once the product's group joins it: the union for union groupings, else unchanged."""
    if not group.union:
        return job.interval_start, job.interval_stop
    return min(job.interval_start, group.start), max(job.interval_stop, group.stop)


def needs_evaluation(job: Job, *, changed: bool) -> bool:
    """A product joining a job prepares it again only when the job gained something (a member, a wider interval)
    and is still preparing; a queued, running or finished job only records the member."""
    return changed and job.state in PREPARING_STATES


def member_attach(*, job: Job, group: Group, product: Product, created: bool = False) -> bool:
    """Record the product as a member (the caller holds the job lock); grow the job interval for union groupings.
    True if the job gained a member or its interval grew: what its inputs select may have changed (a granule filling
    a hole of its window changes the main input without growing the interval)."""
    start, stop = product_interval(product)
    new = created or not JobMember.objects.filter(job=job, product_name=product.name).exists()
    if new:
        JobMember.objects.create(job=job, product_id=product.id, product_name=product.name, start=start, stop=stop)
    settle_until = settle_deadline(job.rule, timezone.now()) if new else None
    if settle_until is not None:  # a new member restarts the settle time
        job.settle_until = settle_until
        Job.objects.filter(pk=job.pk).update(settle_until=job.settle_until)
    new_start, new_stop = interval_joined(job, group)
    if (new_start, new_stop) == (job.interval_start, job.interval_stop):
        return new
    Job.objects.filter(pk=job.pk).update(interval_start=new_start, interval_stop=new_stop)
    job.interval_start, job.interval_stop = new_start, new_stop
    return True


def job_facts(job: Job) -> JobFacts:
    rule = job.rule
    return JobFacts(
        processor_name=job.processor_version.processor.name, processor_version=job.processor_version.version,
        mission=job.mission, platform=job.platform, timeliness=job.timeliness, input_mode=job.input_mode,
        acquisition_mode=job.acquisition_mode, instrument_configuration_id=job.instrument_configuration_id,
        polarisation=job.polarisation, interval_start=job.interval_start, interval_stop=job.interval_stop,
        created_at=job.created_at, mandatory_deadline_at=job.mandatory_deadline_at,
        sensing_time_from=rule.sensing_time_from, wide_interval_types=frozenset(rule.wide_interval_type_list))


# --- evaluation ------------------------------------------------------------------------------------------------------


def outcome(resolutions: Iterable[Resolution], now: datetime,
            settle_until: datetime | None = None) -> tuple[str, str, datetime | None]:
    """(state, reason, next check) of a preparing job from its inputs (and its group's settle time)."""
    resolutions = list(resolutions)
    missing = [r for r in resolutions if r.status == InputStatus.MISSING]
    expired = [r for r in missing if r.mandatory and r.deadline is not None and now >= r.deadline]
    if expired:
        return JobState.FAILED, "; ".join(r.reason for r in expired), None
    deadlines = [r.deadline for r in missing if r.deadline is not None]
    if settle_until is not None and now < settle_until:
        deadlines.append(settle_until)
    elif not missing:
        return JobState.READY, "", None
    return JobState.WAITING_INPUTS, "", min(deadlines) if deadlines else None


MemberSpan = tuple[uuid.UUID | None, datetime | None, datetime | None]  # (product id, start, stop) of a member


@dataclass(frozen=True)
class Assessment:
    """What an evaluation decides for a preparing job, before anything is written: its inputs, the sensing interval,
    and the state, reason and next check once every gate applied (settle time, mandatory deadline, granule window
    completeness, session completeness)."""

    resolutions: list[Resolution]
    previous: dict[str, Resolution]
    keys: list[str] | None
    sensing: tuple[datetime, datetime]
    state: str
    reason: str
    next_check: datetime | None
    gap: str
    session: SessionGate | None
    gap_checked: bool  # a granule-window rule with a gap threshold

    @property
    def writes_reason(self) -> bool:
        """A waiting granule or session job records why it waits (the gap, the session's missing files, or '')."""
        return self.state == JobState.WAITING_INPUTS and (self.gap_checked or self.session is not None)


def reason_recorded(job: Job, *, state: str, reason: str, writes_reason: bool) -> str:
    """The reason the job row holds after an evaluation: a new state's, a gated waiting job's, or the one it had
    (an evaluation that keeps the state and has no gate to explain writes no reason)."""
    return reason if state != job.state or writes_reason else job.reason


def keys_to_resolve(previous: Mapping[str, Resolution], *, awaited_types: Iterable[str] = (),
                    missing_only: bool = False) -> list[str]:
    """The inputs an arriving product of one of `awaited_types` may change, or the missing ones (a timeout)."""
    types = set(awaited_types)
    return [r.key for r in previous.values()
            if any(a.product_type in types for a in r.awaited) or (missing_only and r.status == InputStatus.MISSING)]


def job_assess(job: Job, table: TaskTable, *, now: datetime, timeouts: Iterable[InputTimeout],
               awaited_types: Iterable[str] | None = None, missing_only: bool = False,
               members: list[MemberSpan] | None = None) -> Assessment:
    """Resolve the job's inputs and apply every gate; reads only, so the dry run assesses jobs (saved or not) with
    it. Every input, or only those awaiting one of `awaited_types`, or only the missing ones. `members` replaces
    the job's member rows (the dry run's planned members); None reads them."""
    facts = job_facts(job)
    keys: list[str] | None = None
    previous: dict[str, Resolution] = {}
    if awaited_types is not None or missing_only:
        previous = stored_resolutions(job, table)
        keys = keys_to_resolve(previous, awaited_types=awaited_types or (), missing_only=missing_only)
    resolutions = inputs_resolve(table, facts, now=now, timeouts=timeouts, previous=previous, keys=keys)
    sensing = sensing_interval(resolutions, facts)
    state, reason, next_check = outcome(resolutions, now, job.settle_until)
    gap_checked = checks_granules(job.rule)
    gap = granules_missing(job, members) if gap_checked and state != JobState.FAILED else ""
    if gap:  # the window is not complete yet: wait for the granules, or give up at the mandatory deadline
        if now >= job.mandatory_deadline_at:
            state, reason, next_check = JobState.FAILED, f"granule window incomplete: {gap}", None
        else:
            reason = f"waiting for granules: {gap}"
            if state == JobState.READY:
                state = JobState.WAITING_INPUTS
            next_check = min(filter(None, (next_check, job.mandatory_deadline_at)))
    session = None
    if is_session_rule(job.rule) and state != JobState.FAILED:
        session = session_gate(job, member_ids=None if members is None else [m[0] for m in members if m[0]])
    if session is not None and session.waiting:  # only a complete session makes a job (all files, both channels)
        if now >= job.mandatory_deadline_at:
            state, reason, next_check = JobState.FAILED, f"{session.waiting} at the mandatory deadline", None
        else:
            reason = f"waiting for the session: {session.waiting}"
            if state == JobState.READY:
                state = JobState.WAITING_INPUTS
            next_check = min(filter(None, (next_check, job.mandatory_deadline_at)))
    return Assessment(resolutions=resolutions, previous=previous, keys=keys, sensing=sensing, state=state,
                      reason=reason, next_check=next_check, gap=gap, session=session, gap_checked=gap_checked)


def parameter_refusal(exc: ParameterError) -> tuple[str, str]:
    """(state, reason) of a ready job whose JobOrder parameters cannot be rendered."""
    return JobState.FAILED, f"JobOrder parameter: {exc}"


def job_evaluate(job: Job, *, awaited_type: str | None = None, missing_only: bool = False,
                 now: datetime | None = None, timeouts: Iterable[InputTimeout] | None = None) -> bool:
    """Resolve the job's inputs and move it to ready or failed when that is the answer.

    Every input, or only those awaiting `awaited_type` (a product of that type arrived), or only the missing ones
    (a timeout passed). The caller holds the job's row lock. Returns True when anything was written."""
    if job.state not in (JobState.WAITING_INPUTS, JobState.READY):
        return False
    now = now or timezone.now()
    table = tasktable_of(job.processor_version)
    if timeouts is None:
        timeouts = TimeoutRules()
    assessed = job_assess(job, table, now=now, timeouts=timeouts, missing_only=missing_only,
                          awaited_types=None if awaited_type is None else [awaited_type])
    resolutions, previous, keys, sensing = assessed.resolutions, assessed.previous, assessed.keys, assessed.sensing
    state, reason, next_check = assessed.state, assessed.reason, assessed.next_check
    gap, session = assessed.gap, assessed.session
    attached = session_members_attach(job, session) if session is not None else 0
    fingerprint = hashlib.sha256(json.dumps(
        [[r.fingerprint() for r in resolutions], sensing[0].isoformat(), sensing[1].isoformat(), state,
         next_check.isoformat() if next_check else None, gap, session.waiting if session else None]
    ).encode()).hexdigest()
    if fingerprint == job.evaluation_fingerprint and state == job.state and not attached:
        return False
    first = keys is None and not job.evaluation_fingerprint  # a new job's first evaluation: no rows to replace
    _inputs_write(job, resolutions, previous, now=now, full=keys is None, first=first)
    _awaited_write(job, resolutions, first=first, extra=session.awaited if session else ())
    joborder = ""
    if state == JobState.READY:
        try:
            joborder = joborder_render(joborder_spec(job, table, resolutions, sensing=sensing,
                                                     workdir=workdir_of(job.pk)))
        except ParameterError as exc:
            state, reason = parameter_refusal(exc)
    fields = {"sensing_start": sensing[0], "sensing_stop": sensing[1], "next_check_at": next_check,
              "evaluation_fingerprint": fingerprint, "joborder": joborder}
    if assessed.writes_reason:
        fields["reason"] = reason  # "why is this job waiting": the granule gap, the session's missing files, or ""
    if state != job.state:
        job_transition(job=job, to=state, reason=reason, fields=fields)
        if state == JobState.READY:  # execution takes it once this transaction has committed
            from rs.production.execution.claims import job_dispatch_on_commit

            job_dispatch_on_commit(job.pk)
    else:
        Job.objects.filter(pk=job.pk).update(**fields, updated_at=now)
        for name, value in fields.items():
            setattr(job, name, value)
    return True


def checks_granules(rule: ProductionRule) -> bool:
    return rule.grouping == Grouping.GRANULE_WINDOW and rule.granule_gap_s is not None


def granules_missing(job: Job, members: list[MemberSpan] | None = None) -> str:
    """What keeps a granule-window job incomplete ('' = complete): the members' sensing intervals must cover the
    window without a gap longer than the rule's `granule_gap_s` (ipf-interface.md §8.3: S3 jobs check completeness
    by a gap threshold and wait for the first and last granule). With `granule_wait_edges`, the coverage must reach
    both ends of the window, or the dump's own ends where a granule says it is the FIRST or LAST (granulePosition);
    without, only the gaps between the granules received count. `members` replaces the job's member rows (the dry
    run's); two queries: members, their positions."""
    rule = job.rule
    if members is None:
        members = list(JobMember.objects.filter(job=job).values_list("product_id", "start", "stop"))
    spans = sorted((start, stop or start, pid) for pid, start, stop in members if start)
    if not spans:
        return "no granule yet"
    tolerated = timedelta(seconds=rule.granule_gap_s or 0)
    if rule.granule_wait_edges:
        low, high = granule_window(rule, job.interval_start)
        positions = catalog_selectors.product_attribute_of(
            product_ids=[pid for _, _, pid in spans if pid], name="granulePosition")
        for start, stop, pid in spans:
            position = str(positions.get(pid, "") if pid else "").upper()
            if position == "FIRST":
                low = max(low, start)
            elif position == "LAST":
                high = min(high, stop)
    else:
        low, high = spans[0][0], max(stop for _, stop, _ in spans)
    reach = low
    for start, stop, _ in spans:
        if start - reach > tolerated:
            return f"no granule from {_iso(reach)} to {_iso(start)}"
        reach = max(reach, stop)
    if high - reach > tolerated:
        return f"no granule from {_iso(reach)} to {_iso(high)}"
    return ""


def _inputs_write(job: Job, resolutions: list[Resolution], previous: Mapping[str, Resolution], *, now: datetime,
                  full: bool, first: bool) -> None:
    if full:
        changed = resolutions
        if not first:
            JobInput.objects.filter(job=job).delete()
    else:
        changed = [r for r in resolutions if r.key not in previous or previous[r.key].fingerprint() != r.fingerprint()]
        JobInput.objects.filter(job=job, key__in=[r.key for r in changed]).delete()
    rows = JobInput.objects.bulk_create([
        JobInput(job=job, key=r.key, position=r.position, mandatory=r.mandatory, status=r.status,
                 alternative_order=r.alternative.order if r.alternative else None,
                 policy=r.alternative.policy if r.alternative else "",
                 file_type=r.alternative.file_type if r.alternative else "",
                 file_name_type=r.alternative.file_name_type if r.alternative else "",
                 window_start=r.window[0] if r.window else None, window_stop=r.window[1] if r.window else None,
                 attempts=[a.as_json() for a in r.attempts], deadline_at=r.deadline, reason=r.reason,
                 awaited=[[a.product_type, _iso(a.window_start), _iso(a.window_stop)] for a in r.awaited],
                 evaluated_at=now)
        for r in changed])
    JobInputFile.objects.bulk_create([
        JobInputFile(job_input=row, position=n, product_id=f.product_id, name=f.name, start=f.start, stop=f.stop)
        for row, r in zip(rows, changed, strict=True) for n, f in enumerate(r.files, start=1)])


def _awaited_write(job: Job, resolutions: list[Resolution], *, first: bool, extra: Iterable[Awaited] = ()) -> None:
    """The job's awaited-type index: what its missing inputs need, plus `extra` (a session job's marker)."""
    merged: dict[str, tuple[datetime | None, datetime | None]] = {}
    for a in [*(a for r in resolutions for a in r.awaited), *extra]:
        if a.product_type in merged:
            start, stop = merged[a.product_type]
            if start is None or a.window_start is None or stop is None or a.window_stop is None:
                merged[a.product_type] = (None, None)
            else:
                merged[a.product_type] = (min(start, a.window_start), max(stop, a.window_stop))
        else:
            merged[a.product_type] = (a.window_start, a.window_stop)
    if not first:
        JobAwaitedType.objects.filter(job=job).delete()
    JobAwaitedType.objects.bulk_create([JobAwaitedType(job=job, product_type=t, window_start=s, window_stop=e)
                                        for t, (s, e) in merged.items()])


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _parse(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def stored_resolutions(job: Job, table: TaskTable) -> dict[str, Resolution]:
    """The resolutions saved by the last evaluation, rebuilt from the job's input rows (two queries, none when the
    caller prefetched `inputs__files` for a batch of jobs)."""
    declared = table.declared_inputs()
    found = {}
    prefetched = "inputs" in getattr(job, "_prefetched_objects_cache", {})
    rows = job.inputs.all() if prefetched else JobInput.objects.filter(job=job).prefetch_related("files")
    for row in rows:
        item = declared.get(row.key)
        if item is None:
            continue
        alternative = next((a for a in item.alternatives if a.order == row.alternative_order), None)
        attempts = tuple(
            Attempt(order=a["order"], origin=a["origin"], policy=a["policy"], file_type=a["file_type"],
                    catalog_types=tuple(a["catalog_types"]),
                    window=(_parse(a["window"][0]), _parse(a["window"][1])) if a["window"] else None,  # type: ignore[arg-type]
                    queries=tuple(a["queries"]), found=tuple(a["found"]), note=a["note"])
            for a in row.attempts)
        found[row.key] = Resolution(
            key=row.key, position=row.position, mandatory=row.mandatory, status=row.status, alternative=alternative,
            files=tuple(Selected(product_id=f.product_id, name=f.name, start=f.start, stop=f.stop)  # type: ignore[arg-type]
                        for f in row.files.all()),
            attempts=attempts, deadline=row.deadline_at, reason=row.reason,
            awaited=tuple(Awaited(t, _parse(s), _parse(e)) for t, s, e in row.awaited))
    return found


def joborder_parameters(job: Job, table: TaskTable, *, sensing: tuple[datetime, datetime],
                        workdir: str) -> dict[str, str | None]:
    """The JobOrder's Dyn_ProcParams: the table's defaults, then the rule's rendered; raises ParameterError (a
    ready job fails with it, and the dry run says so)."""
    rule = job.rule
    context = ParameterContext(
        mission=job.mission, platform=job.platform, timeliness=job.timeliness, workdir=workdir, job_id=job.pk,
        sensing_start=sensing[0], sensing_stop=sensing[1], interval_start=job.interval_start,
        interval_stop=job.interval_stop, acquisition_mode=job.acquisition_mode,
        processing_station=rule.processing_station, attributes=job.trigger_attributes)
    parameters: dict[str, str | None] = {p.name: p.default for p in table.dyn_params}
    for parameter in rule.parameters.all():  # replaces a table default in place, or comes after the table's
        parameters[parameter.name] = parameter_render(parameter.value, context)
    return parameters


def joborder_spec(job: Job, table: TaskTable, resolutions: Iterable[Resolution], *,
                  sensing: tuple[datetime, datetime], workdir: str) -> JobOrderSpec:
    rule = job.rule
    parameters = joborder_parameters(job, table, sensing=sensing, workdir=workdir)
    inputs = {}
    for r in resolutions:
        if r.alternative is None or r.status not in (InputStatus.FOUND, InputStatus.PROC):
            continue
        inputs[r.key] = JobOrderInput(
            origin=r.alternative.origin, file_type=r.alternative.file_type,
            file_name_type=r.alternative.file_name_type,
            files=tuple(JobOrderFile(name=f.name, start=f.start, stop=None if f.stop == FAR_FUTURE else f.stop)
                        for f in r.files))
    return JobOrderSpec(
        table=table, dialect=job.processor_version.joborder_dialect, workdir=workdir, sensing_start=sensing[0],
        sensing_stop=sensing[1], interval_start=job.interval_start, interval_stop=job.interval_stop,
        parameters=list(parameters.items()), inputs=inputs, processing_station=rule.processing_station,
        acquisition_station=rule.acquisition_station,
        session_inputs=session_joborder_inputs(job) if is_session_rule(rule) else ())


# --- what an arriving product wakes up --------------------------------------------------------------------------------


def awaiting_jobs(product: Product, *, exclude: Iterable[int] = ()) -> list[int]:
    """Ids of the preparing jobs that await this product's type in a window its interval meets: one indexed
    lookup on (product_type, window_stop, window_start), plus the jobs awaiting any product of the type."""
    if uses_validity(product.product_type) and product.validity_start is not None:
        start, stop = product.validity_start, product.validity_stop or FAR_FUTURE
    else:
        start, stop = product_interval(product)
    rows = JobAwaitedType.objects.filter(
        Q(window_stop__gte=start, window_start__lte=stop) | Q(window_stop__isnull=True),
        product_type=product.product_type,
    ).exclude(job_id__in=list(exclude)).values_list("job_id", flat=True)
    return sorted(set(rows))
