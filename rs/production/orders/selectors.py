"""Reads of ad-hoc production: orders with their progress counted in the same query."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet

from rs.errors import NotFound
from rs.production.choices import TERMINAL_STATES, JobState
from rs.production.models import ProductionOrder


def orders(*, state: str | None = None) -> QuerySet[ProductionOrder]:
    """Orders with `jobs_<state>` counts: one query for a page of orders (a join on the order's rule's jobs)."""
    counts = {f"jobs_{s}": Count("rule__jobs", filter=Q(rule__jobs__state=s)) for s in JobState.values}
    qs = (ProductionOrder.objects.select_related("processor_version__processor", "rule", "template_rule",
                                                 "requested_by").annotate(**counts))
    if state:
        qs = qs.filter(state=state)
    return qs.order_by("-id")


def order_get(*, order_id: int) -> ProductionOrder:
    order = orders().filter(pk=order_id).first()
    if order is None:
        raise NotFound(f"no production order {order_id}")
    return order


def progress_of(order: Any) -> dict[str, Any]:
    """The annotated counts of an order from `orders()`, with the total and the share of final jobs."""
    counts = {s: int(getattr(order, f"jobs_{s}", 0)) for s in JobState.values}
    total = sum(counts.values())
    final = sum(counts[s] for s in TERMINAL_STATES)
    return {"jobs": counts, "total": total, "final": final,
            "percent": round(100 * final / total, 1) if total else 0.0}
