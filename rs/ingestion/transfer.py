"""Ingestion of one claimed entry, in two phases: `entry_prepare` (fetch → identification → extraction → stored
objects; no database write, so it runs in a thread of the batch) and the registration of the catalogue entry
(`batching` registers a whole batch in one transaction, `entry_register` one entry when the batch cannot).

Order matters for crash safety. The bytes go to a key derived from the product name (and the quicklook to a key
derived from the product id planned on the entry), both overwritten by a retry; the catalogue entry, its quicklook
asset, its session bookkeeping and the entry's `ingested` state are written in one transaction after the bytes are
stored. A crash anywhere leaves either nothing in the catalogue (the next attempt redoes the upload) or everything.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import uuid
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from django.db import transaction

from rs.catalog import selectors as catalog_selectors
from rs.catalog import services as catalog_services
from rs.catalog.choices import AssetType, ProductFamily
from rs.catalog.storage import ChecksumMismatch, InvalidKey, StorageError, object_store
from rs.catalog.storage.keys import asset_key, product_key
from rs.ingestion.choices import EntryState
from rs.ingestion.claims import ClaimLost, entry_finish, entry_retry_later
from rs.ingestion.constants import QUICKLOOK_MAX_BYTES
from rs.ingestion.errors import BadInput, InboxConfigError, ItemGone, SourceUnavailable
from rs.ingestion.models import InboxEntry
from rs.ingestion.packaging import Package, package_of
from rs.ingestion.quarantine import quarantine_copy
from rs.ingestion.sessions import session_file_add
from rs.ingestion.sources.layout import safe_file_name
from rs.ingestion.staging import archive_suffix_of

if TYPE_CHECKING:
    from rs.catalog.selectors import Product
    from rs.ingestion.models import Inbox
    from rs.ingestion.names import Identification
    from rs.ingestion.sources import LocalItem, Source

logger = logging.getLogger(__name__)

LOST = "lost"  # the claim was taken over by another worker: this one did nothing
NAME_BUSY_RETRY_S = 30.0
RETRYABLE = (SourceUnavailable, StorageError, InboxConfigError, OSError)


@dataclass(frozen=True)
class Extracted:
    metadata: catalog_services.ProductMetadata
    quicklook: tuple[str, bytes, str] | None
    listed_chunks: list[str]


@dataclass(frozen=True)
class Settled:
    """What an entry ends in without a catalogue registration: a final state, or a retry (`retry_error`)."""

    state: str = EntryState.FAILED
    reason: str = ""
    quarantine_key: str = ""
    product_id: uuid.UUID | None = None
    retry_error: str = ""


@dataclass(frozen=True)
class Prepared:
    """An entry whose bytes are stored, ready to be catalogued; `local` stays readable until the batch is done (a
    refusal at registration still quarantines the bytes)."""

    entry: InboxEntry
    identification: Identification
    local: LocalItem
    registration: catalog_services.ProductRegistration
    listed_chunks: list[str]

    @property
    def product_id(self) -> uuid.UUID:
        assert self.entry.product_id is not None  # set by entry_prepare
        return self.entry.product_id


def entry_prepare(*, entry: InboxEntry, inbox: Inbox, source: Source, identification: Identification | None,
                  unrecognised: BadInput | None, existing: Product | None, stack: ExitStack) -> Prepared | Settled:
    """Fetch, check, extract and store one started entry (its fetched item stays open in `stack`). Never raises:
    every failure becomes the Settled state of the entry."""
    local: LocalItem | None = None
    try:
        local = stack.enter_context(source.fetch(entry))
        if identification is None:
            raise unrecognised or BadInput("unrecognised name")
        return _prepare(entry, inbox, local, identification, existing)
    except Exception as exc:  # classified by failure_of
        return failure_of(entry, local, exc)


def failure_of(entry: InboxEntry, local: LocalItem | None, exc: Exception) -> Settled:
    """The Settled state of a failure: bad input is failed (its bytes quarantined when they were fetched), an
    unreachable source or store is retried, anything else (a bug, an unforeseen input) is retried a bounded number
    of times."""
    if isinstance(exc, BadInput) and local is not None:
        try:
            key = quarantine_copy(entry=entry, local=local)
        except Exception as copy_error:  # retried rather than failed without its copy
            return failure_of(entry, None, copy_error)
        return Settled(reason=str(exc), quarantine_key=key)
    if isinstance(exc, (BadInput, ItemGone)):  # raised while fetching: there are no bytes to keep
        return Settled(reason=str(exc))
    if isinstance(exc, RETRYABLE):
        logger.warning("entry %s (%s): retryable failure: %s", entry.pk, entry.key, exc)
        return Settled(retry_error=f"{type(exc).__name__}: {exc}")
    logger.error("entry %s (%s): unexpected failure", entry.pk, entry.key, exc_info=exc)
    return Settled(retry_error=f"unexpected {type(exc).__name__}: {exc}")


def settled_write(entry: InboxEntry, settled: Settled) -> str:
    """Write a Settled state; returns the entry's state (LOST when the claim is no longer ours)."""
    if settled.retry_error:
        return entry_retry_later(entry, error=settled.retry_error)
    if not entry_finish(entry, state=settled.state, reason=settled.reason, quarantine_key=settled.quarantine_key,
                        product_id=settled.product_id):
        return LOST
    return settled.state


