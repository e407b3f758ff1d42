"""The operations view in Chromium: operators only; jobs by state, why a job waits, an operator retrying a failed
job through /api/v1/production/jobs/<id>/retry/; inboxes, incomplete sessions with their missing chunks and the
quarantine with retry, download and deletion of the copy through /api/v1/ingestion/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from rs.ingestion import services as ingestion_services
from rs.ingestion.models import InboxEntry
from rs.ingestion.tests.status_world import EMPTY_EOF, EOF_TEXT, status_world
from rs.ingestion.tests.test_sessions import CH2_CHUNK2, SESSION_ID
from rs.web.tests import browser as browser_support
from rs.web.tests.browser import screenshot, sign_in

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(120)]

# fixtures shared by the browser tests (assigned, not imported, so that test arguments may use their names)
site, web_browser, web_page = browser_support.site, browser_support.web_browser, browser_support.web_page
PASSWORD = "an-operator-password-for-tests"


@pytest.fixture
def operator() -> Any:
    return get_user_model().objects.create_user("olga", password=PASSWORD, is_staff=True)


@pytest.fixture
def failed_job() -> Any:
    """A job of a small Task Table that waited for its AUX_CAL and was then failed."""
    production = pytest.importorskip("rs.production.services", reason="production is not in this tree")
    from rs.catalog.models import CatalogEvent
    from rs.catalog.services import event_deliver
    from rs.production.choices import JobState
    from rs.production.consumers import PREPARATION_CONSUMER
    from rs.production.models import Job
    from rs.production.tests import builders
    from rs.production.tests.tables import table_xml
    from rs.production.transitions import job_transition

    builders.rule(production.processor_import(data=table_xml()), name="web-l1", product_types="IW_RAW__0S")
    product = builders.level("IW_RAW__0S", start=builders.at(0), stop=builders.at(25))
    event = CatalogEvent.objects.get(product_id=product.id, kind="created")
    event_deliver(event_id=event.pk, consumer_name=PREPARATION_CONSUMER)
    job = Job.objects.get()
    return job_transition(job=job, to=JobState.FAILED, reason="processor exited with status 1")


def test_only_operators_get_the_operations_view(web_page):
    page = web_page
    get_user_model().objects.create_user("ada", password="a-user-password-for-tests")

    page.goto("/ops/")  # signed out: to the sign-in form, and back after it
    assert page.url.endswith("/login/?next=/ops/")

    sign_in(page, "ada", "a-user-password-for-tests")
    assert page.goto("/ops/").status == 403
    page.goto("/")
    assert page.get_by_role("link", name="Operations").count() == 0


def test_an_operator_retries_a_failed_job(web_page, operator, failed_job):
    page = web_page
    sign_in(page, "olga", PASSWORD)
    page.get_by_role("link", name="Operations").click()
    page.wait_for_selector("#panel-jobs[data-state=ready]")

    page.get_by_role("button", name="Failed", exact=True).click()
    page.wait_for_selector("#panel-jobs[data-state=ready] #jobs")
    assert page.inner_text("#jobs-status") == "1 job failed"
    page.get_by_role("button", name=f"Job {failed_job.pk}: details").click()
    page.wait_for_selector("#job-detail[data-state=ready]")
    assert page.inner_text("#why-summary") == "failed: processor exited with status 1"
    assert page.url.endswith(f"/ops/?state=failed&job={failed_job.pk}")
    assert page.locator("#job-cancel").count() == 0  # a failed job is over: only a retry

    page.click("#job-retry")
    page.wait_for_selector("#job-action-status[data-kind=ok]")
    assert page.inner_text("#job-action-status") == f"Job {failed_job.pk} is now waiting inputs."
    failed_job.refresh_from_db()
    assert failed_job.state == "waiting_inputs"
    page.wait_for_selector("#why-summary")
    assert page.inner_text("#why-summary") == "waiting for AUX_CAL (mandatory)"
    screenshot(page, "operations-job-retried")

    # the waiting job can be cancelled from here too
    page.click("#job-cancel")
    page.wait_for_selector("#job-action-status[data-kind=ok]")
    failed_job.refresh_from_db()
    assert failed_job.state == "cancelled"

    # parts of the operator API built in parallel: shown if routed, otherwise a clear "not available yet"
    page.get_by_role("tab", name="Ingestion").click()
    page.wait_for_selector("#panel-ingestion .card[data-state]:not([data-state=loading]) >> nth=2")
    for card in page.locator("#panel-ingestion .card").all():
        state = card.get_attribute("data-state")
        assert state in ("ready", "unavailable"), card.inner_text()
        if state == "unavailable":
            endpoint = card.get_attribute("data-endpoint")
            assert f"Not available yet. This server has no {endpoint} " in card.inner_text()
    page.get_by_role("tab", name="Catalogue events").click()
    page.wait_for_selector("#panel-events .card[data-state=ready]")
    assert "created" in page.inner_text("#panel-events table")
    page.get_by_role("tab", name="Monitoring").click()
    page.wait_for_selector("#dashboards-card[data-state=ready]")
    page.wait_for_selector("#readiness-card[data-state=ready]")
    assert "Status\tready" in page.inner_text("#readiness-card")
    boards = page.locator("#dashboards [data-dashboard]").evaluate_all("nodes => nodes.map(n => n.dataset.dashboard)")
    assert boards == ["throughput", "timeliness", "storage", "failures"]
    throughput = page.locator("[data-dashboard=throughput] figure")
    assert throughput.locator("figcaption").all_inner_texts()[0].startswith("Products published per hour")
    assert throughput.first.locator("rect.bar").count() == 24  # one bar per hour of the default window
    failed_jobs = page.locator("figure[data-panel='Jobs failed per hour'] rect.bar title").all_text_contents()
    assert len(failed_jobs) == 24 and failed_jobs[-1].endswith(": 0")  # the failed job changed state before the retry
    page.get_by_role("button", name="3 days").click()
    page.wait_for_selector("#dashboards-card[data-state=ready]")
    assert page.url.endswith("&hours=72") and "tab=monitoring" in page.url
    assert page.locator("[data-dashboard=throughput] figure").first.locator("rect.bar").count() == 72
    screenshot(page, "operations-monitoring", full_page=True)
    assert [e for e in page.log.errors if "404" not in e] == []


def _counts(page, inbox: str) -> dict[str, str]:
    row = page.locator(f"#inboxes tr[data-inbox={inbox}]")
    return {cell.get_attribute("data-count"): cell.inner_text() for cell in row.locator("td[data-count]").all()}


def test_an_operator_follows_inboxes_and_sessions_and_works_the_quarantine(web_page, operator, tmp_path):
    world = status_world(tmp_path)
    page = web_page
    sign_in(page, "olga", PASSWORD, next_url="/ops/")
    page.get_by_role("tab", name="Production jobs").focus()  # the tabs follow the arrow keys
    page.keyboard.press("ArrowRight")
    page.wait_for_selector("#panel-ingestion[data-state=ready]")
    assert page.get_by_role("tab", name="Ingestion").get_attribute("aria-selected") == "true"
    assert page.url.endswith("/ops/?tab=ingestion")
    # configuration stays in the admin, one link away from each row
    assert page.get_by_role("link", name="alpha", exact=True).get_attribute("href") == (
        f"/admin/ingestion/inbox/{world.alpha.pk}/change/")
    assert page.get_by_role("link", name="administration", exact=True).get_attribute("href") == "/admin/"

    # inboxes: entries per state, the last poll and what is wrong
    assert page.inner_text("#inboxes-status") == "4 inboxes, 1 with problems"
    assert _counts(page, "alpha") == {"waiting": "1", "pending": "0", "transferring": "0", "failed": "3",
                                      "ingested": "1", "skipped": "0"}
    assert _counts(page, "beta")["pending"] == "1"
    assert _counts(page, "downlink")["ingested"] == "5"
    remote = page.locator("#inboxes tr[data-inbox=remote]")
    assert "failed" in remote.locator("td").nth(1).inner_text()
    problem = remote.locator("ul.problems li").inner_text()
    assert problem.startswith("last poll: GET http://127.0.0.1:9/odata/v1/Products?")
    assert problem.endswith("URLError: [Errno 111] Connection refused")

    # the incomplete session says exactly which chunk channel 2 lacks
    assert page.inner_text("#sessions-status") == "1 incomplete session"
    session = page.locator(f"#sessions tr[data-session={SESSION_ID}]")
    assert session.locator(".channel[data-channel='1']").inner_text() == "Channel 1: DSIB ✓, 2/2 chunks"
    channel2 = session.locator(".channel[data-channel='2']")
    channel2.get_by_text("1 missing chunk").click()
    assert channel2.locator("details li").all_inner_texts() == [CH2_CHUNK2]
    page.get_by_role("group", name="Session state").get_by_role("button", name="Complete", exact=True).click()
    page.wait_for_selector("#sessions-card[data-state=ready]")
    assert page.inner_text("#sessions-status") == "0 complete sessions"
    assert "sessions=complete" in page.url

    # the quarantine, filtered by reason, then by inbox from the inbox's failed count
    assert page.inner_text("#quarantine-status") == "3 failed entries"
    page.fill("#quarantine-reason", "empty")
    page.locator("#quarantine-card").get_by_role("button", name="Apply").click()
    page.wait_for_function("document.getElementById('quarantine-status').textContent.startsWith('1 failed entry')")
    assert page.locator("#quarantine tbody tr").count() == 1
    assert "reason=empty" in page.url
    page.get_by_role("button", name="alpha: 3 failed entries in quarantine").click()
    page.wait_for_function("document.getElementById('quarantine-status').textContent === '3 failed entries in alpha'")
    assert "inbox=alpha" in page.url and "reason=" not in page.url
    assert page.locator(f"#quarantine tr[data-entry='{world.link.pk}']").get_by_text("no copy").count() == 1

    with page.expect_download() as download:
        page.click(f"#download-{world.garbage.pk}")
    assert Path(download.value.path()).read_bytes() == b"not a product"

    # the provider delivers the empty file again, complete: the operator retries it and a drain ingests it
    (world.alpha_dir / EMPTY_EOF).write_bytes(EOF_TEXT)
    page.get_by_role("button", name=f"Retry entry {world.empty.pk}").click()
    page.wait_for_selector("#quarantine-action-status[data-kind=ok]")
    assert page.inner_text("#quarantine-action-status") == (
        f"Entry {world.empty.pk} ({EMPTY_EOF}) is queued again: pending.")
    assert page.locator(f"#quarantine tr[data-entry='{world.empty.pk}']").count() == 0
    page.wait_for_function("document.querySelector('#inboxes tr[data-inbox=alpha] td[data-count=failed]')"
                           ".textContent === '2'")
    ingestion_services.inbox_drain(inbox_id=world.alpha.pk)
    assert InboxEntry.objects.get(pk=world.empty.pk).state == "ingested"
    page.locator("#inboxes-card").get_by_role("button", name="Refresh").click()
    page.wait_for_function("document.querySelector('#inboxes tr[data-inbox=alpha] td[data-count=ingested]')"
                           ".textContent === '2'")

    # deleting a copy asks first, and the entry stays in quarantine without it
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name=f"Delete the quarantine copy of entry {world.garbage.pk}").click()
    page.wait_for_function("document.getElementById('quarantine-action-status').textContent"
                           f" === 'The quarantine copy of entry {world.garbage.pk} is deleted.'")
    assert page.locator(f"#quarantine tr[data-entry='{world.garbage.pk}']").get_by_text("no copy").count() == 1
    assert InboxEntry.objects.get(pk=world.garbage.pk).quarantine_key == ""
    screenshot(page, "operations-ingestion", full_page=True)

    page.reload()  # the URL keeps the tab and the quarantine filter
    page.wait_for_selector("#panel-ingestion[data-state=ready]")
    assert page.input_value("#quarantine-inbox") == "alpha"
    assert page.inner_text("#quarantine-status") == "2 failed entries in alpha"
    assert page.log.errors == []


def test_an_operator_lists_campaigns_and_opens_a_report(web_page, operator, tmp_path):
    from rs.campaigns import services as campaign_services
    from rs.campaigns.tests.campaign_support import olci_setup

    olci = olci_setup(tmp_path)
    campaign = campaign_services.campaign_start(request=campaign_services.CampaignRequest(
        name="OL1 06.18", dataset_id=olci.dataset.pk, versions=[
            {"processor_version": olci.version_a.pk, "label": "A"}, {"processor_version": olci.version_b.pk,
                                                                     "label": "B"}]))
    page = web_page
    sign_in(page, "olga", PASSWORD)
    page.goto("/ops/?tab=campaigns")
    page.get_by_role("button", name=f"{campaign.pk} OL1 06.18").click()
    page.wait_for_selector(".campaign-detail[data-state=ready]")
    assert page.url.endswith(f"/ops/?tab=campaigns&campaign={campaign.pk}")
    heading = page.inner_text(".campaign-report h2")
    assert heading.startswith(f"Campaign {campaign.pk}: OL1 06.18") and heading.endswith("pending")
    assert page.get_attribute("#campaign-report-html", "href") == f"/api/v1/campaigns/{campaign.pk}/report/html/"
    versions = page.locator(".campaign-report table").first.inner_text().splitlines()
    assert versions[1:] == ["A (baseline)\t06.17-sim\tpending\t0\t0\t0\t1", "B\t06.18-sim\tpending\t0\t0\t0\t1"]
