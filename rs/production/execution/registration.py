"""Outputs → object storage → catalogue, exactly once per (job, output name).

1. The planned object keys are committed first (JobOutput rows of this run), so objects of a run that dies
   mid-upload are found and removed by the next run.
2. The objects are uploaded in parallel; keys derive from the product name (a rerun overwrites, never adds).
3. One transaction, under the job's row lock and only if the job is still this run's: every product registered
   (product id = uuid5(job, name): a second registration cannot create a second row), lineage, OriginDate,
   publication per the rule, the rows marked registered, the job succeeded. The catalogue emits `created`
   (and `published`) on commit, which triggers the next level.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from rs.catalog import selectors as catalog_selectors
from rs.catalog import services as catalog_services
from rs.catalog.choices import OPERATIONAL_SCOPE, AssetType
from rs.catalog.storage import ChecksumMismatch, InvalidKey, StorageError, StoredObject, object_store
from rs.catalog.storage.keys import asset_key, product_key
from rs.errors import DomainError
from rs.ingestion import selectors as ingestion_selectors
from rs.production.choices import JobState
from rs.production.execution.claims import claim_check
from rs.production.execution.errors import ProcessorFailure, TransientFailure
from rs.production.execution.outputs import FoundOutput
from rs.production.models import Job, JobMissingOutput, JobOutput
from rs.production.transitions import job_transition

OUTPUT_NAMESPACE = uuid.UUID("6f1c9a52-2b1e-4c55-9a70-3c1f3e0d8b11")
QUICKLOOK_MAX_BYTES = 5 * 1024 * 1024


def output_product_id(job_id: int, name: str) -> uuid.UUID:
    """The catalogue id of an output: the same job and name always give the same product."""
    return uuid.uuid5(OUTPUT_NAMESPACE, f"job/{job_id}/{name}")


@dataclass(frozen=True)
class Lineage:
    inputs: tuple[uuid.UUID, ...]
    origin_date: datetime | None
    processor: str
    version: str


@dataclass
class _Planned:
    found: FoundOutput
    described: ingestion_selectors.LocalProduct
    product_id: uuid.UUID
    key: str
    quicklook_key: str = ""
    stored: StoredObject | None = None
    quicklook_stored: StoredObject | None = None


def _describe(found: Sequence[FoundOutput], job_id: int, scope: str) -> list[_Planned]:
    planned = []
    for item in found:
        try:
            described = ingestion_selectors.local_product_describe(path=item.path)
        except (DomainError, OSError, ValueError) as exc:
            raise ProcessorFailure(f"output {item.name}: {exc}") from None
        metadata = described.metadata
        try:
            key = product_key(mission=metadata.mission, family=metadata.family, name=described.name,
                              suffix=described.package.suffix, scope=scope)
        except InvalidKey as exc:
            raise ProcessorFailure(f"output {item.name}: unusable name ({exc})") from None
        product_id = output_product_id(job_id, described.name)
        quicklook_key = ""
        if described.quicklook is not None and 0 < len(described.quicklook[1]) <= QUICKLOOK_MAX_BYTES:
            quicklook_key = asset_key(product_id=product_id, name=described.quicklook[0])
        planned.append(_Planned(found=item, described=described, product_id=product_id, key=key,
                                quicklook_key=quicklook_key))
    return planned


def _upload(item: _Planned) -> None:
    store = object_store()
    package = item.described.package
    try:
        item.stored = store.put_stream(key=item.key, stream=package.chunks(), content_type=package.content_type,
                                       expected_size=package.file_size)
        if item.quicklook_key and item.described.quicklook is not None:
            item.quicklook_stored = store.put_stream(key=item.quicklook_key, stream=item.described.quicklook[1],
                                                     content_type=item.described.quicklook[2])
    except (StorageError, ChecksumMismatch) as exc:  # a mismatch here is bytes lost on the way: try again
        raise TransientFailure(f"output {item.described.name}: upload failed ({exc})") from None


def outputs_register(*, job_id: int, run: int, found: Sequence[FoundOutput], lineage: Lineage,
                     warnings: Sequence[str] = ()) -> list[JobOutput]:
    """Upload and register the run's outputs and mark the job succeeded, or raise (ClaimLost, RunFailure)."""
    # a campaign run's rule puts its outputs in the run's own scope (names, objects, never published)
    scope = Job.objects.filter(pk=job_id).values_list("rule__output_scope", flat=True).get()
    planned = _describe(found, job_id, scope)
    fresh: list[_Planned] = []
    notes = list(warnings)
    catalogued = catalog_selectors.products_by_names(names=[item.described.name for item in planned], scope=scope)
    for item in planned:
        existing = catalogued.get(item.described.name)
        if existing is None:
            fresh.append(item)
        elif existing.job_id != job_id:  # never overwrite another product's object
            notes.append(f"{item.described.name}: already in the catalogue (job {existing.job_id}), not registered")
    now = timezone.now()
    with transaction.atomic():
        claim_check(job_id, run)
        JobOutput.objects.bulk_create([
            JobOutput(job_id=job_id, run=run, name=item.described.name,
                      product_type=item.described.metadata.product_type, storage_key=item.key,
                      extra_keys=[item.quicklook_key] if item.quicklook_key else [], planned_at=now)
            for item in fresh])
    if fresh:
        with ThreadPoolExecutor(max_workers=settings.RS_EXECUTION_FETCH_THREADS) as pool:
            for future in [pool.submit(_upload, item) for item in fresh]:
                future.result()
    with transaction.atomic():
        job = claim_check(job_id, run)
        publish = job.rule.publish_outputs and scope == OPERATIONAL_SCOPE
        for item in fresh:
            _register(job, run, item, lineage, publish, scope)
        JobMissingOutput.objects.filter(job=job).delete()
        reason = "; ".join(notes)[:2000]
        job_transition(job=job, to=JobState.SUCCEEDED, reason=reason, fields={"lease_until": None})
    return list(JobOutput.objects.filter(job_id=job_id, run=run, name__in=[item.described.name for item in fresh])
                .order_by("id"))


