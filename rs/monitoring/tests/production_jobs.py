"""Jobs of the test processor TEST_L1, built through rs.production's services and its test builders."""

from __future__ import annotations

from rs.production import services as production_services
from rs.production.choices import JobState
from rs.production.models import Job
from rs.production.tests import builders
from rs.production.tests.builders import at, aux, level
from rs.production.tests.conftest import deliver_created
from rs.production.tests.tables import table_xml
from rs.production.transitions import job_transition


def ready_jobs(count: int) -> list[Job]:
    """`count` jobs of processor TEST_L1, ready once their AUX_CAL arrived."""
    version = production_services.processor_import(data=table_xml())
    builders.rule(version, name="r", product_types="IW_RAW__0S")
    for offset in range(0, 100 * count, 100):
        deliver_created(level("IW_RAW__0S", start=at(offset), stop=at(offset + 25)))
    deliver_created(aux("AUX_CAL", start=at(-1000), stop=None))
    return list(Job.objects.order_by("id"))


def job_finish(job: Job, state: str) -> None:
    for step in (JobState.QUEUED, JobState.RUNNING, state):
        job_transition(job=job, to=step)
