"""Writes of ad-hoc production: create an order (its rule and its jobs, in one transaction), cancel it."""

from __future__ import annotations

import secrets
import uuid
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils import timezone

from rs.errors import Conflict, NotFound
from rs.production import services as production_services
from rs.production.choices import TERMINAL_STATES, JobState
from rs.production.models import (
    FINISHED_ORDER_STATES,
    Job,
    OrderState,
    ProductionOrder,
    ProductionRule,
)
from rs.production.orders.notification import SEALING_PURPOSE
from rs.production.orders.planning import MAX_SKIPPED_KEPT, planning_enqueue
from rs.production.orders.progress import order_finish_if_done
from rs.production.orders.validation import CheckedOrder, OrderInvalid, OrderRequest, order_check
from rs.production.transitions import job_transition
from rs.webhooks import seal

if TYPE_CHECKING:
    from rs.catalog.selectors import Product


def order_create(*, request: OrderRequest) -> tuple[ProductionOrder, str]:
    """Check the request, then create the order and its rule; plan its jobs now or in the background.

    Returns the order and the secret of its webhook signatures (shown this once; '' without a webhook). An order of at
    most RS_PRODUCTION_ORDER_SYNC_MAX_PRODUCTS products is planned in this transaction (it ends `running`, or is
    refused when no product makes a job); a larger one is `accepted` and `order_plan_task` plans it chunk by chunk
    after the commit. Each selected product goes through `product_prepare` with the order's rule, as a catalog event
    goes through the systematic rules: same grouping, same input resolution, same states."""
    checked = order_check(request)  # before any write: a refused order leaves nothing behind
    secret = secrets.token_urlsafe(32) if request.notify_url else ""
    in_request = checked.products is not None
    with transaction.atomic():
        rule = _rule_create(checked)
        order = ProductionOrder.objects.create(
            name=request.name, state=OrderState.PLANNING if in_request else OrderState.ACCEPTED,
            requested_by_id=request.requested_by_id,
            processor_version=checked.version, template_rule=checked.template, rule=rule,
            priority=request.priority, parameters=checked.parameters, selection=checked.selection,
            window_start=request.start, window_stop=request.stop, area=checked.area,
            product_ids=list(dict.fromkeys(str(uuid.UUID(str(i))) for i in request.product_ids))
            if checked.selection == "products" else [],
            products_selected=checked.count,
            notify_url=request.notify_url, notify_secret_sealed=seal(secret, purpose=SEALING_PURPOSE),
            notify_email=request.notify_email)
        _rule_rename(rule, f"order-{order.pk}")
        if not in_request:
            order_id = order.pk
            transaction.on_commit(lambda: planning_enqueue([order_id]))
            return order, secret
        assert checked.products is not None
        skipped = jobs_of_products(rule, checked.products)
        jobs = Job.objects.filter(rule=rule).count()
        if not jobs:
            raise OrderInvalid({"start" if checked.selection != "products" else "product_ids":
                                f"none of the {len(checked.products)} selected products makes a job: "
                                + "; ".join(f"{s['product']}: {s['reason']}" for s in skipped[:5])})
        ProductionOrder.objects.filter(pk=order.pk).update(
            state=OrderState.RUNNING, products_planned=len(checked.products), products_skipped=len(skipped),
            skipped=skipped[:MAX_SKIPPED_KEPT], jobs_created=jobs)
        order.refresh_from_db()
        order_finish_if_done(order)  # jobs failed while being prepared (a JobOrder parameter) finish it at once
    order.refresh_from_db()
    return order, secret


def _rule_create(checked: CheckedOrder) -> ProductionRule:
    """The order's own rule: the template's trigger and grouping, the chosen version, priority, area and parameters."""
    return production_services.rule_from_template(
        template=checked.template, version=checked.version, parameters=checked.parameters,
        name=f"order-{uuid.uuid4().hex[:20]}", priority=checked.request.priority, area=checked.area)


def _rule_rename(rule: ProductionRule, name: str) -> None:
    try:
        with transaction.atomic():  # an operator rule already named so keeps its name; ours keeps the random one
            ProductionRule.objects.filter(pk=rule.pk).update(name=name)
            rule.name = name
    except IntegrityError:
        pass


def jobs_of_products(rule: ProductionRule, products: list[Product]) -> list[dict[str, str]]:
    """Prepare each product with the order's rule; returns the products that make no job, with the reason."""
    return production_services.products_prepare_with(rule=rule, products=products)


@transaction.atomic
def order_cancel(*, order_id: int, reason: str = "") -> ProductionOrder:
    """Cancel every open job of the order; the order ends `cancelled` with the last one (the transition hook).

    Locks the jobs before the order, the order in which a job transition takes them (its job, then its order's row
    in the hook): a worker ending a job of the order at the same moment cannot deadlock with the cancellation."""
    found = ProductionOrder.objects.filter(pk=order_id).values_list("rule_id", flat=True).first()
    if found is None:
        raise NotFound(f"no production order {order_id}")
    jobs = list(Job.objects.select_for_update(of=("self",)).filter(rule_id=found)
                .exclude(state__in=list(TERMINAL_STATES)).order_by("pk"))
    order = ProductionOrder.objects.select_for_update(of=("self",)).get(pk=order_id)
    if order.state in FINISHED_ORDER_STATES:
        raise Conflict(f"order {order_id} is already {order.state}: nothing to cancel",
                       details={"order": order_id, "state": order.state})
    now = timezone.now()
    ProductionOrder.objects.filter(pk=order.pk).update(cancelled_at=now)
    order.cancelled_at = now
    why = f"order {order_id} cancelled" + (f": {reason}" if reason else "")
    for job in jobs:
        if job.state not in TERMINAL_STATES:
            job_transition(job=job, to=JobState.CANCELLED, reason=why)
    order.refresh_from_db()  # the last cancellation above finished it through the transition hook
    order_finish_if_done(order)  # or it had no open job left
    order.refresh_from_db()
    return order
