"""Every write of production: processor import, preparation entry points, job state changes.

Keyword-only and atomic; the event consumer, the Celery tasks, the admin, the API and the CLI call these.
"""

from __future__ import annotations

import hashlib
import logging
import re
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from rs.catalog import selectors as catalog_selectors
from rs.catalog.choices import OPERATIONAL_SCOPE, EventKind
from rs.errors import Conflict, DomainError, NotFound
from rs.production.choices import (
    PREPARING_STATES,
    TERMINAL_STATES,
    JobOrderDialect,
    JobState,
    Priority,
    TriggerKind,
)
from rs.production.joborder import dialect_guess
from rs.production.models import (
    Job,
    JobInputFile,
    JobMember,
    JobOutput,
    JobTransition,
    Processor,
    ProcessorVersion,
    ProductionRule,
    RuleParameter,
)
from rs.production.preparation import (
    awaiting_jobs,
    job_evaluate,
    job_for_group,
    job_locked,
    member_attach,
    needs_evaluation,
)
from rs.production.registry import registry_write
from rs.production.resolution import TimeoutRules
from rs.production.routing import (
    Group,
    RoutingRefusal,
    group_of,
    rule_matches,
    rules_active,
    rules_for,
    sampling_refusal,
    scope_refusal,
)
from rs.production.tasktables.definition import TaskTable
from rs.production.tasktables.parser import tasktable_parse
from rs.production.transitions import IllegalTransition, job_transition

if TYPE_CHECKING:
    from rs.catalog.selectors import CatalogEvent, Product

__all__ = ["IllegalTransition", "job_transition"]

logger = logging.getLogger(__name__)


class ProcessorVersionExists(Conflict):
    code = "processor_version_exists"


# --- processors ------------------------------------------------------------------------------------------------------


def processor_import(*, data: bytes, dialect: str = "", imported_by_id: int | None = None) -> ProcessorVersion:
    """Register a Task Table as a new processor version; refuses malformed tables and existing versions."""
    table = tasktable_parse(data)  # before any database work: a refused file costs nothing
    if dialect and dialect not in JobOrderDialect.values:
        raise DomainError(f"unknown JobOrder dialect {dialect!r} (one of {', '.join(JobOrderDialect.values)})")
    with transaction.atomic():
        return _processor_version_create(table, data=data, dialect=dialect, imported_by_id=imported_by_id)


def _processor_version_create(table: TaskTable, *, data: bytes, dialect: str,
                              imported_by_id: int | None) -> ProcessorVersion:
    processor, _ = Processor.objects.get_or_create(name=table.processor_name)
    if ProcessorVersion.objects.filter(processor=processor, version=table.version).exists():
        raise ProcessorVersionExists(f"{table.processor_name} {table.version} is already imported: "
                                     "a changed table needs a new <Version>")
    version = ProcessorVersion.objects.create(
        processor=processor, version=table.version, test=table.test, min_disk_space_mb=table.min_disk_space_mb,
        max_time_s=table.max_time_s, sensing_time_flag=table.sensing_time_flag, spelling=table.spelling,
        joborder_dialect=dialect or dialect_guess(table), table_xml=_xml_text(data),
        sha256=hashlib.sha256(data).hexdigest(), imported_by_id=imported_by_id)
    registry_write(version, table)
    return version


def _xml_text(data: bytes) -> str:
    """The table as text in its declared encoding (ISO-8859-1 occurs), for display; parsing used the bytes."""
    declared = re.match(rb"""<\?xml[^>]*encoding=["']([A-Za-z0-9._-]+)["']""", data)
    try:
        return data.decode(declared.group(1).decode() if declared else "utf-8", errors="replace")
    except LookupError:
        return data.decode("utf-8", errors="replace")


# --- preparation -----------------------------------------------------------------------------------------------------


def preparation_event_handle(*, event: CatalogEvent) -> None:
    """The consumer body: jobs for a newly catalogued product, then the waiting jobs it may complete."""
    if event.kind != EventKind.CREATED:
        return
    try:
        product = catalog_selectors.product_get(product_id=event.product_id)
    except NotFound:  # deleted before its event was delivered: nothing to prepare
        return
    if scope_refusal(product):  # validation campaigns run their own jobs
        return
    touched = product_prepare(product=product, rules=rules_for(product, rules_active()))
    awaited_wake(product=product, exclude=touched)


