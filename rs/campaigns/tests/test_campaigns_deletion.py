"""A campaign is deleted in the background: the request marks it `deleting` and answers 202, a worker deletes it on
the maintenance queue holding a lease on it, so a duplicate message or a second worker changes nothing, and the
periodic re-send finishes a deletion whose message was lost or whose worker died. A run whose last job ends has its
comparisons stored (the report only reads)."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from rs.campaigns import services
from rs.campaigns.constants import DELETION_RESEND_AFTER_S
from rs.campaigns.models import Campaign, CampaignRun
from rs.campaigns.tasks import campaign_deletions_redispatch_task
from rs.campaigns.tests.campaign_support import OlciSetup, olci_setup, wait_until
from rs.production import services as production_services
from rs.production.models import Job, ProductionRule


def _finished_campaign(olci: OlciSetup, name: str, *, repetitions: int = 2) -> tuple[Campaign, list[int], list[int]]:
    """A campaign of A on the OLCI L0, its jobs (one per run) cancelled before any worker took them."""
    campaign = services.campaign_start(request=services.CampaignRequest(
        name=name, dataset_id=olci.dataset.pk, repetitions=repetitions,
        versions=[{"processor_version": olci.version_a.pk}]))
    job_ids = list(Job.objects.filter(rule__campaign_run__campaign=campaign).order_by("pk").values_list("pk",
                                                                                                       flat=True))
    for job_id in job_ids:
        production_services.job_cancel(job_id=job_id)
    rule_ids = list(CampaignRun.objects.filter(campaign=campaign).order_by("pk").values_list("rule_id", flat=True))
    return campaign, job_ids, rule_ids


def _gone(campaign: Campaign, job_ids: list[int], rule_ids: list[int]) -> bool:
    return not (Campaign.objects.filter(pk=campaign.pk).exists() or Job.objects.filter(pk__in=job_ids).exists()
                or ProductionRule.objects.filter(pk__in=rule_ids).exists())


def _operator(client: Any) -> None:
    client.force_login(get_user_model().objects.create_user("otto", password="pw-otto-123", is_staff=True))


@pytest.mark.usefixtures("transactional_db")
def test_delete_answers_202_at_once_a_second_delete_changes_nothing_and_the_worker_deletes_it_once(
        tmp_path: Path, client: Any, monkeypatch: Any):
    olci = olci_setup(tmp_path)
    campaign, job_ids, rule_ids = _finished_campaign(olci, "to delete")
    sent: list[int] = []
    monkeypatch.setattr(services, "_deletion_send", sent.append)  # no worker here: the test runs the task itself
    _operator(client)
    # an unknown campaign: 404
    unknown = client.delete("/api/v1/campaigns/999999/")
    assert (unknown.status_code, unknown.json()["error"]["message"]) == (404, "no campaign 999999")

    # when a finished campaign is deleted: 202 with the campaign, deleting; its id sent once the request committed
    with CaptureQueriesContext(connection) as sql:
        accepted = client.delete(f"/api/v1/campaigns/{campaign.pk}/")
    assert accepted.status_code == 202
    body = accepted.json()
    assert (body["id"], body["name"], body["state"], body["jobs_total"], body["jobs_open"]) == (
        campaign.pk, "to delete", "deleting", 2, 0)
    assert sent == [campaign.pk]
    # and nothing of it was deleted by the request: one UPDATE marks it
    writes = [q["sql"] for q in sql.captured_queries if q["sql"].startswith(("INSERT", "UPDATE", "DELETE"))]
    assert [w.split(" SET ", 1)[0] for w in writes] == ['UPDATE "campaigns_campaign"']
    campaign.refresh_from_db()
    assert (campaign.state, campaign.deletion_lease_until) == ("deleting", None)
    requested = campaign.deletion_requested_at
    assert requested is not None and Job.objects.filter(pk__in=job_ids).count() == 2
    # it shows as deleting, its report is refused
    assert client.get(f"/api/v1/campaigns/{campaign.pk}/").json()["state"] == "deleting"
    assert client.get(f"/api/v1/campaigns/{campaign.pk}/report/").status_code == 409

    # a second DELETE while it is being deleted: 202 again, the deletion sent again (no worker holds it), unchanged
    again = client.delete(f"/api/v1/campaigns/{campaign.pk}/")
    assert (again.status_code, again.json()["state"]) == (202, "deleting")
    assert sent == [campaign.pk, campaign.pk]
    campaign.refresh_from_db()
    assert (campaign.state, campaign.deletion_requested_at) == ("deleting", requested)

    # the task, twice (the two messages): the first deletes the two jobs, their rules and the campaign; the second
    # finds nothing to do
    assert services.campaign_delete(campaign_id=campaign.pk) == 2
    assert services.campaign_delete(campaign_id=campaign.pk) is None
    assert _gone(campaign, job_ids, rule_ids)
    assert Job.objects.filter(rule__campaign_run__isnull=False).count() == 0
    olci.l0.refresh_from_db()
    assert olci.l0.online and list(olci.dataset.items.values_list("product_id", flat=True)) == [olci.l0.id]
    assert client.delete(f"/api/v1/campaigns/{campaign.pk}/").status_code == 404


@pytest.mark.usefixtures("transactional_db")
def test_a_campaign_not_marked_deleting_is_not_deleted_by_the_task(tmp_path: Path):
    # given a finished campaign nobody asked to delete (a stale or forged message)
    olci = olci_setup(tmp_path)
    campaign, job_ids, _ = _finished_campaign(olci, "kept", repetitions=1)
    # then the task does nothing
    assert services.campaign_delete(campaign_id=campaign.pk) is None
    assert Campaign.objects.filter(pk=campaign.pk, state="active").exists()
    assert Job.objects.filter(pk__in=job_ids).count() == 1


@pytest.mark.usefixtures("transactional_db")
def test_the_periodic_resend_finishes_deletions_left_without_a_worker(celery_worker_factory: Any, tmp_path: Path):
    olci = olci_setup(tmp_path)
    now = timezone.now()
    long_ago = now - timedelta(seconds=DELETION_RESEND_AFTER_S + 60)
    # given a campaign marked deleting long ago whose message was lost, one whose deletion was asked just now (its
    # message on its way), and one held by a worker alive (its lease runs)
    lost, lost_jobs, lost_rules = _finished_campaign(olci, "lost")
    recent, recent_jobs, _ = _finished_campaign(olci, "recent")
    held, held_jobs, held_rules = _finished_campaign(olci, "held")
    Campaign.objects.filter(pk=lost.pk).update(state="deleting", deletion_requested_at=long_ago)
    Campaign.objects.filter(pk=recent.pk).update(state="deleting", deletion_requested_at=now)
    Campaign.objects.filter(pk=held.pk).update(state="deleting", deletion_requested_at=long_ago,
                                               deletion_lease_until=now + timedelta(minutes=4))
    celery_worker_factory(queues="maintenance").start()
    # beat sends the re-send task (every minute) to the maintenance queue
    entry = settings.CELERY_BEAT_SCHEDULE["campaigns-deletions-redispatch"]
    assert (entry["task"], entry["schedule"]) == (campaign_deletions_redispatch_task.name, 60.0)

    # when it runs: only the lost one is sent, and a worker deletes it
    assert services.campaign_deletions_redispatch(now=now) == 1
    wait_until("the lost campaign deleted", lambda: _gone(lost, lost_jobs, lost_rules), timeout=60)
    assert Campaign.objects.filter(pk__in=[recent.pk, held.pk], state="deleting").count() == 2
    assert Job.objects.filter(pk__in=recent_jobs + held_jobs).count() == 4

    # when the held one's worker died (its lease lapsed): the next re-send, through the periodic task itself on a
    # worker, sends it (and the recent one, now old enough) and they are finished
    Campaign.objects.filter(pk=held.pk).update(deletion_lease_until=now - timedelta(seconds=1))
    Campaign.objects.filter(pk=recent.pk).update(deletion_requested_at=long_ago)
    campaign_deletions_redispatch_task.delay()
    wait_until("the held campaign deleted", lambda: _gone(held, held_jobs, held_rules) and not Campaign.objects.filter(
        pk=recent.pk).exists(), timeout=60)
    assert not Job.objects.filter(pk__in=recent_jobs).exists()
    assert services.campaign_deletions_redispatch() == 0


class _Paused:
    """scoped_rule_delete that stops on its first call until released: a worker caught in the middle of a
    deletion."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.entered = threading.Event()
        self.release = threading.Event()
        self.calls = 0

    def __call__(self, **kwargs: Any) -> int:
        self.calls += 1
        if self.calls == 1:
            self.entered.set()
            assert self.release.wait(30)
        return int(self.real(**kwargs))


