"""Planning of large orders in the background (state `accepted`), RS_PRODUCTION_ORDER_PLAN_CHUNK products per step.

A step is one transaction: the next products of the selection (a window by its (content_start, id) keyset on the
catalogue's (product_type, content_start) index; a list by position) go through `product_prepare` with the order's
rule, then the order row is locked — last, as a job transition and a cancellation take it — and its cursor moved.
If a cancellation or a duplicate message got there first (state no longer accepted, or the cursor moved), the step
rolls back: no job is made twice or for a cancelled order. A step that leaves products to plan sends the next one
after its commit; the last one makes the order `running` (or `failed` when no product made a job) and ends it if
every job is already final. The periodic `order_planning_redispatch_task` re-sends orders whose step was lost.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from rs.catalog import selectors as catalog_selectors
from rs.production.models import Job, OrderState, ProductionOrder
from rs.production.orders.progress import order_finish_if_done
from rs.production.orders.validation import window_products

if TYPE_CHECKING:
    from rs.catalog.selectors import Product

logger = logging.getLogger(__name__)

MAX_SKIPPED_KEPT = 100
STALLED_AFTER = timedelta(minutes=5)


class _StepLost(Exception):
    """The order changed under the step (cancelled, or planned by a duplicate message): roll the step back."""


def planning_enqueue(order_ids: Sequence[int], *, countdown: float = 0) -> None:
    from rs.production.orders.tasks import order_plan_task

    for order_id in order_ids:
        try:
            order_plan_task.apply_async(args=(order_id,), countdown=countdown)
        except Exception:  # broker down: the periodic redispatch sends it; the row is the truth
            logger.warning("could not enqueue the planning of order %s; it will be redispatched", order_id,
                           exc_info=True)


def _next_products(order: ProductionOrder, size: int) -> list[Product]:
    if order.selection == "products":
        ids = [uuid.UUID(i) for i in order.product_ids[order.products_planned:order.products_planned + size]]
        found = {p.id: p for p in catalog_selectors.products_by_ids(ids=ids)}
        return [found[i] for i in ids if i in found]  # one evicted meanwhile is skipped below
    assert order.window_start is not None and order.window_stop is not None
    query = window_products(template=order.rule, start=order.window_start, stop=order.window_stop, area=order.area)
    if order.plan_after_start is not None:
        query = query.filter(Q(content_start__gt=order.plan_after_start)
                             | Q(content_start=order.plan_after_start, id__gt=order.plan_after_id))
    return list(query[:size])


def order_plan_step(*, order_id: int) -> bool:
    """Plan the next chunk of an accepted order; True when more remains (the next step is sent on commit)."""
    from rs.production.orders.services import jobs_of_products

    size = int(settings.RS_PRODUCTION_ORDER_PLAN_CHUNK)
    try:
        with transaction.atomic():
            order = (ProductionOrder.objects.select_related("rule", "template_rule")
                     .filter(pk=order_id, state=OrderState.ACCEPTED).first())
            if order is None:
                return False
            wanted = max(0, min(size, order.products_selected - order.products_planned))  # never past the count
            products = _next_products(order, wanted) if wanted else []
            listed = order.selection == "products"
            taken = wanted if listed else len(products)
            skipped = jobs_of_products(order.rule, products)
            if listed and len(products) < taken:
                skipped.append({"product": f"{taken - len(products)} listed products",
                                "reason": "no longer in the catalogue"})
            locked = ProductionOrder.objects.select_for_update(of=("self",)).get(pk=order_id)
            if (locked.state != OrderState.ACCEPTED or locked.products_planned != order.products_planned
                    or locked.cancelled_at is not None):
                raise _StepLost
            planned = order.products_planned + taken
            done = planned >= order.products_selected or taken < wanted or not wanted  # or the window ran out
            last = products[-1] if products else None
            now = timezone.now()
            kept = (locked.skipped + skipped)[:MAX_SKIPPED_KEPT]
            jobs = Job.objects.filter(rule_id=order.rule_id).count()
            changes: dict[str, object] = {
                "products_planned": planned, "products_skipped": locked.products_skipped + len(skipped),
                "skipped": kept, "jobs_created": jobs, "plan_step_at": now,
                "plan_after_start": last.content_start if last else locked.plan_after_start,
                "plan_after_id": last.id if last else locked.plan_after_id}
            if done and not jobs:
                _fail_without_jobs(locked, changes, now)
            elif done:
                ProductionOrder.objects.filter(pk=order_id).update(**changes, state=OrderState.RUNNING)
                locked.refresh_from_db()
                order_finish_if_done(locked)  # every job may already be final (failed while prepared)
            else:
                ProductionOrder.objects.filter(pk=order_id).update(**changes)
                transaction.on_commit(lambda: planning_enqueue([order_id]))
            return not done
    except _StepLost:
        logger.info("order %s: planning step rolled back (order cancelled or planned elsewhere)", order_id)
        return False


def _fail_without_jobs(order: ProductionOrder, changes: dict[str, object], now: datetime) -> None:
    reasons = "; ".join(f"{s['product']}: {s['reason']}" for s in changes["skipped"][:5])  # type: ignore[index]
    notify = bool(order.notify_url or order.notify_email)
    ProductionOrder.objects.filter(pk=order.pk).update(
        **changes, state=OrderState.FAILED, finished_at=now, notify_next_at=now if notify else None,
        notify_attempts=0, plan_error=f"none of the {order.products_selected} selected products makes a job: "
                                      f"{reasons}")
    if notify:
        from rs.production.orders.notification import notifications_enqueue

        order_id = order.pk
        transaction.on_commit(lambda: notifications_enqueue([order_id]))


def plannings_redispatch(*, now: datetime | None = None) -> int:
    """Send again the planning of accepted orders whose last step is older than STALLED_AFTER (a lost message);
    the (state, -id) index serves the filter, and accepted orders are few."""
    now = now or timezone.now()
    stalled = list(ProductionOrder.objects.filter(state=OrderState.ACCEPTED).filter(
        Q(plan_step_at__lt=now - STALLED_AFTER) | Q(plan_step_at__isnull=True, created_at__lt=now - STALLED_AFTER))
        .values_list("pk", flat=True))
    planning_enqueue(stalled)
    return len(stalled)
