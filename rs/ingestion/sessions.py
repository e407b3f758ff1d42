"""Downlink sessions: DSIB descriptors and DSDB chunks grouped per session, completed exactly once.

Design: every DSIB and DSDB file is stored and catalogued on its own as an unpublished product of family
EDRS_SESSION (product types SESSION and RAW, given by identification). When the last missing file of a session is
catalogued — both channels' DSIB and every chunk they list — one more product is registered in the same
transaction: family EDRS_SESSION, product type SESSION_COMPLETE, named after the session id, metadata only (no
bytes of its own), with every DSIB and chunk as lineage inputs. Its `created` event is the trigger of the L0 chains
(S1 AIOP, S2 L0U, S3 ACQ). The session row is locked while a file is added, so two workers adding the last two files
at once cannot both miss — or both emit — the completion.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from rs.catalog import selectors as catalog_selectors
from rs.catalog import services as catalog_services
from rs.catalog.choices import ProcessingLevel, ProductFamily
from rs.ingestion.choices import SessionFileKind, SessionState
from rs.ingestion.models import Session, SessionFile

if TYPE_CHECKING:
    import uuid

    from rs.ingestion.names import Identification

SESSION_PRODUCT_TYPE = "SESSION_COMPLETE"


@dataclass(frozen=True)
class SessionMissing:
    """What a session still lacks: the channels without DSIB and the listed chunks not catalogued yet."""

    dsib_channels: tuple[int, ...]
    chunks: tuple[str, ...]

    @property
    def complete(self) -> bool:
        return not self.dsib_channels and not self.chunks


def session_missing(session: Session) -> SessionMissing:
    files = list(session.files.all())
    dsib_channels = {f.channel for f in files if f.kind == SessionFileKind.DSIB}
    chunks = {f.name for f in files if f.kind == SessionFileKind.DSDB}
    listed = [name for f in files if f.kind == SessionFileKind.DSIB for name in f.listed]
    return SessionMissing(
        dsib_channels=tuple(c for c in range(1, session.channels + 1) if c not in dsib_channels),
        chunks=tuple(sorted(dict.fromkeys(name for name in listed if name not in chunks))),
    )


@dataclass(frozen=True)
class ChannelStatus:
    """One channel of a session: its DSIB (None until catalogued), how many chunks that DSIB lists, how many of the
    channel's chunks are catalogued, and exactly which listed chunks are not."""

    channel: int
    dsib: str | None
    chunks_listed: int
    chunks_received: int
    missing_chunks: tuple[str, ...]


def session_channels(session: Session) -> list[ChannelStatus]:
    """Per-channel status from the session's files (prefetch them for a list); the channels of `session_missing`
    plus any channel a file names beyond the expected count."""
    files = list(session.files.all())
    received = {f.name for f in files if f.kind == SessionFileKind.DSDB}
    channels = sorted(set(range(1, session.channels + 1)) | {f.channel for f in files})
    statuses = []
    for channel in channels:
        dsibs = [f for f in files if f.kind == SessionFileKind.DSIB and f.channel == channel]
        listed = list(dict.fromkeys(name for f in dsibs for name in f.listed))
        statuses.append(ChannelStatus(
            channel=channel,
            dsib=min(f.name for f in dsibs) if dsibs else None,
            chunks_listed=len(listed),
            chunks_received=sum(1 for f in files if f.kind == SessionFileKind.DSDB and f.channel == channel),
            missing_chunks=tuple(sorted(name for name in listed if name not in received)),
        ))
    return statuses


def session_product_name(session: Session) -> str:
    """The session id, prefixed with the satellite when the id does not carry it (EDRS and test ids)."""
    if session.satellite and not session.session_id.startswith(session.satellite):
        return f"{session.satellite}_{session.session_id}"
    return session.session_id


def session_file_add(*, identification: Identification, product_id: uuid.UUID, listed: list[str],
                     channels: int | None = None) -> Session:
    """Record a catalogued session file; completes the session when it was the last one missing.

    `channels` is the session's channel count when the source tells it (CADIP NumChannels); two otherwise. Must run
    inside the transaction that registers the file's product.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("session_file_add runs inside the registration transaction")
    info = identification.session
    if info is None:
        raise ValueError(f"{identification.name} is not a session file")
    session, _ = Session.objects.get_or_create(
        satellite=info.satellite, session_id=info.session_id,
        defaults={"mission": identification.mission, "station": info.station},
    )
    session = Session.objects.select_for_update().get(pk=session.pk)
    if channels in (1, 2) and session.channels != channels and session.state == SessionState.INCOMPLETE:
        Session.objects.filter(pk=session.pk).update(channels=channels)
        session.channels = channels
    SessionFile.objects.get_or_create(
        session=session, name=identification.name,
        defaults={"channel": info.channel, "kind": info.kind, "chunk": info.chunk, "product_id": product_id,
                  "listed": listed},
    )
    if session.state == SessionState.INCOMPLETE and session_missing(session).complete:
        _session_complete(session)
    return session


def _session_complete(session: Session) -> None:
    files = list(session.files.order_by("channel", "kind", "chunk", "name"))
    products = {p.id: p for p in catalog_selectors.products_by_ids(ids=[f.product_id for f in files])}
    dsibs = [products[f.product_id] for f in files if f.kind == SessionFileKind.DSIB and f.product_id in products]
    starts = [p.content_start for p in dsibs if p.content_start]
    stops = [p.content_end for p in dsibs if p.content_end]
    origins = [p.origin_date for p in products.values() if p.origin_date]
    first = next(iter(products.values()))
    chunks = [f for f in files if f.kind == SessionFileKind.DSDB]
    metadata = catalog_services.ProductMetadata(
        mission=session.mission or first.mission, platform=first.platform, family=ProductFamily.SESSION,
        product_type=SESSION_PRODUCT_TYPE, level=ProcessingLevel.RAW,
        content_start=min(starts) if starts else None, content_end=max(stops) if stops else None,
        attributes={"sessionId": session.session_id, "stationUnitId": session.station or None,
                    "numChannels": session.channels, "numChunks": len(chunks)},
    )
    name = session_product_name(session)
    try:
        product = catalog_services.product_register(
            name=name, metadata=metadata, content_length=sum(p.content_length for p in products.values()),
            origin_date=max(origins) if origins else None, publish=False,
            inputs=[f.product_id for f in files if f.product_id in products],
        )
        product_id = product.id
    except catalog_services.ProductAlreadyExists:  # a re-delivered session completed before
        product_id = catalog_selectors.product_get_by_name(name=name).id
    Session.objects.filter(pk=session.pk).update(
        state=SessionState.COMPLETE, completed_at=timezone.now(), product_id=product_id
    )
