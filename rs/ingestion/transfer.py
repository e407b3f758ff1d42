"""Ingestion of one claimed entry: identification → extraction → one stored object → catalogue entry.

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
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from django.db import transaction

from rs.catalog import selectors as catalog_selectors
from rs.catalog import services as catalog_services
from rs.catalog.choices import AssetType, ProductFamily
from rs.catalog.storage import ChecksumMismatch, InvalidKey, StorageError, StoredObject, object_store
from rs.catalog.storage.keys import asset_key, product_key
from rs.errors import NotFound
from rs.ingestion.choices import EntryState
from rs.ingestion.claims import (
    ClaimLost,
    NameBusy,
    entry_defer,
    entry_finish,
    entry_retry_later,
    entry_start,
)
from rs.ingestion.constants import QUICKLOOK_MAX_BYTES
from rs.ingestion.errors import BadInput, InboxConfigError, ItemGone, SourceUnavailable
from rs.ingestion.heartbeat import heartbeat
from rs.ingestion.models import InboxEntry
from rs.ingestion.packaging import Package, package_of
from rs.ingestion.quarantine import quarantine_copy
from rs.ingestion.sessions import session_file_add
from rs.ingestion.sources.layout import safe_file_name
from rs.ingestion.staging import archive_suffix_of

if TYPE_CHECKING:
    from rs.catalog.models import Product
    from rs.ingestion.models import Inbox
    from rs.ingestion.names import Identification
    from rs.ingestion.sources import LocalItem, Source

logger = logging.getLogger(__name__)

LOST = "lost"  # the claim was taken over by another worker: this one did nothing
NAME_BUSY_RETRY_S = 30.0


@dataclass(frozen=True)
class Extracted:
    metadata: catalog_services.ProductMetadata
    quicklook: tuple[str, bytes, str] | None
    listed_chunks: list[str]


def entry_ingest(*, entry: InboxEntry, inbox: Inbox, source: Source) -> str:
    """Ingest one claimed entry; returns the state it ended in (or LOST)."""
    if entry.claim_token is None:
        return LOST
    try:
        identification, unrecognised = _identify(entry, inbox)
        entry_start(entry, product_name=identification.name if identification else "")
        with heartbeat(token=entry.claim_token), source.fetch(entry) as local:
            try:
                if identification is None:
                    raise unrecognised or BadInput("unrecognised name")
                return _ingest(entry, inbox, local, identification)
            except BadInput as exc:
                key = quarantine_copy(entry=entry, local=local)
                entry_finish(entry, state=EntryState.FAILED, reason=str(exc), quarantine_key=key)
                return EntryState.FAILED
    except (BadInput, ItemGone) as exc:  # raised while fetching: there are no bytes to keep
        entry_finish(entry, state=EntryState.FAILED, reason=str(exc))
        return EntryState.FAILED
    except NameBusy:
        entry_defer(entry, delay_s=NAME_BUSY_RETRY_S, reason="waiting: another entry is transferring this product")
        return EntryState.PENDING
    except ClaimLost:
        return LOST
    except (SourceUnavailable, StorageError, InboxConfigError, OSError) as exc:
        logger.warning("entry %s (%s): retryable failure: %s", entry.pk, entry.key, exc)
        return entry_retry_later(entry, error=f"{type(exc).__name__}: {exc}")
    except Exception as exc:  # a bug or an unforeseen input: recorded and retried a bounded number of times
        logger.exception("entry %s (%s): unexpected failure", entry.pk, entry.key)
        return entry_retry_later(entry, error=f"unexpected {type(exc).__name__}: {exc}")


def _ingest(entry: InboxEntry, inbox: Inbox, local: LocalItem, identification: Identification) -> str:
    _received_check(local)
    if local.path.is_file() and local.path.stat().st_size == 0:
        raise BadInput("empty file (0 bytes)")
    extracted = _extract(identification, local.path)
    package = package_of(local.path, archive=".tar" if identification.mission == "S2" else ".zip")
    suffix = package.suffix if not package.is_file else _file_suffix(identification, local.path)

    existing = _existing(identification.name)
    if existing is not None:
        return _duplicate(entry, existing, package)

    metadata = extracted.metadata
    store = object_store()
    try:
        key = product_key(mission=metadata.mission, family=metadata.family, name=identification.name, suffix=suffix)
        stored = store.put_stream(
            key=key, stream=package.chunks(), content_type=package.content_type, expected_size=package.file_size,
            expected_md5=(local.expected_md5 or None) if package.is_file and not local.staged else None,
        )
    except ChecksumMismatch as exc:
        raise BadInput(f"checksum mismatch: {exc}") from None
    except InvalidKey as exc:
        raise BadInput(f"unusable product name: {exc}") from None
    product_id = entry.product_id or uuid.uuid4()  # planned at the claim
    quicklook = _quicklook_store(product_id, extracted.quicklook)
    publish = inbox.publish and identification.family != ProductFamily.SESSION
    try:
        with transaction.atomic():
            product = catalog_services.product_register(
                name=identification.name, metadata=metadata, content_length=stored.size, storage_key=key,
                checksums=catalog_services.Checksums(md5=stored.md5, blake3=stored.blake3,
                                                     computed_at=stored.stored_at),
                origin_date=entry.source_time, publish=publish, product_id=product_id,
            )
            if quicklook is not None:
                catalog_services.asset_add(
                    product_id=product.id, type=AssetType.QUICKLOOK, name=quicklook[0], storage_key=quicklook[1].key,
                    content_type=quicklook[2], content_length=quicklook[1].size, md5=quicklook[1].md5,
                )
            if identification.session is not None:
                channels = entry.remote.get("channels")
                session_file_add(identification=identification, product_id=product.id, listed=extracted.listed_chunks,
                                 channels=channels if isinstance(channels, int) else None)
            if not entry_finish(entry, state=EntryState.INGESTED, product_id=product.id):
                raise ClaimLost
    except catalog_services.ProductAlreadyExists:
        # Registered meanwhile by someone else than an ingestion entry (those exclude each other by name).
        existing = _existing(identification.name)
        if existing is not None and existing.md5 == stored.md5:
            entry_finish(entry, state=EntryState.INGESTED, product_id=existing.id,
                         reason="registered meanwhile with the same MD5")
            return EntryState.INGESTED
        raise BadInput(f"conflict: {identification.name} was registered meanwhile with other bytes") from None
    except catalog_services.InvalidProduct as exc:
        store.delete(key)
        if quicklook is not None:
            store.delete(quicklook[1].key)
        raise BadInput(f"refused by the catalogue: {exc}") from None
    return EntryState.INGESTED


def _identify(entry: InboxEntry, inbox: Inbox) -> tuple[Identification | None, BadInput | None]:
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
    try:
        return catalog_selectors.product_get_by_name(name=name)
    except NotFound:
        return None


def _duplicate(entry: InboxEntry, existing: Product, package: Package) -> str:
    """Same name already catalogued: the same bytes make the entry ingested, other bytes are a conflict."""
    md5 = hashlib.md5(usedforsecurity=False)
    for chunk in package.chunks():
        md5.update(chunk)
    if existing.md5 and existing.md5 == md5.hexdigest():
        entry_finish(entry, state=EntryState.INGESTED, product_id=existing.id,
                     reason="already in the catalogue with the same MD5")
        return EntryState.INGESTED
    raise BadInput(f"conflict: {existing.name} is already in the catalogue with MD5 {existing.md5 or '(none)'}; "
                   f"this delivery has MD5 {md5.hexdigest()}")


def _quicklook_store(product_id: uuid.UUID, quicklook: tuple[str, bytes, str] | None
                     ) -> tuple[str, StoredObject, str] | None:
    if quicklook is None:
        return None
    name, data, content_type = quicklook
    if not data or len(data) > QUICKLOOK_MAX_BYTES:
        logger.warning("product %s: quicklook %s of %s bytes not stored", product_id, name, len(data))
        return None
    name = safe_file_name(name, default="quick-look.png")
    stored = object_store().put_stream(key=asset_key(product_id=product_id, name=name), stream=data,
                                       content_type=content_type)
    return name, stored, content_type