def _prepare(entry: InboxEntry, inbox: Inbox, local: LocalItem, identification: Identification,
             existing: Product | None) -> Prepared | Settled:
    _received_check(local)
    if local.path.is_file() and local.path.stat().st_size == 0:
        raise BadInput("empty file (0 bytes)")
    extracted = _extract(identification, local.path)
    package = package_of(local.path, archive=".tar" if identification.mission == "S2" else ".zip")
    suffix = package.suffix if not package.is_file else _file_suffix(identification, local.path)
    if existing is not None:
        return _duplicate(existing, package)

    metadata = extracted.metadata
    try:
        key = product_key(mission=metadata.mission, family=metadata.family, name=identification.name, suffix=suffix)
        stored = object_store().put_stream(
            key=key, stream=package.chunks(), content_type=package.content_type, expected_size=package.file_size,
            expected_md5=(local.expected_md5 or None) if package.is_file and not local.staged else None,
        )
    except ChecksumMismatch as exc:
        raise BadInput(f"checksum mismatch: {exc}") from None
    except InvalidKey as exc:
        raise BadInput(f"unusable product name: {exc}") from None
    if entry.product_id is None:  # planned at the claim; older claims may lack it
        entry.product_id = uuid.uuid4()
    quicklook = _quicklook_store(entry.product_id, extracted.quicklook)
    registration = catalog_services.ProductRegistration(
        name=identification.name, metadata=metadata, content_length=stored.size, storage_key=key,
        checksums=catalog_services.Checksums(md5=stored.md5, blake3=stored.blake3, computed_at=stored.stored_at),
        origin_date=entry.source_time, publish=inbox.publish and identification.family != ProductFamily.SESSION,
        product_id=entry.product_id, assets=[quicklook] if quicklook is not None else [],
    )
    return Prepared(entry=entry, identification=identification, local=local, registration=registration,
                    listed_chunks=extracted.listed_chunks)


def session_files_add(prepared: list[Prepared]) -> None:
    """Session bookkeeping of the session files among `prepared`, in the registration transaction; in a fixed
    session order, so two batches locking the same sessions cannot deadlock."""
    files = [(p.identification.session, p) for p in prepared if p.identification.session is not None]
    files.sort(key=lambda pair: (pair[0].satellite, pair[0].session_id, pair[1].identification.name))
    for _, item in files:
        channels = item.entry.remote.get("channels")
        session_file_add(identification=item.identification, product_id=item.product_id,
                         listed=item.listed_chunks, channels=channels if isinstance(channels, int) else None)


def entry_register(prepared: Prepared) -> str:
    """Catalogue one prepared entry in its own transaction; returns the state it ended in (or LOST)."""
    entry, registration = prepared.entry, prepared.registration
    try:
        try:
            with transaction.atomic():
                catalog_services.products_register(registrations=[registration])
                session_files_add([prepared])
                if not entry_finish(entry, state=EntryState.INGESTED, product_id=prepared.product_id):
                    raise ClaimLost
        except catalog_services.ProductAlreadyExists:
            # Registered meanwhile by someone else than an ingestion entry (those exclude each other by name).
            existing = _existing(registration.name)
            if existing is not None and registration.checksums and existing.md5 == registration.checksums.md5:
                return settled_write(entry, Settled(state=EntryState.INGESTED, product_id=existing.id,
                                                    reason="registered meanwhile with the same MD5"))
            raise BadInput(f"conflict: {registration.name} was registered meanwhile with other bytes") from None
        except catalog_services.InvalidProduct as exc:
            store = object_store()
            store.delete(registration.storage_key)
            for asset in registration.assets:
                store.delete(asset.storage_key)
            raise BadInput(f"refused by the catalogue: {exc}") from None
    except ClaimLost:
        return LOST
    except Exception as exc:  # classified by failure_of
        return settled_write(entry, failure_of(entry, prepared.local, exc))
    return EntryState.INGESTED


