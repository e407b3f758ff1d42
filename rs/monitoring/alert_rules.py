"""The alert rules: each returns the breaches it sees now, as {key: message}. Reads only."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Count, DurationField, ExpressionWrapper, F, Q

from rs.catalog import selectors as catalog_selectors
from rs.ingestion import selectors as ingestion_selectors
from rs.lifecycle import selectors as lifecycle_selectors
from rs.monitoring.constants import ALERT_STUCK_JOB_S, ALERT_WINDOW
from rs.monitoring.kpis import pi_type_filters
from rs.monitoring.pi_types import EXCLUDED, THRESHOLDS_S
from rs.production import selectors as production_selectors
from rs.production.choices import JobState


def timeliness_breaches(*, now: datetime) -> dict[str, str]:
    start = now - timedelta(seconds=ALERT_WINDOW)
    breaches = {}
    for pi_type, products in sorted(pi_type_filters(start=start, end=now, on="publication_date").items()):
        if pi_type in EXCLUDED:
            continue
        threshold = timedelta(seconds=THRESHOLDS_S[pi_type])
        row = (
            catalog_selectors.products_published_in(start=start, end=now)
            .filter(products)
            .annotate(latency=ExpressionWrapper(F("publication_date") - F("origin_date"),
                                                output_field=DurationField()))
            .aggregate(total=Count("id"), late=Count("id", filter=Q(latency__gt=threshold)))
        )
        if row["late"]:
            breaches[f"timeliness:{pi_type}"] = (
                f"{row['late']} of {row['total']} {pi_type} products published in the last {ALERT_WINDOW // 60} min "
                f"exceeded {THRESHOLDS_S[pi_type]} s"
            )
    return breaches


def stuck_jobs(*, now: datetime) -> dict[str, str]:
    rows = (
        production_selectors.jobs()
        .filter(state__in=[JobState.QUEUED, JobState.RUNNING],
                state_changed_at__lt=now - timedelta(seconds=ALERT_STUCK_JOB_S))
        .order_by().values("state").annotate(count=Count("id"))
    )
    return {f"stuck-jobs:{row['state']}": f"{row['count']} jobs {row['state']} for more than {ALERT_STUCK_JOB_S} s"
            for row in rows}


def failing_inboxes(*, now: datetime) -> dict[str, str]:
    rows = (
        ingestion_selectors.entries_failed().filter(finished_at__gte=now - timedelta(seconds=ALERT_WINDOW))
        .order_by().values("inbox__name").annotate(count=Count("id"))
    )
    return {f"inbox-failing:{row['inbox__name']}":
            f"{row['count']} entries of inbox {row['inbox__name']} failed in the last {ALERT_WINDOW // 60} min"
            for row in rows}


def storage_over_quota(*, now: datetime) -> dict[str, str]:
    breaches = {}
    for quota in lifecycle_selectors.storage_quotas():
        used = catalog_selectors.family_online_bytes(family=quota.family)
        if used > quota.quota_bytes:
            breaches[f"storage-quota:{quota.family}"] = (
                f"family {quota.family} holds {used} bytes online, above its quota of {quota.quota_bytes}"
            )
    return breaches


RULES = {
    "timeliness": timeliness_breaches,
    "stuck-jobs": stuck_jobs,
    "inbox-failing": failing_inboxes,
    "storage-quota": storage_over_quota,
}
