"""Consistency of catalog and object storage: objects with no product, products with no object, size (and, on
request, checksum) mismatches. Streaming in pages, resumable from the run's cursor, with an optional repair.

Pass 1 lists the store under each prefix and looks the keys up in the catalog a page at a time, recording the
products it saw; pass 2 pages through the online products and reports those not seen. A run killed at any point
resumes with `storage check --resume`, skipping what its cursor says is done.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from rs.catalog import selectors as catalog_selectors
from rs.catalog import services as catalog_services
from rs.catalog.choices import DeletionCause
from rs.catalog.storage import ObjectNotFound, object_store
from rs.lifecycle.models import StorageCheckRun, StorageCheckSeen, StorageCheckStatus

logger = logging.getLogger(__name__)

PREFIXES = ("products/", "assets/")
PAGE = 1000
MAX_STORED_FINDINGS = 1000  # the run row keeps the first ones; the command prints every one as it goes

Finding = dict[str, Any]
Reporter = Callable[[Finding], None]


def _pages(iterator: Iterator[tuple[str, int]], size: int) -> Iterator[list[tuple[str, int]]]:
    page: list[tuple[str, int]] = []
    for item in iterator:
        page.append(item)
        if len(page) == size:
            yield page
            page = []
    if page:
        yield page


class _Check:
    def __init__(self, run: StorageCheckRun, report: Reporter) -> None:
        self.run = run
        self.report = report
        self.store = object_store()
        self.counts: dict[str, int] = {k: int(v) for k, v in run.counts.items()}

    def finding(self, kind: str, **details: Any) -> None:
        finding = {"kind": kind, **details}
        self.counts[kind] = self.counts.get(kind, 0) + 1
        if len(self.run.findings) < MAX_STORED_FINDINGS:
            self.run.findings.append(finding)
        self.report(finding)

    def checkpoint(self, **cursor: Any) -> None:
        self.run.cursor = cursor
        self.run.counts = self.counts
        self.run.save(update_fields=["cursor", "counts", "findings"])

    # pass 1 ---------------------------------------------------------------------------------------------------
    def objects_pass(self) -> None:
        cursor = self.run.cursor
        start_prefix = cursor.get("prefix", PREFIXES[0]) if cursor.get("phase") == "objects" else PREFIXES[0]
        resume_after = cursor.get("pages_done", 0) if cursor.get("phase") == "objects" else 0
        for prefix in PREFIXES[PREFIXES.index(start_prefix):]:
            done = resume_after if prefix == start_prefix else 0
            for number, page in enumerate(_pages(self.store.list_keys(prefix), PAGE), start=1):
                if number <= done:
                    continue  # checked before the interruption; the listing order of a store is stable
                self._objects_page(page)
                self.checkpoint(phase="objects", prefix=prefix, pages_done=number)
            resume_after = 0
        self.checkpoint(phase="products")

    def _objects_page(self, page: list[tuple[str, int]]) -> None:
        owners = catalog_selectors.storage_owners(keys=[key for key, _ in page])
        seen = []
        for key, size in page:
            self.counts["objects"] = self.counts.get("objects", 0) + 1
            owner = owners.get(key)
            if owner is None:
                self._orphan(key, size)
                continue
            kind, product_id, catalogued = owner
            if kind == "product":
                seen.append(StorageCheckSeen(run=self.run, product_id=product_id))
            if size != catalogued:
                self.finding("size_mismatch", key=key, product_id=str(product_id), stored=size, catalogued=catalogued)
                if self.run.repair and kind == "product":
                    catalog_services.products_evict(product_ids=[product_id], cause=DeletionCause.CORRUPTED)
            elif self.run.verify_checksums and kind == "product":
                self._verify_md5(key, product_id)
        StorageCheckSeen.objects.bulk_create(seen, ignore_conflicts=True)

    def _orphan(self, key: str, size: int) -> None:
        self.finding("orphan_object", key=key, size=size)
        if not self.run.repair:
            return
        # Ingestion stores the bytes before it catalogues them: only objects older than the grace are orphans.
        try:
            age = timezone.now() - self.store.modified(key)
        except ObjectNotFound:
            return
        if age > timedelta(seconds=settings.RS_STORAGE_CHECK_ORPHAN_GRACE_S):
            self.store.delete(key)
            self.counts["orphan_deleted"] = self.counts.get("orphan_deleted", 0) + 1

    def _verify_md5(self, key: str, product_id: uuid.UUID) -> None:
        product = catalog_selectors.product_get(product_id=product_id)
        if not product.md5:
            return
        digest = hashlib.md5()
        for chunk in self.store.open_range(key=key):
            digest.update(chunk)
        if digest.hexdigest() != product.md5:
            self.finding("checksum_mismatch", key=key, product_id=str(product_id), stored=digest.hexdigest(),
                         catalogued=product.md5)
            if self.run.repair:
                catalog_services.products_evict(product_ids=[product_id], cause=DeletionCause.CORRUPTED)

    # pass 2 ---------------------------------------------------------------------------------------------------
    def products_pass(self) -> None:
        after = self.run.cursor.get("after")
        after_id = uuid.UUID(after) if after else None
        while True:
            page = catalog_selectors.products_online_page(after_id=after_id, limit=PAGE)
            if not page:
                break
            ids = [pid for pid, _, _ in page]
            seen = set(StorageCheckSeen.objects.filter(run=self.run, product_id__in=ids)
                       .values_list("product_id", flat=True))
            missing = [(pid, key) for pid, key, _ in page if pid not in seen]
            for pid, key in missing:
                self.finding("missing_object", key=key, product_id=str(pid))
            if missing and self.run.repair:
                catalog_services.products_evict(product_ids=[pid for pid, _ in missing],
                                                cause=DeletionCause.CORRUPTED)
            after_id = ids[-1]
            self.checkpoint(phase="products", after=str(after_id))


def storage_check(
    *, repair: bool = False, verify_checksums: bool = False, resume: bool = False, report: Reporter = lambda f: None
) -> StorageCheckRun:
    """Run (or resume the last unfinished) consistency check; returns the finished run with its counts."""
    run = None
    if resume:
        run = StorageCheckRun.objects.filter(status=StorageCheckStatus.RUNNING).order_by("-started_at").first()
    if run is None:
        run = StorageCheckRun.objects.create(repair=repair, verify_checksums=verify_checksums,
                                             cursor={"phase": "objects"})
    check = _Check(run, report)
    try:
        if run.cursor.get("phase", "objects") == "objects":
            check.objects_pass()
        check.products_pass()
    except Exception as exc:
        run.status = StorageCheckStatus.FAILED
        run.error = f"{type(exc).__name__}: {exc}"
        run.counts = check.counts
        run.save()
        raise
    run.status = StorageCheckStatus.FINISHED
    run.finished_at = timezone.now()
    run.counts = check.counts
    run.save()
    StorageCheckSeen.objects.filter(run=run).delete()
    return run
