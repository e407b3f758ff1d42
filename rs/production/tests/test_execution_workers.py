"""Execution on real Celery workers, real S3 and the real preparation flow: catalog event → job → processor →
outputs registered with lineage; kill -9 of a worker mid-job; failures, timeouts and transient storage errors."""

from __future__ import annotations

import os
import tarfile
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest

from rs.catalog.models import CatalogEvent, EventDelivery, Product
from rs.catalog.storage import object_store
from rs.production import services
from rs.production.choices import JobState
from rs.production.consumers import PREPARATION_CONSUMER
from rs.production.execution.claims import jobs_reap
from rs.production.execution.registration import output_product_id
from rs.production.models import JobLogLine, JobMissingOutput, JobOutput, TaskRun
from rs.production.tests.execution_support import (
    EXECUTION_QUEUES,
    OUTPUT_TYPE,
    job_in,
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
    # The reaper runs in this process in the tests: the same retry settings as the workers (worker_env).
    settings.RS_EXECUTION_RETRY_BACKOFF_S = 1
    settings.RS_EXECUTION_MAX_RETRIES = 2
    store = object_store()  # the bucket lives for the whole session: start from no product of these tests
    store.delete_many([key for key, _size in store.list_keys("products/S3/")])
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
    wait_for("the working directory to go", lambda: not any(workdirs.iterdir()), timeout=5)


def test_a_failing_processor_fails_the_job_with_its_log_archived_workdir_and_missing_outputs(
        celery_worker_factory: Any, tmp_path: Path, workdirs: Path) -> None:
    rule = sim_rule(exit_code=130)
    celery_worker_factory(queues=EXECUTION_QUEUES, extra_env=worker_env(workdirs)).start()
    l0_input(tmp_path / "in")

    job = wait_for("the job to fail", lambda: job_in(rule, *FINISHED))
    assert (job.state, job.run, job.automatic_retries) == (JobState.FAILED, 1, 0)  # deterministic: no retry
    assert job.reason == "task OL1_SIM failed (exit code 130): simulated failure, exit code 130"
    (task,) = TaskRun.objects.filter(job=job)
    assert (task.exit_code, task.outcome) == (130, "error")
    errors = list(JobLogLine.objects.filter(job=job, level="E").values_list("stream", "message"))
    assert [errors[0], errors[-1]] == [("stderr", "simulated failure, exit code 130"), ("rs", job.reason)]
    assert errors[1][1].startswith("task OL1_SIM ended: exit code 130 (error), ")
    assert job.workdir_archive_key == f"workdirs/{job.pk}/run-1-workdir.tar.gz"
    archived = b"".join(object_store().open_range(key=job.workdir_archive_key))
    with tarfile.open(fileobj=BytesIO(archived)) as archive:
        names = set(archive.getnames())
    assert {f"{job.pk}_1/JobOrder.xml", f"{job.pk}_1/{l0_name()}/xfdumanifest.xml"} <= names
    assert list(JobMissingOutput.objects.filter(job=job).values_list("product_type", "mandatory", "expected_count")) \
        == [(OUTPUT_TYPE, True, 1)]
    assert not Product.objects.filter(job_id=job.pk).exists()
    assert output_keys() == []
    wait_for("the working directory to go", lambda: not any(workdirs.iterdir()), timeout=5)


def test_max_time_kills_the_whole_process_tree(celery_worker_factory: Any, tmp_path: Path, workdirs: Path) -> None:
    markers = tmp_path / "markers"
    markers.mkdir()
    rule = sim_rule(table=sim_table(max_time_s=4), sleep_s=120, spawn_child="true", marker_dir=markers)
    celery_worker_factory(queues=EXECUTION_QUEUES, extra_env=worker_env(workdirs, RS_EXECUTION_MAX_RETRIES=0)).start()
    l0_input(tmp_path / "in")

    job = wait_for("the job to fail", lambda: job_in(rule, *FINISHED))
    assert job.state == JobState.FAILED
    assert job.reason == "Max_Time of 4 s reached: task OL1_SIM killed (after 0 automatic retries)"
    (task,) = TaskRun.objects.filter(job=job)
    assert (task.exit_code, task.signal, task.outcome) == (None, 15, "timeout")
    assert 4 <= (task.finished_at - job.running_at).total_seconds() < 7  # Max_Time is the whole job's budget
    processor_pid, child_pid = (int(p) for p in (markers / f"{job.pk}_1.started").read_text().split())
    assert not alive(processor_pid)
    assert not alive(child_pid)  # the child would have slept 300 s: killed with its process group
    assert list(JobMissingOutput.objects.filter(job=job).values_list("product_type", flat=True)) == [OUTPUT_TYPE]


def test_a_transient_storage_failure_is_retried_and_succeeds(
        celery_worker_factory: Any, tmp_path: Path, workdirs: Path) -> None:
    """The input object is really gone from the bucket for the first run (removed, put back after the failure)."""
    rule = sim_rule()
    source = l0_input(tmp_path / "in")
    store = object_store()
    kept = b"".join(store.open_range(key=source.storage_key))
    store.delete(source.storage_key)
    celery_worker_factory(queues=EXECUTION_QUEUES,
                          extra_env=worker_env(workdirs, RS_EXECUTION_RETRY_BACKOFF_S=3)).start()

    job = wait_for("the first run to fail", lambda: job_in(rule, JobState.RETRYING, *FINISHED))
    assert job.state == JobState.RETRYING
    assert job.reason == (f"input {source.name}: object {source.storage_key} is missing from storage — "
                          f"automatic retry 1/2 in 3 s")
    store.put_stream(key=source.storage_key, stream=kept, content_type="application/zip")

    job = wait_for("the retry to finish", lambda: job_in(rule, *FINISHED))
    assert (job.state, job.run, job.automatic_retries) == (JobState.SUCCEEDED, 2, 1), job.reason
    assert [t.to_state for t in job.transitions.all()] == [
        "waiting_inputs", "ready", "queued", "running", "retrying", "queued", "running", "succeeded"]
    assert Product.objects.filter(job_id=job.pk).count() == 1
    assert output_keys() == [f"products/S3/S3_L1_NRT/{output_name()}.zip"]


def test_a_worker_killed_mid_job_leaves_exactly_one_set_of_outputs(
        celery_worker_factory: Any, tmp_path: Path, workdirs: Path) -> None:
    markers = tmp_path / "markers"
    markers.mkdir()
    rule = sim_rule(sleep_s=3, marker_dir=markers)
    first = celery_worker_factory(queues=EXECUTION_QUEUES, extra_env=worker_env(workdirs))
    first.start()
    l0_input(tmp_path / "in")

    job = wait_for("the processor to start", lambda: job_in(rule, JobState.RUNNING))
    marker = wait_for("the processor's marker", lambda: next(markers.glob(f"{job.pk}_1.started"), None))
    processor_pid = int(marker.read_text().split()[0])
    first.kill()  # kill -9 of the worker and its pool processes, in the middle of the processor's run
    wait_for("the processor to die with its worker", lambda: not alive(processor_pid), timeout=5)
    job.refresh_from_db()
    assert (job.state, job.run) == (JobState.RUNNING, 1)  # nobody knows yet: the lease is still valid

    second = celery_worker_factory(queues=EXECUTION_QUEUES, extra_env=worker_env(workdirs))
    second.start()
    wait_for("the lease to lapse", lambda: jobs_reap() == 1, timeout=10, every=0.5)
    job = wait_for("the rerun to finish", lambda: job_in(rule, *FINISHED))
    assert (job.state, job.run, job.automatic_retries) == (JobState.SUCCEEDED, 2, 1), job.reason
    lost = job.transitions.get(to_state="retrying")
    assert lost.reason.startswith(f"worker lost: {first_hostname(job)} stopped renewing the lease of run 1")
    assert Product.objects.filter(job_id=job.pk).count() == 1
    assert JobOutput.objects.filter(job=job).count() == 1
    assert output_keys() == [f"products/S3/S3_L1_NRT/{output_name()}.zip"]
    assert sorted(TaskRun.objects.filter(job=job).values_list("run", "outcome")) == [(2, "ok")]
    # The dead run's folder was swept by the second run, which removes its own once the job is done.
    wait_for("the working directories to go", lambda: not any(workdirs.iterdir()), timeout=5)


def first_hostname(job: Any) -> str:
    return job.transitions.filter(to_state="running").order_by("at").first().reason.split(" on ", 1)[1]


def test_cancelling_a_running_job_stops_its_processor_and_registers_nothing(
        celery_worker_factory: Any, tmp_path: Path, workdirs: Path) -> None:
    markers = tmp_path / "markers"
    markers.mkdir()
    rule = sim_rule(sleep_s=60, marker_dir=markers)
    celery_worker_factory(queues=EXECUTION_QUEUES, extra_env=worker_env(workdirs)).start()
    l0_input(tmp_path / "in")
    job = wait_for("the processor to start", lambda: job_in(rule, JobState.RUNNING))
    marker = wait_for("the processor's marker", lambda: next(markers.glob(f"{job.pk}_1.started"), None))
    processor_pid = int(marker.read_text().split()[0])

    services.job_cancel(job_id=job.pk)
    wait_for("the processor to be stopped", lambda: not alive(processor_pid), timeout=6)
    task = wait_for("the task run", lambda: TaskRun.objects.filter(job=job).first(), timeout=5)
    assert (task.outcome, task.signal) == ("aborted", 15)
    job.refresh_from_db()
    assert (job.state, job.reason) == (JobState.CANCELLED, "cancelled by an operator")
    assert not Product.objects.filter(job_id=job.pk).exists()
    assert output_keys() == []
    wait_for("the working directory to go", lambda: not any(workdirs.iterdir()), timeout=5)
