"""Writes of the lifecycle: eviction runs, storage pressure, metadata purge, eviction-date recomputation.

Each run works in keyset-paged batches of what is due, so its cost follows the work, never the catalog's history,
and a run killed at any point is finished by the next one (see rs.catalog.services.products_evict).
"""

from __future__ import annotations

import logging
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from rs.catalog import selectors as catalog_selectors
from rs.catalog import services as catalog_services
from rs.catalog.choices import DeletionCause
from rs.lifecycle.guards import products_protected
from rs.lifecycle.models import LifecycleCursor, RetentionAction, StorageQuota
from rs.lifecycle.retention import (
    eviction_date_for,
    policies_compiled,
    policies_version_bump,
    policy_of_product,
)

logger = logging.getLogger(__name__)

PURGE_CURSOR = "metadata-purge"


@dataclass
class EvictionReport:
    evicted: int = 0
    removed: int = 0
    planned: list[dict[str, str]] = field(default_factory=list)  # dry run: what would go, and why
    protected: list[dict[str, str]] = field(default_factory=list)


def eviction_run(
    *, now: datetime | None = None, batch_size: int | None = None, limit: int | None = None, dry_run: bool = False
) -> EvictionReport:
    """Evict every online product whose EvictionDate has passed, except held or guarded ones.

    Batches go through a two-stage pipeline: while the database records batch N (one transaction, a few
    statements), a thread deletes the objects of batch N+1 (one DeleteObjects per 1,000 keys). Objects still go
    before their entries, so a crash anywhere leaves only online products without bytes, evicted by the next run."""
    now = now or timezone.now()
    size = batch_size or settings.RS_EVICTION_BATCH_SIZE
    report = EvictionReport()
    after: tuple[datetime, uuid.UUID] | None = None
    seen = 0
    pending: tuple[Future[list[uuid.UUID]], list[uuid.UUID]] | None = None

    def record(deleting: Future[list[uuid.UUID]], removable: list[uuid.UUID]) -> None:
        report.evicted += catalog_services.products_evicted_record(product_ids=deleting.result(),
                                                                   cause=DeletionCause.OBSOLETE)
        if removable:
            report.removed += catalog_services.products_purge(product_ids=removable)

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="eviction-objects") as objects:
        try:
            while limit is None or seen < limit:
                due = catalog_selectors.products_due_for_eviction(now=now, limit=size, after=after)
                if not due:
                    break
                seen += len(due)
                last = due[-1]
                assert last.eviction_date is not None
                after = (last.eviction_date, last.id)
                protected = products_protected(due, now=now)
                report.protected += [{"id": str(p.id), "name": p.name, "reason": protected[p.id]}
                                     for p in due if p.id in protected]
                evictable = [p for p in due if p.id not in protected]
                removable = []
                policies = policies_compiled()
                for product in evictable:
                    policy = policy_of_product(product, policies)
                    if policy is not None and policy.action == RetentionAction.REMOVE:
                        removable.append(product.id)
                    if dry_run:
                        report.planned.append({
                            "id": str(product.id), "name": product.name,
                            "reason": f"EvictionDate {product.eviction_date:%Y-%m-%dT%H:%M:%SZ} passed"
                                      + (f" (policy {policy.name}: {policy.action})" if policy else " (no policy now)"),
                        })
                if dry_run or not evictable:
                    continue
                # The keys are the page's (a storage key never changes); only the online state is read again, since
                # the page was read before the guards ran: a product that went offline since (another worker evicted
                # it, an operator took it offline) keeps whatever its key holds.
                online = catalog_selectors.product_ids_online(product_ids=[p.id for p in evictable])
                candidates = [(p.id, p.storage_key) for p in evictable if p.id in online]
                deleting = objects.submit(catalog_services.eviction_objects_delete, candidates=candidates)
                if pending is not None:
                    record(*pending)
                pending = (deleting, removable)
            if pending is not None:
                record(*pending)
                pending = None
        finally:
            if pending is not None:  # a failure above: wait for the deletion in flight, its entries stay online
                pending[0].exception()
    if report.evicted or report.protected:
        logger.info("eviction run: %d evicted, %d removed, %d protected", report.evicted, report.removed,
                    len(report.protected))
    return report


def pressure_run(*, now: datetime | None = None) -> dict[str, int]:
    """For each family above its high-water mark, evict the oldest evictable products down to the low-water mark."""
    now = now or timezone.now()
    evicted: dict[str, int] = {}
    for quota in StorageQuota.objects.order_by("family"):
        used = catalog_selectors.family_online_bytes(family=quota.family)
        if used * 100 <= quota.quota_bytes * quota.high_water_percent:
            continue
        target = quota.quota_bytes * quota.low_water_percent // 100
        skipped: set[uuid.UUID] = set()
        evicted[quota.family] = 0
        while used > target:
            oldest = catalog_selectors.products_oldest_online(
                family=quota.family, limit=settings.RS_EVICTION_BATCH_SIZE, exclude=skipped
            )
            if not oldest:
                logger.warning("storage pressure on %s: nothing left to evict (%d bytes used)", quota.family, used)
                break
            protected = products_protected(oldest, now=now)
            skipped |= set(protected)
            chosen, freed = [], 0
            for product in oldest:
                if product.id in protected:
                    continue
                chosen.append(product.id)
                freed += product.content_length
                if used - freed <= target:
                    break
            if chosen:
                evicted[quota.family] += catalog_services.products_evict(product_ids=chosen)
                used -= freed
    return evicted


def metadata_purge(*, now: datetime | None = None, batch_size: int = 1000) -> int:
    """Remove the entries of products evicted more than RS_METADATA_PURGE_AFTER_DAYS ago, following a watermark
    over DeletedProduct (deletion_date, id) so each record is looked at once."""
    now = now or timezone.now()
    before = now - timedelta(days=settings.RS_METADATA_PURGE_AFTER_DAYS)
    purged = 0
    while True:
        with transaction.atomic():
            cursor, _ = LifecycleCursor.objects.select_for_update().get_or_create(name=PURGE_CURSOR)
            after = None
            if cursor.value:
                after = (datetime.fromisoformat(cursor.value["date"]), uuid.UUID(cursor.value["id"]))
            batch = catalog_selectors.deleted_products_between(after=after, before=before, limit=batch_size)
            if not batch:
                return purged
            purged += catalog_services.products_purge(product_ids=[d.id for d in batch])
            last = batch[-1]
            cursor.value = {"date": last.deletion_date.isoformat(), "id": str(last.id)}
            cursor.save()


def eviction_dates_recompute(*, batch_size: int = 1000) -> int:
    """Recompute the EvictionDate of every published product after a policy change; returns how many changed."""
    changed = 0
    after: uuid.UUID | None = None
    while True:
        page = catalog_selectors.products_published_after(after_id=after, limit=batch_size)
        if not page:
            return changed
        after = page[-1].id
        dates = {}
        policies = policies_compiled()
        for product in page:
            new = eviction_date_for(product, policies)
            if new != product.eviction_date:
                dates[product.id] = new
        if dates:
            changed += catalog_services.products_eviction_dates_set(dates=dates)


def retention_policies_changed() -> None:
    """Called after any policy edit: processes reload the rules and every EvictionDate is recomputed."""
    policies_version_bump()
    from rs.lifecycle.tasks import eviction_dates_recompute_task

    transaction.on_commit(lambda: eviction_dates_recompute_task.delay())