def product_prepare(*, product: Product, rules: Iterable[ProductionRule]) -> list[int]:
    """Create or complete the job of each rule the product triggers; returns the ids of those jobs."""
    touched: list[int] = []
    attributes: dict[str, object] | None = None
    for rule in rules:
        if attributes is None:
            attributes = catalog_selectors.product_attribute_values(product_id=product.id)
        refusal = sampling_refusal(rule, product, attributes)
        if refusal:
            logger.info("rule %s skips %s: %s", rule.name, product.name, refusal)
            continue
        try:
            group = group_of(rule, product, attributes)
        except RoutingRefusal as exc:
            logger.warning("rule %s cannot group %s: %s", rule.name, product.name, exc)
            continue
        touched.append(_group_join(rule=rule, group=group, product=product, attributes=attributes))
    return touched


def _group_join(*, rule: ProductionRule, group: Group, product: Product, attributes: dict[str, object]) -> int:
    """Make the product a member of its group's job (created when new) and prepare the job again; its id."""
    job, created = job_for_group(rule=rule, group=group, product=product, attributes=attributes)
    changed = member_attach(job=job, group=group, product=product, created=created)
    if needs_evaluation(job, changed=changed):  # a new member: the selections (and settle time) may move
        job_evaluate(job)
    elif job.state not in PREPARING_STATES:
        logger.info("job %s (%s) is %s: %s recorded, not re-prepared", job.pk, job.group_key, job.state,
                    product.name)
    return int(job.pk)


def awaited_wake(*, product: Product, exclude: Iterable[int] = ()) -> int:
    """Re-evaluate the jobs awaiting this product's type in a window it meets. Never waits for a job lock (no lock
    cycle with routing): a job another worker holds is re-evaluated by a follow-up task after the commit."""
    ids = awaiting_jobs(product, exclude=exclude)
    if not ids:
        return 0
    jobs = list(Job.objects.select_for_update(of=("self",), skip_locked=True)
                .select_related("rule", "processor_version__processor")
                .prefetch_related("inputs__files", "rule__parameters")  # one query each for the whole batch
                .filter(pk__in=ids, state__in=list(PREPARING_STATES)).order_by("pk"))
    timeouts = TimeoutRules()  # read once for the batch, and only if a missing optional input needs them
    for job in jobs:
        job_evaluate(job, awaited_type=product.product_type, timeouts=timeouts)
    skipped = sorted(set(ids) - {j.pk for j in jobs})
    if skipped:
        product_type = product.product_type

        def follow_up() -> None:
            from rs.production.tasks import preparation_job_reevaluate_task

            for job_id in skipped:
                preparation_job_reevaluate_task.delay(job_id, product_type)

        transaction.on_commit(follow_up)
    return len(jobs)


def jobs_input_withdrawn(*, product_id: uuid.UUID) -> int:
    """A product left the catalogue (evicted or deleted): prepare again the jobs not yet queued that selected it
    (a ready job goes back to waiting if nothing replaces it). Returns how many jobs were re-evaluated."""
    ids = sorted(set(JobInputFile.objects.filter(product_id=product_id, job_input__job__state__in=list(
        PREPARING_STATES)).values_list("job_input__job_id", flat=True)))
    jobs = list(Job.objects.select_for_update(of=("self",)).select_related("rule", "processor_version__processor")
                .filter(pk__in=ids, state__in=list(PREPARING_STATES)).order_by("pk"))
    for job in jobs:
        job_evaluate(job)
    return len(jobs)


@transaction.atomic
def job_reevaluate(*, job_id: int, product_type: str | None = None) -> bool:
    job = job_locked(job_id)
    if job is None:
        return False
    return job_evaluate(job, awaited_type=product_type)


def jobs_timeouts_check(*, now: datetime | None = None, limit: int = 1000) -> int:
    """Re-evaluate preparing jobs whose next timeout has passed, one claimed job (SKIP LOCKED) per transaction."""
    now = now or timezone.now()
    seen: list[int] = []
    while len(seen) < limit:
        with transaction.atomic():
            job = (Job.objects.select_for_update(of=("self",), skip_locked=True)
                   .select_related("rule", "processor_version__processor")
                   .filter(state__in=list(PREPARING_STATES), next_check_at__lte=now).exclude(pk__in=seen)
                   .order_by("next_check_at").first())
            if job is None:
                break
            seen.append(job.pk)
            job_evaluate(job, missing_only=True, now=now)
    return len(seen)


