"""The operations view in Chromium: operators only; jobs by state, why a job waits, an operator retrying a failed
job through /api/v1/production/jobs/<id>/retry/; the parts whose API does not exist yet say so."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model

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
    page.wait_for_selector("#panel-monitoring .card[data-endpoint='/healthz'][data-state=ready]")
    screenshot(page, "operations-monitoring")
    assert [e for e in page.log.errors if "404" not in e] == []
