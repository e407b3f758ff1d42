"""The three demo chains end to end on the real services: the demo inputs are ingested, real Celery workers run
preparation and the simulated processors, and every expected product reaches the catalogue with its lineage:
S1 session → AIOP → L0 slices → L1 SLC/GRD → L2 OCN, S2 L0 → L1C → L2A, S3 L0 → OL1 → OL2 and SL1 → SL2."""

from __future__ import annotations

import io
import time
from collections import Counter
from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.db.models import Count

from rs.catalog.models import Product
from rs.ingestion.demo import demo_generate
from rs.ingestion.tests.ingestion_support import directory_inbox, ingest_now
from rs.production import services
from rs.production.choices import JobState
from rs.production.execution.claims import jobs_dispatch_due
from rs.production.models import Job, JobMissingOutput
from rs.production.tests.simulation import PROCESSORS

QUEUES = "preparation,production-high,production-medium,production-low,maintenance"
EXPECTED_JOBS = {"demo-s1-aiop": 1, "demo-s1-l0asp": 1, "demo-s1-iw-l1": 6, "demo-s1-iw-ocn": 6, "demo-s2-l1": 1,
                 "demo-s2-l2a": 1, "demo-s3-ol1": 1, "demo-s3-ol2": 3, "demo-s3-sl1": 1, "demo-s3-sl2": 1}
EXPECTED_OUTPUTS = {  # product type → products made by the chains (the L1 and OCN of the 3 demo slices included)
    "IW_RAW__0S": 4, "IW_RAW__0A": 1, "IW_RAW__0C": 1, "IW_RAW__0N": 1, "IW_SLC__1S": 6, "IW_GRDH_1S": 6,
    "IW_OCN__2S": 6, "MSI_L1C_DS": 1, "MSI_L1C_TL": 2, "S2MSI1C": 2, "MSI_L2A_DS": 1, "MSI_L2A_TL": 2, "S2MSI2A": 2,
    "OL_1_EFR___": 1, "OL_1_ERR___": 1, "OL_2_LFR___": 3, "OL_2_WFR___": 3, "SL_1_RBT___": 1, "SL_2_LST___": 1,
    "SL_2_WCT___": 1,
}
FINISHED = (JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED)


def chains_done() -> bool:
    jobs = Counter(Job.objects.filter(state__in=FINISHED).values_list("rule__name", flat=True))
    return jobs == Counter(EXPECTED_JOBS) and not Job.objects.exclude(state__in=FINISHED).exists()