def identify_entry(entry: InboxEntry, inbox: Inbox) -> tuple[Identification | None, BadInput | None]:
    """The identification of the entry's name, or the BadInput saying why there is none (the bytes are fetched
    anyway, to be quarantined)."""
    from rs.ingestion.names import UnrecognisedName, identify

    try:
        identification = identify(entry.name)
    except UnrecognisedName as exc:
        return None, BadInput(f"unrecognised name: {exc}")
    if not identification.mission:  # EDRS and test session ids carry no satellite
        if not inbox.mission:
            return None, BadInput(f"{identification.name}: neither the name nor the path tells the mission, and "
                                  f"inbox {inbox.name} has no mission configured")
        identification = dataclasses.replace(identification, mission=inbox.mission,
                                             platform=identification.platform or "_")
    return identification, None


def _received_check(local: LocalItem) -> None:
    """Compare a staged download with what the source announced (size, MD5, BLAKE3)."""
    if not local.staged or not local.path.is_file():
        return
    size = local.path.stat().st_size
    if local.expected_size is not None and size != local.expected_size:
        raise BadInput(f"size mismatch: the source announced {local.expected_size} bytes, {size} were received")
    for algorithm, announced, received in (("MD5", local.expected_md5, local.received_md5),
                                           ("BLAKE3", local.expected_blake3, local.received_blake3)):
        if announced and received and announced.lower() != received.lower():
            raise BadInput(f"checksum mismatch: the source announced {algorithm} {announced}, "
                           f"the bytes received have {received}")


def _extract(identification: Identification, path: Path) -> Extracted:
    from rs.ingestion.extraction import (
        ExtractionError,
        ProductReader,
        extract_metadata,
        quicklook_of,
        session_descriptor_read,
    )

    try:
        with ProductReader.open(path) as reader:
            metadata = extract_metadata(identification, reader)
            try:
                quicklook = quicklook_of(identification, reader)
            except ExtractionError as exc:  # the product is fine without its browse image
                logger.warning("%s: quicklook not extracted: %s", identification.name, exc)
                quicklook = None
            listed: list[str] = []
            if identification.session is not None and identification.session.kind == "DSIB":
                listed = list(session_descriptor_read(reader.read(""), source=identification.name).dsdb_names)
    except ExtractionError as exc:
        raise BadInput(f"metadata extraction failed: {exc}") from None
    if not metadata.mission:
        metadata = dataclasses.replace(metadata, mission=identification.mission,
                                       platform=metadata.platform or identification.platform)
    return Extracted(metadata=metadata, quicklook=quicklook, listed_chunks=listed)


def _file_suffix(identification: Identification, path: Path) -> str:
    """Suffix of a single-file item in its key: the delivered archive suffix, or the archive type of the bytes of a
    container served under its bare name (CDSE serves 'X.SAFE' as a zip)."""
    if identification.archive_suffix:
        return identification.archive_suffix
    return archive_suffix_of(path) if identification.is_container else ""


def _existing(name: str) -> Product | None:
    return catalog_selectors.products_by_names(names=[name]).get(name)


def _duplicate(existing: Product, package: Package) -> Settled:
    """Same name already catalogued: the same bytes make the entry ingested, other bytes are a conflict."""
    md5 = hashlib.md5(usedforsecurity=False)
    for chunk in package.chunks():
        md5.update(chunk)
    if existing.md5 and existing.md5 == md5.hexdigest():
        return Settled(state=EntryState.INGESTED, product_id=existing.id,
                       reason="already in the catalogue with the same MD5")
    raise BadInput(f"conflict: {existing.name} is already in the catalogue with MD5 {existing.md5 or '(none)'}; "
                   f"this delivery has MD5 {md5.hexdigest()}")


def _quicklook_store(product_id: uuid.UUID, quicklook: tuple[str, bytes, str] | None
                     ) -> catalog_services.NewAsset | None:
    if quicklook is None:
        return None
    name, data, content_type = quicklook
    if not data or len(data) > QUICKLOOK_MAX_BYTES:
        logger.warning("product %s: quicklook %s of %s bytes not stored", product_id, name, len(data))
        return None
    name = safe_file_name(name, default="quick-look.png")
    stored = object_store().put_stream(key=asset_key(product_id=product_id, name=name), stream=data,
                                       content_type=content_type)
    return catalog_services.NewAsset(type=AssetType.QUICKLOOK, name=name, storage_key=stored.key,
                                     content_type=content_type, content_length=stored.size, md5=stored.md5)