def _unpublished_eviction_date(job: Job, publish: bool) -> datetime | None:
    """A published output's EvictionDate comes from the retention policies; one never published (a campaign run's)
    is due its rule's retention days after registration, for the same index-backed eviction run."""
    days = job.rule.output_retention_days
    return None if publish or days is None else timezone.now() + timedelta(days=days)


def _register(job: Job, run: int, item: _Planned, lineage: Lineage, publish: bool, scope: str) -> None:
    assert item.stored is not None
    described = item.described
    metadata = replace(described.metadata, attributes={
        **described.metadata.attributes, "processorName": lineage.processor, "processorVersion": lineage.version})
    try:
        product = catalog_services.product_register(
            name=described.name, metadata=metadata, content_length=item.stored.size, storage_key=item.key,
            checksums=catalog_services.Checksums(md5=item.stored.md5, blake3=item.stored.blake3,
                                                 computed_at=item.stored.stored_at),
            content_type=described.package.content_type, origin_date=lineage.origin_date, inputs=lineage.inputs,
            job_id=job.pk, publish=publish, product_id=item.product_id, scope=scope,
            eviction_date=_unpublished_eviction_date(job, publish),
        )
    except catalog_services.InvalidProduct as exc:
        raise ProcessorFailure(f"output {described.name} refused by the catalogue: {exc}") from None
    except catalog_services.ProductAlreadyExists:
        raise TransientFailure(f"output {described.name} was registered meanwhile by someone else") from None
    if item.quicklook_stored is not None and described.quicklook is not None:
        catalog_services.asset_add(product_id=product.id, type=AssetType.QUICKLOOK, name=described.quicklook[0],
                                   storage_key=item.quicklook_key, content_type=described.quicklook[2],
                                   content_length=item.quicklook_stored.size, md5=item.quicklook_stored.md5)
    now = timezone.now()
    JobOutput.objects.filter(job=job, run=run, name=described.name).update(
        product_id=product.id, size=item.stored.size, md5=item.stored.md5, published=publish, registered_at=now)
