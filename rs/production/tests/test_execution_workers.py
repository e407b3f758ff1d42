"""Execution on real Celery workers, real S3 and the real preparation flow: catalog event → job → processor →
outputs registered with lineage; kill -9 of a worker mid-job; failures, timeouts and transient storage errors."""

from __future__ import annotations

import os
import tarfile
import time
import uuid
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest

from rs.catalog.models import CatalogEvent, EventDelivery, Product
from rs.catalog.storage import object_store
from rs.production.choices import JobState
from rs.production.consumers import PREPARATION_CONSUMER
from rs.production.execution.claims import jobs_reap
from rs.production.execution.registration import output_product_id
from rs.production.models import JobLogLine, JobMissingOutput, JobOutput, TaskRun
from rs.production.tests.execution_support import (
    EXECUTION_QUEUES,
    OUTPUT_TYPE,
    job_in,
    job_of,
    l0_input,
    l0_name,
    sim_rule,
    sim_table,
    wait_for,
    worker_env,
)

FINISHED = (JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED)


@pytest.fixture
def workdirs(tmp_path: Path, settings: Any) -> Path:
    path = tmp_path / "workdirs"
    settings.RS_WORKDIR_ROOT = path
    return path


def output_name(n: int = 0) -> str:
    name = l0_name(n)
    return name[:4] + OUTPUT_TYPE + name[15:]


def alive(pid: int) -> bool:
    """A process that still runs (a zombie waiting for its reaper counts as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def output_keys() -> list[str]:
    return sorted(key for key, _size in object_store().list_keys("products/S3/S3_L1_NRT/"))


def test_a_catalog_event_runs_the_job_and_registers_its_output_with_lineage(
        celery_worker_factory: Any, tmp_path: Path, workdirs: Path) -> None:
    rule = sim_rule()
    worker = celery_worker_factory(queues=EXECUTION_QUEUES, extra_env=worker_env(workdirs))
    worker.start()
    source = l0_input(tmp_path / "in")

    job = wait_for("the job to finish", lambda: job_in(rule, *FINISHED))
    assert (job.state, job.run, job.automatic_retries) == (JobState.SUCCEEDED, 1, 0), job.reason
    assert job.reason == "report.xml: listed but matches no declared output (ignored)"
    assert [t.to_state for t in job.transitions.all()] == [
        "waiting_inputs", "ready", "queued", "running", "succeeded"]

    product = Product.objects.get(job_id=job.pk)
    assert product.name == output_name()
    assert product.id == output_product_id(job.pk, product.name)
    assert (product.product_type, product.family, product.mission, product.platform) == (
        OUTPUT_TYPE, "S3_L1_NRT", "S3", "B")
    assert list(product.inputs.values_list("id", flat=True)) == [source.id]
    assert product.origin_date == source.origin_date
    assert product.publication_date is not None
    assert product.storage_key == f"products/S3/S3_L1_NRT/{product.name}.zip"
    assert object_store().size(product.storage_key) == product.content_length
    attributes = {a.name: a.value_string for a in product.attributes.filter(name__startswith="processor")}
    assert attributes == {"processorName": "SIM_OL1", "processorVersion": "1.0"}
    # The next level triggers: the catalogue's created event of the output is delivered to preparation.
    created = CatalogEvent.objects.get(product_id=product.id, kind="created")
    assert EventDelivery.objects.filter(event=created, consumer=PREPARATION_CONSUMER).exists()
    assert CatalogEvent.objects.filter(product_id=product.id, kind="published").count() == 1

    (task,) = TaskRun.objects.filter(job=job)
    assert (task.name, task.run, task.exit_code, task.signal, task.outcome, task.critical) == (
        "OL1_SIM", 1, 0, None, "ok", True)
    assert task.executable.endswith("rs/production/tests/processor/sim_ipf.py")
    assert task.wall_s > 0 and task.cpu_user_s + task.cpu_system_s > 0 and task.max_rss_kib > 1000
    lines = list(JobLogLine.objects.filter(job=job, task="OL1_SIM").order_by("seq"))
    assert lines[0].message.startswith("Starting SIM_IPF V01.00 with JobOrder file ")
    assert lines[0].message.endswith(f"/{job.pk}_1/JobOrder.xml")
    assert (lines[0].level, lines[0].stream, lines[0].ipf_format, lines[0].node) == ("I", "stdout", True,
                                                                                    os.uname().nodename)
    free = next(line for line in lines if not line.ipf_format)
    assert (free.message, free.level) == ("free text on stdout, not an IPF line", "I")
    assert [line.level for line in lines if line.message.startswith("output ")] == ["P"]
    (output,) = JobOutput.objects.filter(job=job)
    assert (output.name, output.run, output.product_id, output.published) == (product.name, 1, product.id, True)
    assert not JobMissingOutput.objects.filter(job=job).exists()
    assert list(workdirs.iterdir()) == []  # the working directory is gone
