"""An input of a job that has not ended survives its EvictionDate, and goes once the job ends."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from rs.catalog import services as catalog_services
from rs.catalog.models import Product
from rs.lifecycle.services import eviction_run
from rs.production import services
from rs.production.choices import JobState
from rs.production.models import Job
from rs.production.tests import builders
from rs.production.tests.builders import at, aux, level
from rs.production.tests.tables import table_xml

pytestmark = pytest.mark.django_db


def overdue(*products: Product) -> None:
    catalog_services.products_eviction_dates_set(dates={p.id: timezone.now() - timedelta(hours=1) for p in products})


def test_inputs_of_a_job_not_yet_ended_are_kept_until_it_ends(deliver):
    version = services.processor_import(data=table_xml())
    builders.rule(version, name="test-l1", mission="S1", product_types="IW_RAW__0S")
    calibration = aux("AUX_CAL", start=at(-1000), stop=None)
    unrelated = aux("AUX_INS", start=at(-1000), stop=None)
    slice_ = level("IW_RAW__0S", start=at(0), stop=at(25))
    deliver(slice_)
    job = Job.objects.get()
    assert job.state == JobState.READY
    overdue(calibration, unrelated, slice_)

    report = eviction_run()

    assert report.evicted == 1
    assert {p["name"]: p["reason"] for p in report.protected} == {
        calibration.name: f"input of job {job.pk} (ready)", slice_.name: f"input of job {job.pk} (ready)"}
    assert Product.objects.get(pk=unrelated.pk).online is False
    assert Product.objects.get(pk=calibration.pk).online is True

    services.job_cancel(job_id=job.pk)
    assert eviction_run().evicted == 2
    assert not Product.objects.filter(pk__in=[calibration.pk, slice_.pk], online=True).exists()
