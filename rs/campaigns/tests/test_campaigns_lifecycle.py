"""What becomes of a campaign's outputs: due for eviction after the campaign retention, evicted by the lifecycle's
eviction run like any product but never listed in the PRIP's DeletedProducts; the comparisons outlive them. A
finished campaign is deleted by a worker with its outputs, rules and jobs (an interrupted deletion is finished by
the next one); an unfinished one is refused. The dataset's inputs stay."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from rs.campaigns import services
from rs.campaigns.models import Campaign, CampaignRun, JobComparison
from rs.campaigns.report import campaign_report
from rs.campaigns.tests.campaign_support import QUEUES, olci_setup, s3_requests_counted, wait_until
from rs.catalog.models import DeletedProduct, Product
from rs.catalog.storage import object_store
from rs.lifecycle import services as lifecycle_services
from rs.production import services as production_services
from rs.production.choices import TERMINAL_STATES
from rs.production.models import Job, JobOutput, ProductionRule
from rs.production.tests.simulation import PROCESSORS


def _operator(client: Any) -> None:
    client.force_login(get_user_model().objects.create_user("otto", password="pw-otto-123", is_staff=True))


def _prip_deleted(client: Any, name: str) -> int:
    body = client.get(f"/odata/v1/DeletedProducts?$count=true&$filter=Name eq '{name}'").json()
    return int(body["@odata.count"])


def _scoped_keys(scopes: list[str]) -> list[str]:
    return [key for scope in scopes for key, _ in object_store().list_keys(f"scoped/{scope}/")]


@pytest.mark.usefixtures("transactional_db")
def test_outputs_are_evicted_after_the_retention_and_a_deleted_campaign_leaves_only_its_dataset(
        celery_worker_factory: Any, tmp_path: Path, client: Any, settings: Any):
    settings.RS_EXECUTION_QUEUED_RESEND_S = 10
    settings.RS_CAMPAIGN_OUTPUT_RETENTION_DAYS = 12
    # given a campaign of A and B over the OLCI L0, finished on real workers, its report made once
    olci = olci_setup(tmp_path)
    env = {"RS_PROCESSOR_ROOT": str(PROCESSORS), "RS_WORKDIR_ROOT": str(tmp_path / "workdirs"),
           "RS_EXECUTION_HEARTBEAT_S": "1", "RS_EXECUTION_LEASE_S": "10"}
    celery_worker_factory(queues=QUEUES, extra_env=env).start()
    campaign = services.campaign_start(request=services.CampaignRequest(
        name="retention", dataset_id=olci.dataset.pk,
        versions=[{"processor_version": olci.version_a.pk, "label": "A"},
                  {"processor_version": olci.version_b.pk, "label": "B"}]))
    jobs = Job.objects.filter(rule__campaign_run__campaign=campaign)
    wait_until("the campaign's jobs", lambda: jobs.count() == 2 and all(
        state in TERMINAL_STATES for state in jobs.values_list("state", flat=True)), timeout=180)
    assert sorted(jobs.values_list("state", flat=True)) == ["succeeded", "succeeded"]
    # its comparison (B against A) stored by a worker once the runs ended
    wait_until("the comparisons stored", lambda: Campaign.objects.filter(
        pk=campaign.pk, comparisons_stored_at__isnull=False).exists(), timeout=60)
    assert JobComparison.objects.filter(job__in=jobs).count() == 1
    report = campaign_report(campaign_id=campaign.pk)
    assert [(v["label"], v["verdict"]) for v in report["versions"]] == [("A", "pass"), ("B", "differs")]

    # then every output is due 12 days after its registration (the campaign retention), as no policy says
    outputs = list(Product.objects.filter(job_id__in=list(jobs.values_list("pk", flat=True))).order_by("name"))
    assert len(outputs) == 4
    registered = dict(JobOutput.objects.filter(product_id__in=[p.id for p in outputs]).values_list(
        "product_id", "registered_at"))
    for product in outputs:
        assert product.eviction_date is not None and product.publication_date is None
        due_after = product.eviction_date - timedelta(days=12)
        assert product.created_at <= due_after + timedelta(seconds=1) and due_after <= registered[product.id]

    # when the lifecycle's eviction run comes 13 days later
    evicted = lifecycle_services.eviction_run(now=timezone.now() + timedelta(days=13))
    # then the outputs are offline, their objects gone, recorded but never listed in the PRIP's DeletedProducts;
    # the dataset's input (pinned) stays online
    assert evicted.evicted >= 4
    assert not Product.objects.filter(id__in=[p.id for p in outputs], online=True).exists()
    assert not any(object_store().exists(p.storage_key) for p in outputs)
    assert DeletedProduct.objects.filter(id__in=[p.id for p in outputs]).count() == 4
    assert [_prip_deleted(client, p.name) for p in outputs] == [0, 0, 0, 0]
    olci.l0.refresh_from_db()
    assert olci.l0.online and object_store().exists(olci.l0.storage_key)
    # and the report, made of the stored comparisons, still says what the outputs were, without reading storage
    with s3_requests_counted() as reads:
        after = campaign_report(campaign_id=campaign.pk)
    assert reads == []
    assert {**after, "generated_at": None} == {**report, "generated_at": None}

    # and the metadata purge, 91 days after the eviction, removes their entries (the records stay, unlisted)
    lifecycle_services.metadata_purge(now=timezone.now() + timedelta(days=13 + 91))
    assert not Product.objects.filter(id__in=[p.id for p in outputs]).exists()
    assert DeletedProduct.objects.filter(id__in=[p.id for p in outputs]).count() == 4

    # when its deletion was interrupted (the campaign marked deleting, the first run's outputs, jobs and rule gone) …
    scopes = list(CampaignRun.objects.filter(campaign=campaign).order_by("pk").values_list("scope", flat=True))
    rule_ids = list(CampaignRun.objects.filter(campaign=campaign).order_by("pk").values_list("rule_id", flat=True))
    job_ids = list(jobs.values_list("pk", flat=True))
    Campaign.objects.filter(pk=campaign.pk).update(state="deleting")
    assert production_services.scoped_rule_delete(rule_id=rule_ids[0]) == 1
    assert list(CampaignRun.objects.filter(campaign=campaign).order_by("pk").values_list("rule_id", flat=True)) == [
        None, rule_ids[1]]
    _operator(client)
    # … the campaign says so and has no report any more
    assert client.get(f"/api/v1/campaigns/{campaign.pk}/").json()["state"] == "deleting"
    refused = client.get(f"/api/v1/campaigns/{campaign.pk}/report/")
    assert (refused.status_code, refused.json()["error"]["message"]) == (
        409, f"campaign {campaign.pk} is being deleted: it has no report any more")
    # and deleting it again finishes, in the background: 202 with the campaign as it is (deleting), then a worker
    # removes outputs, rules, jobs (their comparisons) and the campaign; the dataset stays
    accepted = client.delete(f"/api/v1/campaigns/{campaign.pk}/")
    assert (accepted.status_code, accepted.json()["id"], accepted.json()["state"]) == (202, campaign.pk, "deleting")
    wait_until("the campaign deleted", lambda: client.get(f"/api/v1/campaigns/{campaign.pk}/").status_code == 404,
               timeout=60)
    assert not Campaign.objects.filter(pk=campaign.pk).exists()
    assert not Product.objects.filter(scope__in=scopes).exists()
    # every output stays recorded (by its eviction: the purge had removed the entries), never listed by the PRIP
    assert DeletedProduct.objects.filter(scope__in=scopes).count() == 4
    assert [_prip_deleted(client, p.name) for p in outputs] == [0, 0, 0, 0]
    assert not Job.objects.filter(pk__in=job_ids).exists()
    assert not JobOutput.objects.filter(job_id__in=job_ids).exists()
    assert not JobComparison.objects.filter(job_id__in=job_ids).exists()
    assert not ProductionRule.objects.filter(pk__in=rule_ids).exists()
    assert _scoped_keys(scopes) == []
    olci.l0.refresh_from_db()
    assert olci.l0.online and object_store().exists(olci.l0.storage_key)
    assert list(olci.dataset.items.values_list("product_id", flat=True)) == [olci.l0.id]
    # deleting it once more: it is gone
    assert client.delete(f"/api/v1/campaigns/{campaign.pk}/").status_code == 404


@pytest.mark.usefixtures("transactional_db")
def test_a_campaign_with_unfinished_jobs_is_not_deleted_and_says_why(tmp_path: Path, client: Any):
    # given a campaign whose job waits for a worker (none runs)
    olci = olci_setup(tmp_path)
    campaign = services.campaign_start(request=services.CampaignRequest(
        name="unfinished", dataset_id=olci.dataset.pk, versions=[{"processor_version": olci.version_a.pk}]))
    (job,) = Job.objects.filter(rule__campaign_run__campaign=campaign)
    _operator(client)
    # when it is deleted: refused, with the reason, and nothing changed
    refused = client.delete(f"/api/v1/campaigns/{campaign.pk}/")
    assert (refused.status_code, refused.json()["error"]["code"], refused.json()["error"]["message"]) == (
        409, "conflict", f"campaign {campaign.pk} has 1 unfinished job(s): cancel them or wait until they finish, "
                         "then delete it")
    campaign.refresh_from_db()
    assert campaign.state == "active" and Job.objects.filter(pk=job.pk).exists()
    # nor through the admin's action, which says why
    admin_user = get_user_model().objects.create_superuser("ada", password="pw-ada-12345")
    client.force_login(admin_user)
    action = {"action": "delete_campaigns", "_selected_action": [campaign.pk]}
    page = client.post("/admin/campaigns/campaign/", action, follow=True)
    assert [str(m) for m in page.context["messages"]] == [
        f"campaign {campaign.pk}: campaign {campaign.pk} has 1 unfinished job(s): cancel them or wait until they "
        "finish, then delete it"]
    # once its job is cancelled, the action marks it deleting and leaves the work to a worker
    production_services.job_cancel(job_id=job.pk)
    page = client.post("/admin/campaigns/campaign/", action, follow=True)
    assert [str(m) for m in page.context["messages"]] == [
        f"campaign {campaign.pk} is being deleted (outputs, rules and jobs, by a worker)"]
    campaign.refresh_from_db()
    assert campaign.state == "deleting" and Job.objects.filter(pk=job.pk).exists()
    # which deletes it (what the task does)
    assert services.campaign_delete(campaign_id=campaign.pk) == 1
    assert not Campaign.objects.filter(pk=campaign.pk).exists()
    assert not Job.objects.filter(pk=job.pk).exists()
    assert Product.objects.filter(pk=olci.l0.pk, online=True).exists()
