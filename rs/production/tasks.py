"""Celery entry points of preparation (queue `preparation` by routing): thin, ids only; the work is in services."""

from __future__ import annotations

from celery import shared_task

from rs.production.orders import tasks as order_tasks  # noqa: F401 - workers register the order tasks


@shared_task(acks_late=True)
def preparation_job_reevaluate_task(job_id: int, product_type: str | None = None) -> bool:
    from rs.production.services import job_reevaluate

    return job_reevaluate(job_id=job_id, product_type=product_type)


@shared_task
def preparation_timeouts_check_task() -> int:
    from rs.production.services import jobs_timeouts_check

    return jobs_timeouts_check()


@shared_task
def preparation_schedule_rules_task() -> int:
    from rs.production.services import schedule_rules_run

    return schedule_rules_run()