def _in_thread(results: list[int | None], campaign_id: int) -> threading.Thread:
    def run() -> None:
        try:
            results.append(services.campaign_delete(campaign_id=campaign_id))
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


@pytest.mark.usefixtures("transactional_db")
def test_two_workers_on_the_same_campaign_delete_it_once(tmp_path: Path, monkeypatch: Any):
    olci = olci_setup(tmp_path)
    campaign, job_ids, rule_ids = _finished_campaign(olci, "twice")
    Campaign.objects.filter(pk=campaign.pk).update(state="deleting", deletion_requested_at=timezone.now())
    paused = _Paused(production_services.scoped_rule_delete)
    monkeypatch.setattr(production_services, "scoped_rule_delete", paused)
    # given a worker in the middle of the deletion (lease taken, first rule not deleted yet)
    first: list[int | None] = []
    thread = _in_thread(first, campaign.pk)
    assert paused.entered.wait(30)
    campaign.refresh_from_db()
    assert campaign.deletion_lease_until is not None and campaign.deletion_lease_until > timezone.now()
    # when a second message reaches another worker: it finds the campaign held and does nothing
    assert services.campaign_delete(campaign_id=campaign.pk) is None
    assert paused.calls == 1 and Job.objects.filter(pk__in=job_ids).count() == 2
    # then the first finishes alone: two jobs deleted, once
    paused.release.set()
    thread.join(30)
    assert first == [2] and paused.calls == 2
    assert _gone(campaign, job_ids, rule_ids)