def schedule_rules_run(*, now: datetime | None = None) -> int:
    """Schedule-triggered rules (S3 STC/NTC): every N minutes, the products of the rule's types catalogued since
    its last run go through the rule. Each rule is claimed (SKIP LOCKED) so one worker runs it. Returns the
    number of products routed."""
    now = now or timezone.now()
    routed = 0
    for rule_id in ProductionRule.objects.filter(enabled=True, trigger=TriggerKind.SCHEDULE).values_list("pk",
                                                                                                          flat=True):
        with transaction.atomic():
            rule = rules_active(trigger=TriggerKind.SCHEDULE).select_for_update(of=("self",), skip_locked=True) \
                .filter(pk=rule_id).first()
            if rule is None or rule.interval_minutes is None:
                continue
            interval = timedelta(minutes=rule.interval_minutes)
            if rule.last_run_at is not None and rule.last_run_at + interval > now:
                continue
            since = rule.last_run_at or now - interval
            products = catalog_selectors.products_catalogued_between(product_types=rule.product_type_list,
                                                                     since=since, until=now)
            for product in products.iterator(chunk_size=500):
                if rule_matches(rule, product):
                    product_prepare(product=product, rules=[rule])
                    routed += 1
            ProductionRule.objects.filter(pk=rule.pk).update(last_run_at=now)
    return routed


# --- operator actions ------------------------------------------------------------------------------------------------


def _job_for_update(job_id: int) -> Job:
    job = job_locked(job_id)
    if job is None:
        raise NotFound(f"no job {job_id}")
    return job


@transaction.atomic
def job_cancel(*, job_id: int, reason: str = "cancelled by an operator") -> Job:
    """Any job not yet finished; a running one is stopped by its worker at its next lease renewal (its processes
    killed, nothing registered)."""
    return job_transition(job=_job_for_update(job_id), to=JobState.CANCELLED, reason=reason,
                          fields={"lease_until": None, "retry_at": None})


@transaction.atomic
def job_retry(*, job_id: int) -> Job:
    """Operator retry. A failed job is prepared again from scratch (fresh mandatory deadline, fresh automatic-retry
    budget) and runs as soon as it is ready; a job waiting for its automatic retry is sent at once."""
    job = _job_for_update(job_id)
    if job.state == JobState.RETRYING:
        Job.objects.filter(pk=job.pk).update(retry_at=timezone.now(), automatic_retries=0)
        from rs.production.execution.claims import job_dispatch_on_commit

        job_dispatch_on_commit(job.pk)
        job.automatic_retries = 0
        return job
    job_transition(job=job, to=JobState.RETRYING, reason="retried by an operator", fields={"automatic_retries": 0})
    job.mandatory_deadline_at = timezone.now() + timedelta(seconds=job.rule.mandatory_timeout_s)
    job_transition(job=job, to=JobState.WAITING_INPUTS, reason="prepared again",
                   fields={"mandatory_deadline_at": job.mandatory_deadline_at})
    job_evaluate(job)
    return job


@transaction.atomic
def job_deadline_extend(*, job_id: int, seconds: int) -> Job:
    """Operator decision: wait longer for a job's mandatory inputs."""
    if seconds <= 0:
        raise DomainError("the extension must be a positive number of seconds")
    job = _job_for_update(job_id)
    if job.state != JobState.WAITING_INPUTS:
        raise Conflict(f"job {job_id} is {job.state}: only a waiting job's deadline can be extended")
    job.mandatory_deadline_at = job.mandatory_deadline_at + timedelta(seconds=seconds)
    Job.objects.filter(pk=job.pk).update(mandatory_deadline_at=job.mandatory_deadline_at)
    job_evaluate(job)
    return job


