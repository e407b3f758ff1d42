"""Dry run: the jobs a product, or the products sensed in a time window, would create or complete, with what
their inputs would resolve to now. Reads only: nothing is created, no event is consumed.

Every decision is the one preparation takes, through the same functions: the product's scope, the rule's trigger,
sampling (datatakes, area, time windows) and grouping (`routing`), then per job what `product_prepare` would do with
it — the job as `job_new` would make it or as it exists, the members and the interval it would have, the settle
time a new member restarts, whether it is prepared again at all (`needs_evaluation`), and the evaluation's gates
(`job_assess`: inputs, mandatory deadline, granule window completeness, session completeness; the JobOrder
parameters of a job found ready). A job's `state` and `reason` are what the job row would hold afterwards. The jobs
awaiting the product as an input are assessed as `awaited_wake` would re-evaluate them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db.models import Q
from django.utils import timezone

from rs.catalog import selectors as catalog_selectors
from rs.errors import DomainError
from rs.production.choices import PREPARING_STATES, JobState
from rs.production.models import Job, JobMember, ProductionRule
from rs.production.parameters import ParameterError
from rs.production.preparation import (
    Assessment,
    MemberSpan,
    awaiting_jobs,
    interval_joined,
    job_assess,
    job_new,
    joborder_parameters,
    needs_evaluation,
    parameter_refusal,
    reason_recorded,
    settle_deadline,
    stored_resolutions,
    workdir_of,
)
from rs.production.registry import tasktable_of
from rs.production.resolution import Resolution, TimeoutRules
from rs.production.routing import (
    Group,
    RoutingRefusal,
    group_of,
    product_interval,
    rules_active,
    rules_for,
    sampling_refusal,
    scope_refusal,
)

if TYPE_CHECKING:
    from rs.catalog.selectors import Product

MAX_PLANNED_PRODUCTS = 500  # a dry run answers within a request; a wider window must be split by the caller


@dataclass
class PlannedJob:
    rule: ProductionRule
    group_key: str
    start: datetime
    stop: datetime
    members: list[str] = field(default_factory=list)
    existing: Job | None = None
    resolutions: list[Resolution] = field(default_factory=list)
    state: str = ""
    reason: str = ""
    settle_until: datetime | None = None  # a waiting job with every input found waits for its group to settle
    # the products joining the job, in event order, with their attributes and group (empty: a job woken as an input)
    joining: list[tuple[Product, dict[str, object], Group]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        version = self.rule.processor_version
        return {
            "rule": self.rule.name, "processor": version.processor.name, "version": version.version,
            "group_key": self.group_key, "action": f"complete job {self.existing.pk}" if self.existing else "create",
            "existing_job": self.existing.pk if self.existing else None,
            "existing_state": self.existing.state if self.existing else None,
            "interval": [self.start.isoformat(), self.stop.isoformat()], "products": self.members,
            "state": self.state, "reason": self.reason,
            "settle_until": self.settle_until.isoformat() if self.settle_until else None,
            "inputs": [{"key": r.key, "mandatory": r.mandatory, "status": r.status, "reason": r.reason,
                        "file_type": r.alternative.file_type if r.alternative else "",
                        "files": [f.name for f in r.files],
                        "gives_up_at": r.deadline.isoformat() if r.deadline else None,
                        "alternatives": [a.as_json() for a in r.attempts]} for r in self.resolutions],
        }


@dataclass
class Plan:
    jobs: list[PlannedJob]
    skipped: list[dict[str, str]]

    def as_json(self) -> dict[str, Any]:
        return {"jobs": [j.as_json() for j in self.jobs], "skipped": self.skipped}


def plan_for_products(products: list[Product], *, now: datetime | None = None) -> Plan:
    """The products taken in the given order, as their `created` events would be."""
    now = now or timezone.now()
    rules = list(rules_active())
    planned: dict[tuple[int, str], PlannedJob] = {}
    skipped: list[dict[str, str]] = []
    operational = []
    for product in products:
        refusal = scope_refusal(product)
        if refusal:
            skipped.append({"product": product.name, "rule": "", "reason": refusal})
            continue
        operational.append(product)
        matching = rules_for(product, rules)
        if not matching:
            continue
        attributes = catalog_selectors.product_attribute_values(product_id=product.id)
        for rule in matching:
            refusal = sampling_refusal(rule, product, attributes)
            group = None
            try:
                group = None if refusal else group_of(rule, product, attributes)
            except RoutingRefusal as exc:
                refusal = str(exc)
            if group is None:
                skipped.append({"product": product.name, "rule": rule.name, "reason": refusal})
                continue
            job = planned.get((rule.pk, group.key))
            if job is None:
                job = planned[(rule.pk, group.key)] = PlannedJob(rule=rule, group_key=group.key, start=group.start,
                                                                  stop=group.stop)
            job.joining.append((product, attributes, group))
            job.members.append(product.name)
    timeouts = TimeoutRules()  # read once, and only if a missing optional input needs them
    for job in planned.values():
        _group_job_assess(job, now=now, timeouts=timeouts)
    joined = [job.existing.pk for job in planned.values() if job.existing is not None]
    woken = _woken_jobs_assess(operational, exclude=joined, now=now, timeouts=timeouts)
    return Plan(jobs=[*planned.values(), *woken], skipped=skipped)


def _group_job_assess(job: PlannedJob, *, now: datetime, timeouts: TimeoutRules) -> None:
    """What `product_prepare` would leave on the job after its products joined it, one after the other."""
    rule = job.rule
    first, attributes, group = job.joining[0]
    existing = (Job.objects.select_related("rule", "processor_version__processor")
                .filter(rule=rule, group_key=group.key).first())
    spans: list[tuple[MemberSpan, str]] = []
    if existing is None:
        record = job_new(rule=rule, group=group, product=first, attributes=attributes, now=now)
    else:
        record = existing  # changed in memory only, never saved
        spans = [((pid, start, stop), name) for pid, name, start, stop in JobMember.objects.filter(job=existing)
                 .values_list("product_id", "product_name", "start", "stop")]
    known = {name for _, name in spans}
    changed = False
    for product, _, joining in job.joining:  # member_attach, product by product
        if product.name not in known:
            known.add(product.name)
            start, stop = product_interval(product)
            spans.append(((product.id, start, stop), product.name))
            record.settle_until = settle_deadline(rule, now) or record.settle_until
            changed = True
        interval = interval_joined(record, joining)
        if interval != (record.interval_start, record.interval_stop):
            record.interval_start, record.interval_stop = interval
            changed = True
    job.existing, job.start, job.stop = existing, record.interval_start, record.interval_stop
    job.settle_until = record.settle_until
    table = tasktable_of(record.processor_version)
    if not needs_evaluation(record, changed=changed):  # the job only records its members: it stays as it is
        job.resolutions = sorted(stored_resolutions(record, table).values(), key=lambda r: r.position)
        job.state, job.reason = record.state, record.reason
        return
    assessed = job_assess(record, table, now=now, timeouts=timeouts, members=[span for span, _ in spans])
    _verdict(job, record, assessed)


def _woken_jobs_assess(products: list[Product], *, exclude: list[int], now: datetime,
                       timeouts: TimeoutRules) -> list[PlannedJob]:
    """The preparing jobs awaiting the products' types in a window they meet, re-assessed as `awaited_wake` would
    (only their inputs awaiting those types)."""
    types: dict[int, set[str]] = {}
    for product in products:
        for job_id in awaiting_jobs(product, exclude=exclude):
            types.setdefault(job_id, set()).add(product.product_type)
    if not types:
        return []
    woken = []
    for record in (Job.objects.select_related("rule__processor_version__processor", "processor_version__processor")
                   .filter(pk__in=list(types), state__in=list(PREPARING_STATES)).order_by("pk")):
        table = tasktable_of(record.processor_version)
        assessed = job_assess(record, table, now=now, timeouts=timeouts, awaited_types=sorted(types[record.pk]))
        job = PlannedJob(rule=record.rule, group_key=record.group_key, start=record.interval_start,
                         stop=record.interval_stop, existing=record, settle_until=record.settle_until)
        _verdict(job, record, assessed)
        woken.append(job)
    return woken


def _verdict(job: PlannedJob, record: Job, assessed: Assessment) -> None:
    """The state and reason `job_evaluate` would record for the assessment (a job found ready still fails when its
    JobOrder parameters cannot be rendered)."""
    state, reason = assessed.state, assessed.reason
    if state == JobState.READY:
        try:
            joborder_parameters(record, tasktable_of(record.processor_version), sensing=assessed.sensing,
                                workdir=workdir_of(record.pk))
        except ParameterError as exc:
            state, reason = parameter_refusal(exc)
    job.resolutions = assessed.resolutions
    job.state = state
    job.reason = reason_recorded(record, state=state, reason=reason, writes_reason=assessed.writes_reason)


def plan_for_product(*, product_id: Any) -> Plan:
    return plan_for_products([catalog_selectors.product_get(product_id=product_id)])


def plan_for_window(*, start: datetime, stop: datetime) -> Plan:
    """Every product sensed (or valid) in [start, stop] of a type some enabled event rule triggers on, in the order
    they were catalogued (their events' order)."""
    if stop <= start:
        raise DomainError("the window stop must be after its start", details={"stop": ["must be after start"]})
    types = sorted({t for rule in rules_active() for t in rule.product_type_list})
    sensed = Q(content_start__lt=stop, content_end__gt=start) | Q(validity_start__lt=stop, validity_stop__gt=start)
    products = list(catalog_selectors.products_for_selection().filter(sensed, product_type__in=types)
                    .order_by("content_start", "id")[:MAX_PLANNED_PRODUCTS + 1])
    if len(products) > MAX_PLANNED_PRODUCTS:
        raise DomainError(f"more than {MAX_PLANNED_PRODUCTS} triggering products in the window: narrow it",
                          details={"start": ["window too wide"], "stop": ["window too wide"]})
    return plan_for_products(sorted(products, key=lambda p: (p.created_at, p.content_start)))
