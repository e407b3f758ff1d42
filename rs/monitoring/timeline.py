"""A product's timeline (what happened to it, when) from its catalogue row, its catalog events and its job."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from rs.catalog import selectors as catalog_selectors
from rs.errors import NotFound
from rs.production import selectors as production_selectors

if TYPE_CHECKING:
    from rs.catalog.selectors import Product


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    stage: str  # received, stored, catalogued, published, event:<kind>, job:<state>
    source: str  # where the moment comes from
    detail: str = ""
    trace_id: str = ""


def _row_entries(product: Product) -> list[TimelineEntry]:
    entries = []
    if product.origin_date:
        entries.append(TimelineEntry(product.origin_date, "received", "product.origin_date",
                                     "t0: all inputs available at the pickup point"))
    stored = min((d for d in (product.md5_date, product.blake3_date) if d), default=None)
    if stored:  # the checksums are computed while the bytes are written
        entries.append(TimelineEntry(stored, "stored", "product checksum dates"))
    entries.append(TimelineEntry(product.created_at, "catalogued", "product.created_at"))
    if product.publication_date:
        entries.append(TimelineEntry(product.publication_date, "published", "product.publication_date"))
    return entries


def _job_entries(job_id: int) -> list[TimelineEntry]:
    try:
        job = production_selectors.job_get(job_id=job_id)
    except NotFound:  # the job row was purged: the product keeps its job id only
        return []
    return [
        TimelineEntry(t.at, f"job:{t.to_state}", f"production job {job.pk}", t.reason)
        for t in job.transitions.all()
    ]


def product_timeline(*, product_id: uuid.UUID) -> tuple[Product | None, list[TimelineEntry]]:
    """The product (None once removed from the catalogue) and its entries in time order. NotFound when neither the
    product nor any event of it is known."""
    try:
        product: Product | None = catalog_selectors.product_get(product_id=product_id)
    except NotFound:
        product = None
    entries = [
        TimelineEntry(e.created_at, f"event:{e.kind}", "catalog event", str(e.payload.get("cause", "")),
                      str(e.trace_id))
        for e in catalog_selectors.events_of_product(product_id=product_id)
    ]
    if product is None and not entries:
        raise NotFound(f"no product {product_id}")
    if product is not None:
        entries += _row_entries(product)
        if product.job_id is not None:
            entries += _job_entries(product.job_id)
    return product, sorted(entries, key=lambda entry: entry.at)