@transaction.atomic
def job_resubmit(*, job_id: int) -> Job:
    """Operator resubmission of a finished job (succeeded, failed, cancelled): a new job of the same rule over the
    same products, prepared from scratch; the original stays as it is for the record."""
    original = _job_for_update(job_id)
    if original.state not in (JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED):
        raise Conflict(f"job {job_id} is {original.state}: only a succeeded, failed or cancelled job is resubmitted "
                       f"(retry or cancel it instead)")
    base = original.group_key.split("#resubmit-")[0]
    taken = Job.objects.filter(rule_id=original.rule_id, group_key__startswith=f"{base}#resubmit-").count()
    now = timezone.now()
    fields = {f.name: getattr(original, f.name) for f in Job._meta.concrete_fields if f.name in _RESUBMIT_COPIED}
    job = Job.objects.create(
        **fields, rule_id=original.rule_id, processor_version_id=original.processor_version_id,
        trigger_product_id=original.trigger_product_id, group_key=f"{base}#resubmit-{taken + 1}"[:255],
        state=JobState.WAITING_INPUTS, created_at=now, state_changed_at=now, waiting_at=now,
        mandatory_deadline_at=now + timedelta(seconds=original.rule.mandatory_timeout_s))
    JobTransition.objects.create(job=job, from_state="", to_state=JobState.WAITING_INPUTS, at=now,
                                 reason=f"resubmission of job {original.pk}")
    JobMember.objects.bulk_create([
        JobMember(job=job, product_id=m.product_id, product_name=m.product_name, start=m.start, stop=m.stop)
        for m in original.members.all()])
    job_evaluate(job)
    return job


_RESUBMIT_COPIED = frozenset({
    "mission", "platform", "timeliness", "input_mode", "acquisition_mode", "instrument_configuration_id",
    "polarisation", "priority", "queue", "interval_start", "interval_stop", "trigger_attributes", "settle_until"})


# --- isolated production (validation campaigns) ----------------------------------------------------------------------


@dataclass(frozen=True)
class ScopedJobs:
    rule_id: int
    job_ids: list[int]
    skipped: list[dict[str, str]]  # products that make no job, with the reason


_TEMPLATE_COPIED = ("mission", "platform", "product_types", "family", "timeliness", "grouping", "window_s",
                    "granule_gap_s", "granule_wait_edges", "input_mode", "mandatory_timeout_s", "processing_station",
                    "acquisition_station", "sensing_time_from", "wide_interval_types")


def rule_from_template(*, template: ProductionRule, version: ProcessorVersion, parameters: Mapping[str, str],
                       **fields: Any) -> ProductionRule:
    """A disabled rule of its own for `version` (catalog events and schedules never run it; waiting jobs are still
    woken by arriving inputs): the template's trigger types, grouping and stations, `fields` on top, and
    `parameters` over the template's. Ad-hoc orders and validation campaigns make their jobs with one."""
    rule = ProductionRule.objects.create(
        enabled=False, processor_version=version, trigger=TriggerKind.EVENT, settle_s=0, priority_by_timeliness={},
        sample_every_nth_datatake=1, **{name: getattr(template, name) for name in _TEMPLATE_COPIED}, **fields)
    values = {p.name: p.value for p in template.parameters.all()}
    values.update(parameters)
    RuleParameter.objects.bulk_create([RuleParameter(rule=rule, position=n, name=name, value=value)
                                       for n, (name, value) in enumerate(values.items())])
    return rule


def products_prepare_with(*, rule: ProductionRule, products: Sequence[Product],
                          template_name: str | None = None) -> list[dict[str, str]]:
    """Prepare each product with `rule` (a rule_from_template) as a catalog event would; returns the products that
    make no job, with the reason. With `template_name`, a product the rule's trigger does not match is refused too."""
    rule.has_time_windows = False  # type: ignore[attr-defined]  # a new rule has none: skip the queries
    rule.has_recurring_windows = False  # type: ignore[attr-defined]
    skipped = []
    for product in products:
        attributes = catalog_selectors.product_attribute_values(product_id=product.id)
        reason = ""
        if template_name is not None and not rule_matches(rule, product):
            reason = f"a {product.product_type} does not trigger {template_name}"
        reason = reason or sampling_refusal(rule, product, attributes)
        if not reason:
            try:
                group = group_of(rule, product, attributes)
            except RoutingRefusal as exc:
                reason = str(exc).removeprefix(f"{product.name}: ")
            else:
                _group_join(rule=rule, group=group, product=product, attributes=attributes)
                continue
        skipped.append({"product": product.name, "reason": reason})
    return skipped