def run_like_beat(condition: Any, *, timeout: float) -> None:
    """What beat does every minute (settled jobs become ready, lost dispatches are re-sent), every second."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        services.jobs_timeouts_check()
        jobs_dispatch_due()
        if condition():
            return
        time.sleep(1)
    states = list(Job.objects.values_list("rule__name", "state", "reason"))
    raise AssertionError(f"the chains did not finish in {timeout} s: {states}")


def made(product_type: str) -> list[Product]:
    return list(Product.objects.filter(product_type=product_type, job_id__isnull=False).order_by("content_start",
                                                                                                  "name"))


def same_area(a: Any, b: Any) -> bool:
    """Equal footprints, whatever the first vertex and orientation the manifests list."""
    return bool(a.sym_difference(b).area < 1e-6 * a.area)


def inputs_of(product: Product) -> dict[str, list[Product]]:
    found: dict[str, list[Product]] = {}
    for item in product.inputs.order_by("name"):
        found.setdefault(item.product_type, []).append(item)
    return found


def test_the_demo_inputs_run_the_three_chains_to_the_catalogue(celery_worker_factory: Any, tmp_path: Path,
                                                              settings: Any):
    settings.RS_EXECUTION_QUEUED_RESEND_S = 10  # the sweep below re-sends a lost message after 10 s, not an hour
    # given the demo chains set up and two workers of every production queue
    call_command("production", "demo-setup", stdout=io.StringIO())
    env = {"RS_PROCESSOR_ROOT": str(PROCESSORS), "RS_WORKDIR_ROOT": str(tmp_path / "workdirs"),
           "RS_EXECUTION_HEARTBEAT_S": "1", "RS_EXECUTION_LEASE_S": "10"}
    for _ in range(2):
        celery_worker_factory(queues=QUEUES, extra_env=env).start()

    # when the demo inputs are ingested
    demo_generate(tmp_path / "demo")
    assert ingest_now(directory_inbox(tmp_path / "demo")) == {"ingested": 50}
    run_like_beat(chains_done, timeout=300)

    # then every job succeeded and every expected product is catalogued, once
    states = Counter(Job.objects.values_list("state", flat=True))
    assert dict(states) == {JobState.SUCCEEDED: sum(EXPECTED_JOBS.values())}
    produced = Counter(Product.objects.filter(job_id__isnull=False).values_list("product_type", flat=True))
    assert produced == Counter(EXPECTED_OUTPUTS)
    assert not JobMissingOutput.objects.exists()
    assert not Product.objects.values("name").annotate(n=Count("id")).filter(n__gt=1).exists()

    # every output: its job, the job's processor, the latest OriginDate of its inputs, published unless internal
    for product in Product.objects.filter(job_id__isnull=False).prefetch_related("inputs"):
        job = Job.objects.select_related("processor_version__processor", "rule").get(pk=product.job_id)
        attributes = {a.name: a.value_string for a in product.attributes.filter(name__startswith="processor")}
        assert attributes["processorName"] == job.processor_version.processor.name, product.name
        assert attributes["processorVersion"] == job.processor_version.version, product.name
        origins = [p.origin_date for p in product.inputs.all() if p.origin_date]
        assert origins and product.origin_date == max(origins), product.name
        assert (product.publication_date is not None) == job.rule.publish_outputs, product.name

    # S1: OCN ← SLC ← slice ← segment ← the complete session (marker, both descriptors, the four chunks) and the
    # predicted orbit
    segment = next(p for p in made("IW_RAW__0S") if p.family == "L0_SEGMENT")
    assert inputs_of(segment).keys() == {"SESSION_COMPLETE", "SESSION", "RAW", "MPL_ORBPRE"}
    assert [p.name for p in inputs_of(segment)["SESSION_COMPLETE"]] == ["S1A_20261120102500061234"]
    assert [p.name for p in inputs_of(segment)["SESSION"]] == [
        "DCS_02_S1A_20261120102500061234_ch1_DSIB.xml", "DCS_02_S1A_20261120102500061234_ch2_DSIB.xml"]
    assert [p.name for p in inputs_of(segment)["RAW"]] == [
        f"DCS_02_S1A_20261120102500061234_ch{c}_DSDB_0000{n}.raw" for c in (1, 2) for n in (1, 2)]
    slices = [p for p in made("IW_RAW__0S") if p.family == "L0_SLICE"]
    assert len(slices) == 3 and all(inputs_of(s)["IW_RAW__0S"] == [segment] for s in slices)
    assert all(segment.footprint.buffer(1e-3).contains(s.footprint) for s in slices)
    for ocn in made("IW_OCN__2S"):
        (slc,) = inputs_of(ocn)["IW_SLC__1S"]
        assert {"AUX_PP2", "AUX_WND"} <= inputs_of(ocn).keys()
        assert same_area(ocn.footprint, slc.footprint)
        (l0,) = inputs_of(slc)["IW_RAW__0S"]
        assert {"IW_RAW__0A", "IW_RAW__0C", "IW_RAW__0N", "AUX_PP1", "AUX_CAL", "AUX_INS",
                "AUX_RESORB"} <= inputs_of(slc).keys()
        assert same_area(slc.footprint, l0.footprint)
    own = [o for o in made("IW_OCN__2S") if inputs_of(inputs_of(o)["IW_SLC__1S"][0])["IW_RAW__0S"][0] in slices]
    assert len(own) == 3  # the other three come from the demo's own slices

    # S2: S2MSI2A ← L1C tiles and datastrip ← L0 datastrip and its three granules
    (l1c_ds,) = made("MSI_L1C_DS")
    assert [len(v) for k, v in sorted(inputs_of(l1c_ds).items()) if k.startswith("MSI_L0")] == [1, 3]
    for user in made("S2MSI2A"):
        sources = inputs_of(user)
        assert sources["MSI_L1C_DS"] == [l1c_ds] and len(sources["MSI_L1C_TL"]) == 2
    assert {p.attributes.get(name="tileId").value_string for p in made("S2MSI2A")} == {"32TNR", "32TNS"}

    # S3: OL2 ← OL1 ← OL0, SL2 ← SL1 ← SL0, footprints carried along
    (ol1,) = made("OL_1_EFR___")
    (ol0,) = inputs_of(ol1)["OL_0_EFR___"]
    ol2 = [p for p in made("OL_2_LFR___") if inputs_of(p)["OL_1_EFR___"] == [ol1]]
    assert len(ol2) == 1 and same_area(ol2[0].footprint, ol0.footprint)
    (sl2,) = made("SL_2_LST___")
    (rbt,) = inputs_of(sl2)["SL_1_RBT___"]
    assert inputs_of(rbt)["SL_0_SLT___"][0].product_type == "SL_0_SLT___"
