"""Dry run: the jobs a product, or the products sensed in a time window, would create or complete, with what
their inputs would resolve to now. Reads only: nothing is created, no event is consumed."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Q
from django.utils import timezone

from rs.catalog import selectors as catalog_selectors
from rs.catalog.models import Product
from rs.errors import DomainError
from rs.production.models import InputTimeout, Job, ProductionRule
from rs.production.preparation import outcome
from rs.production.registry import tasktable_of
from rs.production.resolution import JobFacts, Resolution, inputs_resolve
from rs.production.routing import (
    RoutingRefusal,
    group_of,
    polarisation_of,
    rules_active,
    rules_for,
    sampling_refusal,
)

MAX_PLANNED_PRODUCTS = 500  # a dry run answers within a request; a wider window must be split by the caller


@dataclass
class PlannedJob:
    rule: ProductionRule
    group_key: str
    start: datetime
    stop: datetime
    first: Product
    members: list[str] = field(default_factory=list)
    existing: Job | None = None
    resolutions: list[Resolution] = field(default_factory=list)
    state: str = ""
    reason: str = ""

    def as_json(self) -> dict[str, Any]:
        version = self.rule.processor_version
        return {
            "rule": self.rule.name, "processor": version.processor.name, "version": version.version,
            "group_key": self.group_key, "action": f"complete job {self.existing.pk}" if self.existing else "create",
            "existing_job": self.existing.pk if self.existing else None,
            "existing_state": self.existing.state if self.existing else None,
            "interval": [self.start.isoformat(), self.stop.isoformat()], "products": self.members,
            "state": self.state, "reason": self.reason,
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
    now = now or timezone.now()
    rules = list(rules_active())
    planned: dict[tuple[int, str], PlannedJob] = {}
    skipped: list[dict[str, str]] = []
    for product in products:
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
                                                                  stop=group.stop, first=product)
            elif group.union:
                job.start, job.stop = min(job.start, group.start), max(job.stop, group.stop)
            job.members.append(product.name)
    timeouts = list(InputTimeout.objects.all())
    for job in planned.values():
        job.existing = Job.objects.filter(rule=job.rule, group_key=job.group_key).first()
        if job.existing is not None and job.rule.grouping not in ("product", "time_window"):
            job.start = min(job.start, job.existing.interval_start)
            job.stop = max(job.stop, job.existing.interval_stop)
        _resolve(job, now=now, timeouts=timeouts)
    return Plan(jobs=list(planned.values()), skipped=skipped)


def _resolve(job: PlannedJob, *, now: datetime, timeouts: list[InputTimeout]) -> None:
    rule, product = job.rule, job.first
    created = job.existing.created_at if job.existing else now
    facts = JobFacts(
        processor_name=rule.processor_version.processor.name, processor_version=rule.processor_version.version,
        mission=product.mission, platform=product.platform, timeliness=product.timeliness,
        input_mode=rule.input_mode, acquisition_mode=product.mode,
        instrument_configuration_id=product.instrument_configuration_id,
        polarisation=polarisation_of(product, {}), interval_start=job.start, interval_stop=job.stop,
        created_at=created,
        mandatory_deadline_at=(job.existing.mandatory_deadline_at if job.existing
                               else now + timedelta(seconds=rule.mandatory_timeout_s)),
        sensing_time_from=rule.sensing_time_from, wide_interval_types=frozenset(rule.wide_interval_type_list))
    job.resolutions = inputs_resolve(tasktable_of(rule.processor_version), facts, now=now, timeouts=timeouts)
    job.state, job.reason, _ = outcome(job.resolutions, now)


def plan_for_product(*, product_id: Any) -> Plan:
    return plan_for_products([catalog_selectors.product_get(product_id=product_id)])


def plan_for_window(*, start: datetime, stop: datetime) -> Plan:
    """Every product sensed (or valid) in [start, stop] of a type some enabled event rule triggers on."""
    if stop <= start:
        raise DomainError("the window stop must be after its start", details={"stop": ["must be after start"]})
    types = sorted({t for rule in rules_active() for t in rule.product_type_list})
    sensed = Q(content_start__lt=stop, content_end__gt=start) | Q(validity_start__lt=stop, validity_stop__gt=start)
    products = list(catalog_selectors.products_for_selection().filter(sensed, product_type__in=types)
                    .order_by("content_start", "id")[:MAX_PLANNED_PRODUCTS + 1])
    if len(products) > MAX_PLANNED_PRODUCTS:
        raise DomainError(f"more than {MAX_PLANNED_PRODUCTS} triggering products in the window: narrow it",
                          details={"start": ["window too wide"], "stop": ["window too wide"]})
    return plan_for_products(products)
