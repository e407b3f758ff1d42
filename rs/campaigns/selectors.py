"""Reads of the campaigns app."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable

from django.db.models import Count, Q, QuerySet

from rs.campaigns.choices import CampaignState, DatasetRole
from rs.campaigns.models import Campaign, CampaignRun, DatasetProduct, ReferenceDataset
from rs.errors import NotFound
from rs.production.choices import TERMINAL_STATES


def datasets() -> QuerySet[ReferenceDataset]:
    return ReferenceDataset.objects.annotate(
        input_count=Count("items", filter=Q(items__role=DatasetRole.INPUT)),
        reference_count=Count("items", filter=Q(items__role=DatasetRole.REFERENCE_OUTPUT)),
    ).order_by("name", "-version")


def dataset_get(*, dataset_id: int) -> ReferenceDataset:
    found = datasets().filter(pk=dataset_id).first()
    if found is None:
        raise NotFound(f"no reference dataset {dataset_id}")
    return found


def dataset_items(*, dataset_id: int) -> QuerySet[DatasetProduct]:
    return DatasetProduct.objects.filter(dataset_id=dataset_id).order_by("role", "product_name")


def datasets_pinning(*, product_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, list[str]]:
    """product id → the datasets ("name vN") that pin it, for the given products only (indexed on product)."""
    pinned: dict[uuid.UUID, list[str]] = defaultdict(list)
    rows = (DatasetProduct.objects.filter(product_id__in=list(product_ids))
            .order_by("dataset__name", "dataset__version")
            .values_list("product_id", "dataset__name", "dataset__version"))
    for product_id, name, version in rows:
        pinned[product_id].append(f"{name} v{version}")
    return dict(pinned)


def campaigns() -> QuerySet[Campaign]:
    """Campaigns newest first with their dataset and job counts (derived state), one query per page."""
    jobs = "runs__rule__jobs"
    finished = Q(runs__rule__jobs__state__in=list(TERMINAL_STATES))
    failed = Q(runs__rule__jobs__state__in=["failed", "cancelled"])
    return (Campaign.objects.select_related("dataset", "created_by")
            .annotate(jobs_total=Count(jobs, distinct=True), jobs_open=Count(jobs, distinct=True, filter=~finished),
                      jobs_failed=Count(jobs, distinct=True, filter=failed))
            .order_by("-id"))


def campaign_get(*, campaign_id: int) -> Campaign:
    found = campaigns().filter(pk=campaign_id).first()
    if found is None:
        raise NotFound(f"no campaign {campaign_id}")
    return found


def campaigns_with_comparisons_unstored() -> QuerySet[Campaign]:
    """Active campaigns whose jobs are all final but whose comparisons were not all stored (campaigns are few: one
    aggregate query)."""
    finished = Q(runs__rule__jobs__state__in=list(TERMINAL_STATES))
    return (Campaign.objects.filter(state=CampaignState.ACTIVE, comparisons_stored_at__isnull=True)
            .annotate(jobs_total=Count("runs__rule__jobs"),
                      jobs_open=Count("runs__rule__jobs", filter=~finished))
            .filter(jobs_total__gt=0, jobs_open=0).order_by("pk"))


def campaign_runs(*, campaign_id: int) -> QuerySet[CampaignRun]:
    return (CampaignRun.objects.filter(campaign_id=campaign_id).select_related("version", "rule")
            .annotate(jobs_total=Count("rule__jobs"),
                      jobs_open=Count("rule__jobs", filter=~Q(rule__jobs__state__in=list(TERMINAL_STATES))))
            .order_by("version__position", "repetition"))