@pytest.mark.usefixtures("transactional_db")
def test_a_worker_whose_lease_lapsed_stops_and_the_one_that_took_over_finishes(tmp_path: Path, monkeypatch: Any):
    olci = olci_setup(tmp_path)
    campaign, job_ids, rule_ids = _finished_campaign(olci, "taken over")
    Campaign.objects.filter(pk=campaign.pk).update(state="deleting", deletion_requested_at=timezone.now())
    paused = _Paused(production_services.scoped_rule_delete)
    monkeypatch.setattr(production_services, "scoped_rule_delete", paused)
    # given a worker stuck in the middle of the deletion past its lease
    first: list[int | None] = []
    thread = _in_thread(first, campaign.pk)
    assert paused.entered.wait(30)
    Campaign.objects.filter(pk=campaign.pk).update(deletion_lease_until=timezone.now() - timedelta(seconds=1))
    # when another worker takes it over: it deletes everything
    assert services.campaign_delete(campaign_id=campaign.pk) == 2
    assert _gone(campaign, job_ids, rule_ids)
    # then the first one, resuming, finds its lease gone and stops without error, having deleted nothing
    paused.release.set()
    thread.join(30)
    assert first == [None]


@pytest.mark.usefixtures("transactional_db")
def test_a_deletion_that_fails_says_why_and_is_finished_by_the_next_one(tmp_path: Path, monkeypatch: Any):
    olci = olci_setup(tmp_path)
    campaign, job_ids, rule_ids = _finished_campaign(olci, "storage down")
    Campaign.objects.filter(pk=campaign.pk).update(state="deleting", deletion_requested_at=timezone.now())
    real = production_services.scoped_rule_delete
    calls: list[int] = []

    def fails_on_the_second_rule(**kwargs: Any) -> int:
        calls.append(kwargs["rule_id"])
        if len(calls) == 2:
            raise OSError("object storage unreachable")
        return int(real(**kwargs))

    monkeypatch.setattr(production_services, "scoped_rule_delete", fails_on_the_second_rule)
    # when the deletion stops on an error after the first run's rule
    with pytest.raises(OSError, match="unreachable"):
        services.campaign_delete(campaign_id=campaign.pk)
    # then the campaign says why, is still deleting, held until its lease lapses; the first rule is gone
    campaign.refresh_from_db()
    assert (campaign.state, campaign.deletion_error) == ("deleting", "OSError: object storage unreachable")
    assert not ProductionRule.objects.filter(pk=rule_ids[0]).exists() and Job.objects.filter(
        pk__in=job_ids).count() == 1
    assert services.campaign_delete(campaign_id=campaign.pk) is None
    # and once the lease lapsed, the re-send finishes what is left
    assert campaign.deletion_lease_until is not None
    later = campaign.deletion_lease_until + timedelta(seconds=DELETION_RESEND_AFTER_S)
    sent: list[int] = []
    monkeypatch.setattr(services, "_deletion_send", sent.append)
    assert services.campaign_deletions_redispatch(now=later) == 1 and sent == [campaign.pk]
    Campaign.objects.filter(pk=campaign.pk).update(deletion_lease_until=timezone.now() - timedelta(seconds=1))
    assert services.campaign_delete(campaign_id=campaign.pk) == 1
    assert _gone(campaign, job_ids, rule_ids)


