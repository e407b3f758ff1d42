"""A rule with `publish_outputs=False` makes intermediate products: registered in the catalogue (lineage, job, object)
but unpublished, so PRIP never lists or serves them, and still the trigger and the input of the next level, whose
rule publishes its own outputs (routing and selection read the operational, online catalogue, published or not)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rs.catalog.models import Product
from rs.prip.tests.requests import get, get_json
from rs.production.choices import JobState
from rs.production.models import JobOutput, ProductionRule
from rs.production.tests.execution_support import (
    EXECUTION_QUEUES,
    OUTPUT_TYPE,
    job_in,
    l0_input,
    sim_rule,
    sim_table,
    wait_for,
    worker_env,
)

FINISHED = (JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED)
NEXT_TYPE = "OL_2_LFR___"


def next_level_rule() -> ProductionRule:
    """SIM_OL2: the test processor reading OL_1_EFR___ and writing OL_2_LFR___, its outputs published."""
    table = (sim_table(name="SIM_OL2").decode()
             .replace("<File_Type>OL_0_EFR___</File_Type>", f"<File_Type>{OUTPUT_TYPE}</File_Type>")
             .replace(f"<Type>{OUTPUT_TYPE}</Type>", f"<Type>{NEXT_TYPE}</Type>"))
    rule = sim_rule(table=table.encode(), name="sim-ol2")
    ProductionRule.objects.filter(pk=rule.pk).update(product_types=OUTPUT_TYPE)
    rule.refresh_from_db()
    return rule


def test_unpublished_intermediate_outputs_still_trigger_and_feed_the_next_level(
        celery_worker_factory: Any, tmp_path: Path, client: Any, settings: Any) -> None:
    settings.RS_WORKDIR_ROOT = tmp_path / "workdirs"
    # given L1 outputs kept unpublished and an L2 rule on them (publishing its own)
    l1_rule = sim_rule(name="sim-ol1-internal", publish=False)
    l2_rule = next_level_rule()
    celery_worker_factory(queues=EXECUTION_QUEUES, extra_env=worker_env(tmp_path / "workdirs")).start()
    # when an L0 is catalogued
    l0 = l0_input(tmp_path / "in")
    l1_job = wait_for("the L1 job", lambda: job_in(l1_rule, *FINISHED))
    l2_job = wait_for("the L2 job", lambda: job_in(l2_rule, *FINISHED), timeout=90)
    assert (l1_job.state, l2_job.state) == (JobState.SUCCEEDED, JobState.SUCCEEDED), (l1_job.reason, l2_job.reason)

    # then the L1 product is catalogued, with its object and lineage, but unpublished
    l1 = Product.objects.get(job_id=l1_job.pk)
    assert (l1.product_type, l1.publication_date, l1.online) == (OUTPUT_TYPE, None, True)
    assert l1.storage_key and list(l1.inputs.values_list("id", flat=True)) == [l0.id]
    assert list(JobOutput.objects.filter(job=l1_job).values_list("name", "published")) == [(l1.name, False)]
    # and it triggered the L2 job, which took it as its input and published its own product
    assert l2_job.trigger_product_id == l1.id
    l2 = Product.objects.get(job_id=l2_job.pk)
    assert l2.product_type == NEXT_TYPE and l2.publication_date is not None
    assert list(l2.inputs.values_list("id", flat=True)) == [l1.id]
    assert list(JobOutput.objects.filter(job=l2_job).values_list("name", "published")) == [(l2.name, True)]

    # and PRIP lists the L0 and the L2, never the L1, which is not found by its id either
    listed = get_json(client, "Products", ("$orderby", "Name"))["value"]
    assert [p["Name"] for p in listed] == sorted([l0.name, l2.name])
    assert get(client, f"Products({l1.id})").status_code == 404
    assert get(client, f"Products({l2.id})").status_code == 200
