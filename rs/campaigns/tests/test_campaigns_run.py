"""Campaigns end to end on real workers with the simulated OLCI L1: version A, a version B whose outputs differ in
one metadata field and which is slower, and a version that crashes, twice each on the same reference dataset. The
report tells exactly that; the outputs stay in their runs' scopes, unpublished, triggering nothing operational."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from rs.campaigns import services
from rs.campaigns.models import Campaign, CampaignRun, JobComparison
from rs.campaigns.report import campaign_report
from rs.campaigns.tests.campaign_support import QUEUES, TEST_TABLES, olci_setup, s3_requests_counted, wait_until
from rs.catalog import services as catalog_services
from rs.catalog.choices import OPERATIONAL_SCOPE
from rs.catalog.models import EventDelivery, Product
from rs.catalog.storage import object_store
from rs.ingestion import selectors as ingestion_selectors
from rs.production import services as production_services
from rs.production.choices import TERMINAL_STATES
from rs.production.consumers import PREPARATION_CONSUMER
from rs.production.models import Job
from rs.production.tests.simulation import PROCESSORS

BASELINE_PATH = ("XFDU/metadataSection/metadataObject[3]/metadataWrap/xmlData/generalProductInformation/"
                 "baselineCollection")


def prip_count(client: Any) -> int:
    return int(client.get("/odata/v1/Products?$count=true&$top=1").json()["@odata.count"])


@pytest.mark.usefixtures("transactional_db")
def test_a_versus_b_shows_the_one_changed_field_and_the_slowdown_and_a_crash_is_reported_failed(
        celery_worker_factory: Any, tmp_path: Path, client: Any, settings: Any, django_assert_num_queries: Any):
    settings.RS_EXECUTION_QUEUED_RESEND_S = 10
    # given the OLCI L0 of the demo in a reference dataset, the demo rules enabled (OL2 is triggered by OL1 outputs)
    olci = olci_setup(tmp_path)
    published_before = prip_count(client)
    env = {"RS_PROCESSOR_ROOT": str(PROCESSORS), "RS_WORKDIR_ROOT": str(tmp_path / "workdirs"),
           "RS_EXECUTION_HEARTBEAT_S": "1", "RS_EXECUTION_LEASE_S": "10"}
    workers = [celery_worker_factory(queues=QUEUES, extra_env=env) for _ in range(2)]
    for worker in workers:
        worker.start()

    # when a campaign runs A, B and the crashing version twice each
    campaign = services.campaign_start(request=services.CampaignRequest(
        name="OL1 06.18 validation", dataset_id=olci.dataset.pk, repetitions=2,
        versions=[{"processor_version": olci.version_a.pk, "label": "A"},
                  {"processor_version": olci.version_b.pk, "label": "B"},
                  {"processor_version": olci.version_crash.pk, "label": "crash"}]))
    jobs = Job.objects.filter(rule__campaign_run__campaign=campaign)
    wait_until("the campaign's jobs", lambda: jobs.count() == 6 and all(
        state in TERMINAL_STATES for state in jobs.values_list("state", flat=True)), timeout=240)
    outputs = Product.objects.filter(job_id__in=list(jobs.values_list("pk", flat=True)))
    created = EventDelivery.objects.filter(event__product_id__in=list(outputs.values_list("id", flat=True)),
                                           event__kind="created", consumer=PREPARATION_CONSUMER)
    wait_until("preparation to see the outputs", lambda: created.count() == 8 and not created.filter(
        delivered_at__isnull=True).exists(), timeout=60)
    # the comparisons were made and stored by a worker as the runs ended, before any report was asked for: A's
    # second run and B's two against A's first (the baseline run is the reference, the crashes compare nothing)
    stored = JobComparison.objects.filter(job__rule__campaign_run__campaign=campaign)
    wait_until("the comparisons stored", lambda: Campaign.objects.filter(
        pk=campaign.pk, comparisons_stored_at__isnull=False).exists(), timeout=60)
    assert stored.count() == 3
    # whatever the number of jobs: campaign, versions, runs, jobs, outputs, …, stored comparisons: 10 reads, no
    # write, not one read of object storage
    with django_assert_num_queries(10), s3_requests_counted() as reads, CaptureQueriesContext(connection) as sql:
        report = campaign_report(campaign_id=campaign.pk)
    assert reads == [] and _writes(sql) == []

    # a campaign whose comparisons are not stored (finished before they were stored at a run's end): its report
    # makes them in memory, the same, and stores nothing — each of the 8 products compared (A's first run's two
    # read once for the three comparisons) read with one HEAD (its size) and one ranged GET
    for worker in workers:  # (no store running meanwhile)
        worker.stop()
    stored.delete()
    Campaign.objects.filter(pk=campaign.pk).update(comparisons_stored_at=None)
    with django_assert_num_queries(10), s3_requests_counted() as reads, CaptureQueriesContext(connection) as sql:
        unstored = campaign_report(campaign_id=campaign.pk)
    assert sorted(reads) == ["GetObject"] * 8 + ["HeadObject"] * 8 and _writes(sql) == []
    assert {**unstored, "generated_at": None} == {**report, "generated_at": None}
    assert stored.count() == 0
    # the periodic fill (or `manage.py campaigns comparisons-store`) stores them, and the report reads them again
    assert call_command_output("campaigns", "comparisons-store") == (
        f"campaign {campaign.pk}: 3 comparison(s) stored\n")
    assert stored.count() == 3 and call_command_output("campaigns", "comparisons-store") == ""
    with s3_requests_counted() as reads:
        again = campaign_report(campaign_id=campaign.pk)
    assert reads == [] and {**again, "generated_at": None} == {**report, "generated_at": None}

    # then A passes (its second run equals its first), B differs in exactly one field, the crash failed
    assert (report["state"], report["verdict"]) == ("finished", "failed")
    assert [(v["label"], v["verdict"], v["jobs"]) for v in report["versions"]] == [
        ("A", "pass", {"pass": 2, "differs": 0, "failed": 0, "pending": 0}),
        ("B", "differs", {"pass": 0, "differs": 2, "failed": 0, "pending": 0}),
        ("crash", "failed", {"pass": 0, "differs": 0, "failed": 2, "pending": 0})]
    assert report["compared_with"] == "the baseline version A, repetition 1"
    assert sorted((d["version"], d["repetition"], d["product_type"], d["document"], d["path"], d["kind"],
                   d["expected"], d["actual"]) for d in report["differences"]) == [
        ("B", repetition, product_type, "xfdumanifest.xml", BASELINE_PATH, "changed", "002", "003")
        for repetition in (1, 2) for product_type in ("OL_1_EFR___", "OL_1_ERR___")]
    b_job = report["runs"][2]["jobs"][0]
    assert b_job["comparison"]["by_type"]["OL_1_EFR___"] == {"identical": 0, "equivalent": 0, "different": 1,
                                                            "missing": 0, "extra": 0}
    a_again = report["runs"][1]["jobs"][0]
    assert a_again["comparison"]["counts"] == {"identical": 0, "equivalent": 2, "different": 0, "missing": 0,
                                               "extra": 0}

    # B is slower: every one of its runs took longer than every one of A's, which the side-by-side ratio shows
    wall = report["costs"]["tasks"]["OL1"]["wall_s"]
    assert wall["B"]["n"] == wall["A"]["n"] == 2
    assert wall["B"]["minimum"] > wall["A"]["maximum"] + 1.5
    assert wall["ratio"]["B"] > 2 and wall["change_percent"]["B"] > 100
    job_io = report["costs"]["tasks"]["(job)"]
    assert job_io["read_bytes"]["A"]["median"] == job_io["read_bytes"]["B"]["median"] > 0
    assert job_io["written_bytes"]["A"]["median"] > 0
    assert report["costs"]["tasks"]["OL1"]["peak_memory_bytes"]["A"]["minimum"] > 0

    # the crash: failed at once (not retried), said so, no output, the missing outputs named
    for run in report["runs"][4:]:
        (crashed,) = run["jobs"]
        assert (crashed["state"], crashed["verdict"], crashed["runs"], crashed["outputs"]) == (
            "failed", "failed", 1, [])
        assert [(t["name"], t["outcome"], t["signal"]) for t in crashed["tasks"]] == [("OL1", "error", 11)]
        assert "task OL1 crashed (signal 11)" in crashed["problems"]
        assert [m["product_type"] for m in crashed["missing_outputs"]] == ["OL_1_EFR___", "OL_1_ERR___"]

    # isolation: every output in its run's scope and object prefix, unpublished; nothing operational was triggered
    scopes = dict(CampaignRun.objects.filter(campaign=campaign).values_list("rule_id", "scope"))
    rule_of = dict(jobs.values_list("pk", "rule_id"))
    assert outputs.count() == 8
    for product in outputs:
        scope = scopes[rule_of[product.job_id]]
        assert (product.scope, product.publication_date) == (scope, None)
        assert product.storage_key.startswith(f"scoped/{scope}/S3/")
    assert not Job.objects.filter(rule__output_scope=OPERATIONAL_SCOPE).exists()
    assert prip_count(client) == published_before
    # an operational product may take the name of a campaign output: names are unique within a scope only
    sample = outputs.first()
    assert sample is not None and object_store().exists(sample.storage_key)
    folder = tmp_path / "again" / sample.name
    folder.mkdir(parents=True)
    (folder / "xfdumanifest.xml").write_bytes(_manifest_of(sample))
    described = ingestion_selectors.local_product_describe(path=folder)
    twin = catalog_services.product_register(name=sample.name, metadata=described.metadata, content_length=1)
    assert (twin.scope, twin.name) == (OPERATIONAL_SCOPE, sample.name)

    # the report over the API, and as a downloadable HTML document
    client.force_login(_operator())
    body = client.get(f"/api/v1/campaigns/{campaign.pk}/report/").json()
    assert (body["verdict"], body["differences"][0]["path"]) == ("failed", BASELINE_PATH)
    html = client.get(f"/api/v1/campaigns/{campaign.pk}/report/html/")
    assert html["Content-Disposition"] == f'attachment; filename="campaign-{campaign.pk}-report.html"'
    page = html.content.decode()
    assert 'id="campaign-verdict">failed<' in page and "baselineCollection" in page
    assert "task OL1 crashed (signal 11)" in page


def _writes(captured: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in captured.captured_queries
            if q["sql"].lstrip().split(" ", 1)[0].upper() in {"INSERT", "UPDATE", "DELETE"}]


def call_command_output(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def _manifest_of(product: Product) -> bytes:
    content = b"".join(object_store().open_range(key=product.storage_key))
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        (name,) = [n for n in archive.namelist() if n.endswith("xfdumanifest.xml")]
        return archive.read(name)


def _operator() -> Any:
    return get_user_model().objects.create_user("otto", password="pw-otto-123", is_staff=True)


@pytest.mark.usefixtures("transactional_db")
def test_a_processor_that_hangs_or_writes_nothing_still_gets_a_complete_report_saying_so(
        celery_worker_factory: Any, tmp_path: Path, settings: Any):
    settings.RS_EXECUTION_QUEUED_RESEND_S = 10
    # given the baseline, the same version told to write nothing, and a version that hangs past its Max_Time (3 s)
    olci = olci_setup(tmp_path)
    hang = production_services.processor_import(data=(TEST_TABLES / "S3A_OL1_06.20-sim-hang.xml").read_bytes())
    # (the workers' retry budget is the default one: a campaign's hang is not retried anyway)
    env = {"RS_PROCESSOR_ROOT": str(PROCESSORS), "RS_WORKDIR_ROOT": str(tmp_path / "workdirs"),
           "RS_EXECUTION_HEARTBEAT_S": "1", "RS_EXECUTION_LEASE_S": "10", "RS_EXECUTION_KILL_GRACE_S": "1",
           "RS_EXECUTION_RETRY_BACKOFF_S": "1"}
    celery_worker_factory(queues=QUEUES, extra_env=env).start()

    # when the campaign runs
    campaign = services.campaign_start(request=services.CampaignRequest(
        name="bad processors", dataset_id=olci.dataset.pk,
        versions=[{"processor_version": olci.version_a.pk, "label": "A"},
                  {"processor_version": olci.version_a.pk, "label": "silent",
                   "parameters": {"Sim_Skip_Outputs": "OL_1_EFR___,OL_1_ERR___"}},
                  {"processor_version": hang.pk, "label": "hang"}]))
    jobs = Job.objects.filter(rule__campaign_run__campaign=campaign)
    wait_until("the campaign's jobs", lambda: jobs.count() == 3 and all(
        state in TERMINAL_STATES for state in jobs.values_list("state", flat=True)), timeout=180)
    report = campaign_report(campaign_id=campaign.pk)

    # then every run is reported: the silent one and the hung one failed, each saying why
    assert (report["state"], report["verdict"]) == ("finished", "failed")
    assert [(v["label"], v["verdict"]) for v in report["versions"]] == [
        ("A", "pass"), ("silent", "failed"), ("hang", "failed")]
    (silent,) = report["runs"][1]["jobs"]
    assert (silent["state"], silent["outputs"], silent["comparison"]) == ("failed", [], None)
    assert [(t["outcome"], t["exit_code"]) for t in silent["tasks"]] == [("ok", 0)]
    assert [m["product_type"] for m in silent["missing_outputs"]] == ["OL_1_EFR___", "OL_1_ERR___"]
    assert "no output registered" in silent["problems"] and "mandatory" in silent["reason"]
    (hung,) = report["runs"][2]["jobs"]
    # killed at its Max_Time once, failed at once: no retry distorts what the run measures
    assert (hung["state"], hung["runs"], [t["outcome"] for t in hung["tasks"]]) == ("failed", 1, ["timeout"])
    assert hung["reason"] == "Max_Time of 3 s reached: task OL1 killed (after 0 automatic retries)"
    assert any(p.startswith("task OL1 killed at the job's Max_Time after ") and p.endswith(" s (hang)")
               for p in hung["problems"])
    assert 1 < hung["tasks"][0]["wall_s"] <= 3.5  # Max_Time bounds the whole job, staging included
    assert report["costs"]["tasks"]["OL1"]["wall_s"]["hang"]["n"] == 1


@pytest.mark.usefixtures("transactional_db")
def test_a_dataset_with_reference_outputs_is_compared_with_them(celery_worker_factory: Any, tmp_path: Path,
                                                                settings: Any):
    settings.RS_EXECUTION_QUEUED_RESEND_S = 10
    # given a dataset whose reference output is the demo's OLCI L1 frame over the Baltic (another scene)
    olci = olci_setup(tmp_path)
    reference = Product.objects.filter(product_type="OL_1_EFR___").order_by("content_start").first()
    assert reference is not None
    dataset = services.dataset_create(request=services.DatasetRequest(
        name="olci-l0-with-reference", input_names=(olci.l0.name,), reference_names=(reference.name,)))
    env = {"RS_PROCESSOR_ROOT": str(PROCESSORS), "RS_WORKDIR_ROOT": str(tmp_path / "workdirs"),
           "RS_EXECUTION_HEARTBEAT_S": "1", "RS_EXECUTION_LEASE_S": "10"}
    celery_worker_factory(queues=QUEUES, extra_env=env).start()

    # when version A runs on it
    campaign = services.campaign_start(request=services.CampaignRequest(
        name="against the reference", dataset_id=dataset.pk, versions=[{"processor_version": olci.version_a.pk}]))
    jobs = Job.objects.filter(rule__campaign_run__campaign=campaign)
    wait_until("the campaign's job", lambda: jobs.filter(state__in=list(TERMINAL_STATES)).count() == 1, timeout=120)
    report = campaign_report(campaign_id=campaign.pk)

    # then its frame is compared with the reference's, and its stripe, which the reference lacks, is extra
    assert (report["compared_with"], report["verdict"], report["unmatched_references"]) == (
        "the dataset's reference outputs", "differs", [])
    (job,) = report["runs"][0]["jobs"]
    assert job["compared_with"] == {"kind": "reference", "job_id": None}
    assert [(p["product_type"], p["status"], p["expected_name"]) for p in job["comparison"]["products"]] == [
        ("OL_1_EFR___", "different", reference.name), ("OL_1_ERR___", "extra", None)]
    starts = [d for d in report["differences"] if d["path"] and d["path"].endswith("acquisitionPeriod/startTime")]
    assert [(d["expected"], d["actual"]) for d in starts] == [
        (f"{reference.content_start:%Y-%m-%dT%H:%M:%S.%f}Z", f"{olci.l0.content_start:%Y-%m-%dT%H:%M:%S.%f}Z")]

    # and once deleted, its outputs are gone from the catalogue and from storage, the dataset's products stay
    outputs = list(Product.objects.filter(job_id=job["job_id"]))
    assert len(outputs) == 2 and all(object_store().exists(p.storage_key) for p in outputs)
    services.campaign_delete_request(campaign_id=campaign.pk)
    wait_until("the campaign deleted", lambda: not Campaign.objects.filter(pk=campaign.pk).exists(), timeout=60)
    assert not Product.objects.filter(id__in=[p.id for p in outputs]).exists()
    assert not any(object_store().exists(p.storage_key) for p in outputs)
    assert not Job.objects.filter(pk=job["job_id"]).exists()
    for kept in (reference, olci.l0):
        kept.refresh_from_db()
        assert kept.online and object_store().exists(kept.storage_key)