@pytest.mark.usefixtures("transactional_db")
def test_the_comparisons_are_sent_when_a_runs_last_job_ends(tmp_path: Path, monkeypatch: Any):
    olci = olci_setup(tmp_path)
    sent: list[int] = []
    monkeypatch.setattr(services, "_comparisons_send", sent.append)
    campaign = services.campaign_start(request=services.CampaignRequest(
        name="ends", dataset_id=olci.dataset.pk, repetitions=2, versions=[{"processor_version": olci.version_a.pk}]))
    first, second = Job.objects.filter(rule__campaign_run__campaign=campaign).order_by("rule_id")
    # when the first run's only job ends: its comparisons are sent (after the commit)
    production_services.job_cancel(job_id=first.pk)
    assert sent == [campaign.pk]
    # and the second run's
    production_services.job_cancel(job_id=second.pk)
    assert sent == [campaign.pk, campaign.pk]
    # and a finished campaign's comparisons are then stored (none to make here: its jobs were cancelled)
    assert services.campaign_comparisons_store(campaign_id=campaign.pk) == 0
    campaign.refresh_from_db()
    assert campaign.comparisons_stored_at is not None
    # and a store that comes after its deletion was asked for writes nothing
    Campaign.objects.filter(pk=campaign.pk).update(comparisons_stored_at=None)
    services.campaign_delete_request(campaign_id=campaign.pk)
    assert services.campaign_comparisons_store(campaign_id=campaign.pk) == 0
    assert Campaign.objects.get(pk=campaign.pk).comparisons_stored_at is None


@pytest.mark.django_db
def test_the_schema_says_delete_answers_202_with_the_campaign(client: Any):
    _operator(client)
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    responses = schema["paths"]["/api/v1/campaigns/{id}/"]["delete"]["responses"]
    assert sorted(responses) == ["202", "404", "409"]
    assert responses["202"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/CampaignOutput"}
