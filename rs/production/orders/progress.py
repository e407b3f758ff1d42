"""Progress of an order and its end.

The job state machine calls `order_job_changed` inside the transaction of every transition into or out of a final
state (transitions.job_transition): the order cannot miss one, whatever moved the job (preparation, execution, an
operator). It locks the order row before counting the order's open jobs, so of two jobs finishing at the same time
in two transactions the second one to take the lock sees the first one committed (READ COMMITTED: each statement
reads the latest commits) and finishes the order; neither can leave it running with every job final.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from rs.production.choices import TERMINAL_STATES, JobState
from rs.production.models import FINISHED_ORDER_STATES, Job, OrderState, ProductionOrder


def order_progress(*, rule_id: int) -> dict[str, int]:
    """Jobs of the order by state (every state present, 0 when none), with `total`: one aggregate query."""
    counts = dict.fromkeys(JobState.values, 0)
    for row in Job.objects.filter(rule_id=rule_id).values("state").annotate(n=Count("id")).order_by():
        counts[row["state"]] = row["n"]
    counts["total"] = sum(counts[state] for state in JobState.values)
    return counts


def final_state(counts: Mapping[str, int], *, cancelled: bool) -> str:
    if cancelled:
        return OrderState.CANCELLED
    if counts[JobState.SUCCEEDED] == counts["total"]:
        return OrderState.COMPLETED
    if counts[JobState.SUCCEEDED] == 0:
        return OrderState.FAILED
    return OrderState.PARTIALLY_FAILED


def order_job_changed(*, job: Job, state: str) -> None:
    """A job entered (or left) a final state `state`: finish its order when it was the last open job, or reopen a
    finished order whose failed job an operator retries. Runs inside the transition's transaction."""
    order = ProductionOrder.objects.select_for_update(of=("self",)).filter(rule_id=job.rule_id).first()
    if order is None or order.state in (OrderState.PLANNING, OrderState.ACCEPTED):  # its planning ends it
        return
    if state not in TERMINAL_STATES:
        if order.state in FINISHED_ORDER_STATES and order.state != OrderState.CANCELLED:
            _reopen(order)
        return
    order_finish_if_done(order)


def _reopen(order: ProductionOrder) -> None:
    ProductionOrder.objects.filter(pk=order.pk).update(
        state=OrderState.RUNNING, finished_at=None, notify_next_at=None, notify_attempts=0, notify_error="",
        webhook_sent_at=None, email_sent_at=None)


def order_finish_if_done(order: ProductionOrder) -> bool:
    """Finish the order (the caller holds its row lock) when none of its jobs is open; True if it finished."""
    if order.state in FINISHED_ORDER_STATES:
        return False
    if Job.objects.filter(rule_id=order.rule_id).exclude(state__in=list(TERMINAL_STATES)).exists():
        return False
    now = timezone.now()
    state = final_state(order_progress(rule_id=order.rule_id), cancelled=order.cancelled_at is not None)
    notify = bool(order.notify_url or order.notify_email)
    ProductionOrder.objects.filter(pk=order.pk).update(state=state, finished_at=now,
                                                       notify_next_at=now if notify else None, notify_attempts=0)
    order.state, order.finished_at = state, now
    if notify:
        order_id = order.pk

        def send() -> None:
            from rs.production.orders.notification import notifications_enqueue

            notifications_enqueue([order_id])

        transaction.on_commit(send)
    return True