def scoped_jobs_create(*, rule_name: str, scope: str, template: ProductionRule, version: ProcessorVersion,
                       parameters: Mapping[str, str], products: Sequence[Product],
                       output_retention_days: int | None = None, retry_after_max_time: bool = True) -> ScopedJobs:
    """Jobs of `version` over `products`, isolated from operational production: a rule of their own, disabled (no
    catalog event or schedule runs it), copied from `template` (trigger types, grouping, stations) with
    `parameters` over the template's, at low priority, whose outputs are registered in `scope` and never published.
    Every product goes through `product_prepare` with that rule as a catalog event would, so jobs are grouped and
    their inputs resolved exactly as in operations. `output_retention_days` gives the outputs their EvictionDate;
    `retry_after_max_time` off fails a job killed at its Max_Time at once. Call it inside the caller's
    transaction."""
    if scope == OPERATIONAL_SCOPE:
        raise ValueError("isolated jobs need a scope of their own")
    rule = rule_from_template(
        template=template, version=version, parameters=parameters, name=rule_name, priority=Priority.LOW,
        publish_outputs=False, output_scope=scope, output_retention_days=output_retention_days,
        retry_after_max_time=retry_after_max_time)
    skipped = products_prepare_with(rule=rule, products=products, template_name=template.name)
    job_ids = list(Job.objects.filter(rule=rule).order_by("pk").values_list("pk", flat=True))
    return ScopedJobs(rule_id=rule.pk, job_ids=job_ids, skipped=skipped)


def scoped_rule_delete(*, rule_id: int, batch_size: int = 200, on_page: Callable[[], None] | None = None) -> int:
    """Delete an isolated rule (scoped_jobs_create) with everything it made: its jobs' registered outputs (through
    the catalogue: objects, entries, records of their eviction), the objects the jobs left (outputs planned but
    never registered, archived working directories), the jobs with their history, then the rule. A page of jobs at
    a time, objects first, so a call interrupted at any point is finished by the next one. Refused while a job is
    unfinished; a rule already gone is no error. `on_page` is called before each page (a caller renews its lease
    there, or stops by raising). Returns how many jobs were deleted."""
    from rs.catalog import services as catalog_services
    from rs.catalog.storage import object_store

    rule = ProductionRule.objects.filter(pk=rule_id).first()
    if rule is None:
        return 0
    if rule.output_scope == OPERATIONAL_SCOPE:
        raise Conflict(f"rule {rule.name} is operational: only isolated rules are deleted with their jobs")
    unfinished = Job.objects.filter(rule_id=rule_id).exclude(state__in=list(TERMINAL_STATES)).count()
    if unfinished:
        raise Conflict(f"rule {rule.name} has {unfinished} unfinished job(s): cancel them or let them finish")
    deleted = 0
    while True:
        if on_page is not None:
            on_page()
        page = list(Job.objects.filter(rule_id=rule_id).order_by("pk")
                    .values_list("pk", "workdir_archive_key")[:batch_size])
        if not page:
            break
        ids = [pk for pk, _ in page]
        keys = [key for _, key in page if key]
        products = []
        for key, extra, product_id in JobOutput.objects.filter(job_id__in=ids).values_list(
                "storage_key", "extra_keys", "product_id"):
            keys += [key, *extra]
            if product_id is not None:
                products.append(product_id)
        catalog_services.scoped_products_remove(product_ids=products)
        if catalog_selectors.products_by_ids(ids=products).exists():  # locked: another deletion is at work
            raise Conflict(f"rule {rule.name}: its outputs are being removed by another request; try again")
        object_store().delete_many(k for k in keys if k)
        with transaction.atomic():
            _, by_model = Job.objects.filter(pk__in=ids, state__in=list(TERMINAL_STATES)).delete()
        deleted += by_model.get(Job._meta.label, 0)
        if Job.objects.filter(pk__in=ids).exists():  # retried meanwhile
            raise Conflict(f"rule {rule.name}: a job was retried while its jobs were being deleted; try again")
    ProductionRule.objects.filter(pk=rule_id).delete()  # its parameters and time windows go with it
    return deleted
