"""Celery entry points of production: thin, ids only; the work is in services.

Preparation tasks go to `preparation` by routing; a job's execution goes to production-high|medium|low (its
queue, from its priority); the reaper and the dispatcher sweep to `maintenance`."""

from __future__ import annotations

import socket

from celery import Task, shared_task

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


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True)
def execution_job_task(self: Task, job_id: int) -> str:
    """Run one job. Acked after the run: a worker killed mid-job leaves the message (and the lease) behind."""
    from rs.production.execution.run import job_execute

    return job_execute(job_id=job_id, worker=self.request.hostname or socket.gethostname())


@shared_task
def execution_reap_task() -> int:
    from rs.production.execution.claims import jobs_reap

    return jobs_reap()


@shared_task
def execution_dispatch_task() -> int:
    from rs.production.execution.claims import jobs_dispatch_due

    return jobs_dispatch_due()
