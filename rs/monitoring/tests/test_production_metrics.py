"""Job and task duration histograms: observed by the real Celery worker that runs the jobs (multiprocess files),
read back by a scrape of /metrics with the exact values of the rows the worker wrote."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from rs.monitoring.tests.metrics_scrape import samples
from rs.production.choices import JobState
from rs.production.models import Job, TaskRun
from rs.production.tests.execution_support import (
    EXECUTION_QUEUES,
    job_in,
    l0_input,
    sim_rule,
    sim_table,
    wait_for,
    worker_env,
)

pytestmark = pytest.mark.urls("rs.monitoring.tests.urls")

FINISHED = (JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED)


def histogram(text: str, name: str, **labels: str) -> dict[str, float]:
    """count, sum and the cumulative buckets (by `le`) of one labelled histogram."""
    found: dict[str, float] = {}
    for (sample, sample_labels), value in samples(text).items():
        given = dict(sample_labels)
        le = given.pop("le", None)
        if given != labels:
            continue
        if sample == f"{name}_count":
            found["count"] = value
        elif sample == f"{name}_sum":
            found["sum"] = value
        elif sample == f"{name}_bucket" and le is not None:
            found[le] = value
    return found


def test_a_worker_observes_the_duration_of_its_jobs_and_the_usage_of_their_tasks(
        celery_worker_factory: Any, tmp_path: Path, client: Any, monkeypatch: Any) -> None:
    # given a worker writing its metrics to a multiprocess folder, and two processors triggered by the same L0:
    # one succeeds, the other's task exits 200 (a processor error: failed at once)
    folder = tmp_path / "metrics"
    folder.mkdir()
    ok_rule = sim_rule(name="sim-ok")
    bad_rule = sim_rule(table=sim_table(name="SIM_BAD"), name="sim-bad", exit_code=200)
    env = {**worker_env(tmp_path / "workdirs"), "PROMETHEUS_MULTIPROC_DIR": str(folder)}
    celery_worker_factory(queues=EXECUTION_QUEUES, extra_env=env).start()
    # when the L0 is catalogued and both jobs run
    l0_input(tmp_path / "in")
    ok = wait_for("the good job to finish", lambda: job_in(ok_rule, *FINISHED))
    bad = wait_for("the bad job to finish", lambda: job_in(bad_rule, *FINISHED))
    assert (ok.state, bad.state) == (JobState.SUCCEEDED, JobState.FAILED), (ok.reason, bad.reason)
    # then a scrape of the folder shows one run per processor and state, lasting claim → end exactly
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(folder))

    def scrape_with_both_runs() -> str | None:
        # the worker observes a run after its job row commits, so the row can be seen a moment before the metric
        response = client.get("/metrics")
        assert response.status_code == 200
        text = response.content.decode()
        observed = all(histogram(text, "rs_job_duration_seconds", processor=processor, state=job.state)
                       for job, processor in ((ok, "SIM_OL1"), (bad, "SIM_BAD")))
        return text if observed else None

    text = wait_for("both runs in the metrics", scrape_with_both_runs)
    for job, processor in ((ok, "SIM_OL1"), (bad, "SIM_BAD")):
        job = Job.objects.get(pk=job.pk)
        ended = job.succeeded_at or job.failed_at
        assert job.running_at is not None and ended is not None
        duration = histogram(text, "rs_job_duration_seconds", processor=processor, state=job.state)
        assert duration["count"] == 1.0
        assert duration["sum"] == (ended - job.running_at).total_seconds()
        assert duration["+Inf"] == 1.0
        # and each task's wall and CPU seconds and peak memory, as its TaskRun row records them
        task = TaskRun.objects.get(job=job)
        labels = {"processor": processor, "task": "OL1_SIM"}
        wall = histogram(text, "rs_task_wall_seconds", **labels)
        assert (wall["count"], wall["sum"]) == (1.0, task.wall_s)
        cpu = histogram(text, "rs_task_cpu_seconds", **labels)
        assert (cpu["count"], cpu["sum"]) == (1.0, task.cpu_user_s + task.cpu_system_s)
        memory = histogram(text, "rs_task_peak_memory_bytes", **labels)
        assert (memory["count"], memory["sum"]) == (1.0, float(task.max_rss_kib * 1024))
        assert task.max_rss_kib > 0
    assert histogram(text, "rs_job_duration_seconds", processor="SIM_OL1", state="failed") == {}
    # and nothing else ran: the two processors are the only labels
    processors = {dict(labels).get("processor") for (name, labels), _ in samples(text).items()
                  if name.startswith(("rs_job_duration_seconds", "rs_task_"))}
    assert processors == {"SIM_OL1", "SIM_BAD"}
