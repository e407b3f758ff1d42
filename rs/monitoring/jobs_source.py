"""Production jobs as monitoring sees them, read through rs.production's selectors.

Outcomes, backlog and missing outputs count operational production only; the job gauges of /metrics count every
job, validation campaigns' included, since those run on the same workers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Count

from rs.production import selectors as production_selectors
from rs.production.choices import TERMINAL_STATES, JobState


def jobs_by_state_and_processor() -> dict[tuple[str, str], int]:
    """One GROUP BY over the jobs table (bounded by the plan and its retention, not by the catalogue)."""
    rows = (
        production_selectors.jobs()
        .order_by()
        .values("state", "processor_version__processor__name")
        .annotate(count=Count("id"))
    )
    return {(row["state"], row["processor_version__processor__name"] or ""): row["count"] for row in rows}


def job_outcomes_by_processor(*, start: datetime, end: datetime) -> dict[str, dict[str, int]]:
    """Jobs that ended (succeeded or failed) in [start, end), counted per processor and outcome."""
    rows = (
        production_selectors.operational_jobs()
        .filter(state__in=[JobState.SUCCEEDED, JobState.FAILED], state_changed_at__gte=start,
                state_changed_at__lt=end)
        .order_by()
        .values("processor_version__processor__name", "state")
        .annotate(count=Count("id"))
    )
    outcomes: dict[str, dict[str, int]] = {}
    for row in rows:
        per_state = outcomes.setdefault(row["processor_version__processor__name"] or "", {})
        per_state[row["state"]] = row["count"]
    return outcomes


def jobs_backlog() -> dict[str, int]:
    """Jobs not finished now, by state."""
    rows = (
        production_selectors.operational_jobs().exclude(state__in=TERMINAL_STATES).order_by()
        .values("state").annotate(count=Count("id"))
    )
    return {row["state"]: row["count"] for row in rows}


def missing_outputs(*, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """Expected outputs of failed jobs recorded in [start, end) (rs.production's selector)."""
    return production_selectors.missing_outputs_between(start=start, end=end)
