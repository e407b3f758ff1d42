"""The dashboards of the web client: named groups of panels, each panel one series of [x, value] points.

Hourly series come from index-backed ranges (products by publication date, jobs by state change); storage use is one
GROUP BY over the online products, which is why dashboards are cached for DASHBOARD_CACHE_S.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.core.cache import cache
from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, Sum
from django.db.models.functions import TruncHour

from rs.catalog import selectors as catalog_selectors
from rs.monitoring.constants import DASHBOARD_CACHE_S, TIMELINESS_RATIO_BUCKETS
from rs.monitoring.kpis import pi_type_filters
from rs.monitoring.pi_types import EXCLUDED, THRESHOLDS_S
from rs.production import selectors as production_selectors
from rs.production.choices import JobState


@dataclass(frozen=True)
class Panel:
    title: str
    unit: str
    series: list[list[Any]]  # [[x, value], …]; x is an ISO time unless `x` says otherwise
    x: str = "time"

    def as_dict(self) -> dict[str, Any]:
        return {"title": self.title, "unit": self.unit, "x": self.x, "series": self.series}


@dataclass(frozen=True)
class Dashboard:
    name: str
    title: str
    panels: list[Panel] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "title": self.title, "panels": [p.as_dict() for p in self.panels]}


def hours_of(*, start: datetime, end: datetime) -> list[datetime]:
    first = start.replace(minute=0, second=0, microsecond=0)
    return [first + timedelta(hours=i) for i in range(int((end - first) / timedelta(hours=1)) + 1)
            if first + timedelta(hours=i) < end]


def _hourly(counts: dict[datetime, int], *, start: datetime, end: datetime) -> list[list[Any]]:
    """Every hour of the window, zero where nothing happened (a chart needs the gaps)."""
    return [[hour.isoformat(), counts.get(hour, 0)] for hour in hours_of(start=start, end=end)]


def published_per_hour(*, start: datetime, end: datetime) -> Panel:
    rows = (
        catalog_selectors.products_published_in(start=start, end=end)
        .annotate(hour=TruncHour("publication_date")).order_by().values("hour").annotate(count=Count("id"))
    )
    return Panel("Products published per hour", "products/h",
                 _hourly({row["hour"]: row["count"] for row in rows}, start=start, end=end))


def bytes_published_per_hour(*, start: datetime, end: datetime) -> Panel:
    rows = (
        catalog_selectors.products_published_in(start=start, end=end)
        .annotate(hour=TruncHour("publication_date")).order_by().values("hour")
        .annotate(total=Sum("content_length"))
    )
    return Panel("Bytes published per hour", "bytes/h",
                 _hourly({row["hour"]: int(row["total"] or 0) for row in rows}, start=start, end=end))


def timeliness_distribution(*, start: datetime, end: datetime) -> list[Panel]:
    """Per PI type, the products published in the window by latency/threshold: ≤ 1 is on time."""
    panels = []
    for pi_type, products in sorted(pi_type_filters(start=start, end=end, on="publication_date").items()):
        if pi_type in EXCLUDED:
            continue
        threshold = THRESHOLDS_S[pi_type]
        buckets = {
            f"le_{ratio}": Count("id", filter=Q(latency__lte=timedelta(seconds=threshold * ratio)))
            for ratio in TIMELINESS_RATIO_BUCKETS
        }
        row = (
            catalog_selectors.products_published_in(start=start, end=end).filter(origin_date__isnull=False)
            .filter(products)
            .annotate(latency=ExpressionWrapper(F("publication_date") - F("origin_date"),
                                                output_field=DurationField()))
            .aggregate(total=Count("id"), **buckets)
        )
        cumulative = [row[f"le_{ratio}"] for ratio in TIMELINESS_RATIO_BUCKETS]
        per_bucket = [b - a for a, b in zip([0, *cumulative], cumulative, strict=False)]
        series = [[ratio, count] for ratio, count in zip(TIMELINESS_RATIO_BUCKETS, per_bucket, strict=True)]
        series.append(["inf", row["total"] - cumulative[-1]])
        panels.append(Panel(f"{pi_type} latency / threshold ({threshold} s)", "products", series,
                            x="latency/threshold (upper bound)"))
    return panels


def storage_per_family() -> Panel:
    rows = (
        catalog_selectors.products_online().order_by().values("family").annotate(total=Sum("content_length"))
        .order_by("family")
    )
    return Panel("Online storage per family", "bytes", [[row["family"], int(row["total"] or 0)] for row in rows],
                 x="family")


def failed_jobs_per_hour(*, start: datetime, end: datetime) -> Panel:
    rows = (
        production_selectors.operational_jobs().filter(state=JobState.FAILED, state_changed_at__gte=start,
                                           state_changed_at__lt=end)
        .annotate(hour=TruncHour("state_changed_at")).order_by().values("hour").annotate(count=Count("id"))
    )
    return Panel("Jobs failed per hour", "jobs/h", _hourly({row["hour"]: row["count"] for row in rows},
                                                           start=start, end=end))


def dashboards(*, start: datetime, end: datetime) -> list[Dashboard]:
    return [
        Dashboard("throughput", "Throughput", [published_per_hour(start=start, end=end),
                                               bytes_published_per_hour(start=start, end=end)]),
        Dashboard("timeliness", "Timeliness against the PI thresholds", timeliness_distribution(start=start, end=end)),
        Dashboard("storage", "Storage use", [storage_per_family()]),
        Dashboard("failures", "Failures", [failed_jobs_per_hour(start=start, end=end)]),
    ]


def dashboards_cached(*, hours: int, now: datetime) -> list[dict[str, Any]]:
    """The dashboards of the last `hours` hours, up to the current hour, cached per window."""
    end = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    start = end - timedelta(hours=hours)
    key = f"monitoring-dashboards:{start.isoformat()}:{end.isoformat()}"
    value: list[dict[str, Any]] | None = cache.get(key)
    if value is None:
        value = [d.as_dict() for d in dashboards(start=start, end=end)]
        cache.set(key, value, DASHBOARD_CACHE_S)
    return value
