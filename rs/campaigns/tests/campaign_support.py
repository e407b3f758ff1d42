"""What the campaign tests share: the S3 OLCI inputs of the demo ingested (no rule existed, so they made no job),
the demo rules, the test variants of the OLCI L1 processor, and a reference dataset of the OLCI L0 product."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.core.management import call_command

from rs.campaigns import services
from rs.campaigns.models import ReferenceDataset
from rs.catalog import services as catalog_services
from rs.catalog.models import CatalogEvent, Product
from rs.catalog.storage import object_store
from rs.ingestion.demo import DEMO_T0, sentinel3
from rs.ingestion.tests.ingestion_support import directory_inbox, ingest_now
from rs.production import services as production_services
from rs.production.consumers import PREPARATION_CONSUMER
from rs.production.execution.claims import jobs_dispatch_due
from rs.production.models import Job, ProcessorVersion
from rs.production.tests.simulation import PROCESSORS

TEST_TABLES = PROCESSORS / "tasktables" / "test" / "s3"
QUEUES = "preparation,production-high,production-medium,production-low,maintenance"


def wait_until(what: str, condition: Any, *, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        jobs_dispatch_due()  # what beat does: a lost dispatch is sent again
        if condition():
            return
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}: {list(Job.objects.values_list('pk', 'state', 'reason'))}")


@contextmanager
def s3_requests_counted() -> Iterator[list[str]]:
    """The names of the requests this process sends to object storage meanwhile (a botocore event hook on the
    store's client)."""
    sent: list[str] = []
    events = object_store()._client.meta.events  # type: ignore[attr-defined]

    def count(model: Any, **_: Any) -> None:
        sent.append(model.name)

    events.register("before-call.s3", count, unique_id="campaign-test-counter")
    try:
        yield sent
    finally:
        events.unregister("before-call.s3", unique_id="campaign-test-counter")


@dataclass
class OlciSetup:
    dataset: ReferenceDataset
    l0: Product
    version_a: ProcessorVersion  # the demo's S3A_OL1 06.17-sim
    version_b: ProcessorVersion  # 06.18-sim: baselineCollection 003, 2.5 s of work
    version_crash: ProcessorVersion  # 06.19-sim-crash: SIGSEGV


def olci_setup(tmp: Path) -> OlciSetup:
    sentinel3.generate(tmp / "s3", DEMO_T0)
    assert ingest_now(directory_inbox(tmp / "s3")) == {"ingested": 8}
    for event in CatalogEvent.objects.filter(kind="created").order_by("pk"):  # delivered now, while no rule exists
        catalog_services.event_deliver(event_id=event.pk, consumer_name=PREPARATION_CONSUMER)
    call_command("production", "demo-setup", stdout=io.StringIO())  # enables demo-s3-ol1 and demo-s3-ol2 too
    version_b = production_services.processor_import(data=(TEST_TABLES / "S3A_OL1_06.18-sim-slower.xml").read_bytes())
    crash = production_services.processor_import(data=(TEST_TABLES / "S3A_OL1_06.19-sim-crash.xml").read_bytes())
    l0 = Product.objects.get(product_type="OL_0_EFR___")
    dataset = services.dataset_create(request=services.DatasetRequest(name="olci-l0", input_names=(l0.name,)))
    return OlciSetup(dataset=dataset, l0=l0,
                     version_a=ProcessorVersion.objects.get(processor__name="S3A_OL1", version="06.17-sim"),
                     version_b=version_b, version_crash=crash)
