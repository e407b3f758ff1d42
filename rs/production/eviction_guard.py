"""Products that jobs not yet finished still need: the lifecycle app keeps them past their EvictionDate."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from rs.production.choices import TERMINAL_STATES
from rs.production.models import JobInputFile, JobMember

if TYPE_CHECKING:
    from rs.catalog.selectors import Product


def inputs_of_unfinished_jobs(products: Sequence[Product], now: datetime) -> Mapping[uuid.UUID, str]:
    """id → "input of job N (state)" for candidates selected as input files or attached as members of a job that
    has not ended; two indexed lookups whatever the number of candidates."""
    ids = [p.id for p in products]
    protected: dict[uuid.UUID, str] = {}
    files = (JobInputFile.objects.filter(product_id__in=ids).exclude(job_input__job__state__in=TERMINAL_STATES)
             .values_list("product_id", "job_input__job_id", "job_input__job__state"))
    members = (JobMember.objects.filter(product_id__in=ids).exclude(job__state__in=TERMINAL_STATES)
               .values_list("product_id", "job_id", "job__state"))
    for product_id, job_id, state in [*files, *members]:
        protected.setdefault(product_id, f"input of job {job_id} ({state})")
    return protected
