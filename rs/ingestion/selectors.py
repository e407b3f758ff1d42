"""Every read of ingestion with logic in it (admin, commands, other apps)."""

from __future__ import annotations

import dataclasses
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from django.db.models import Count, QuerySet

from rs.catalog.services import ProductMetadata
from rs.errors import NotFound
from rs.ingestion.choices import EntryState, SessionState
from rs.ingestion.errors import BadInput
from rs.ingestion.models import Inbox, InboxEntry, Session
from rs.ingestion.packaging import Package, package_of
from rs.ingestion.sessions import SessionMissing, session_missing


@dataclass(frozen=True)
class InboxOverview:
    inbox: Inbox
    states: Counter[str]


def inbox_get_by_name(*, name: str) -> Inbox:
    try:
        return Inbox.objects.get(name=name)
    except Inbox.DoesNotExist:
        raise NotFound(f"no inbox named {name!r}") from None


def inboxes_overview() -> list[InboxOverview]:
    """Every inbox with its entry counts per state, in two queries."""
    counts: dict[int, Counter[str]] = {}
    for row in InboxEntry.objects.values("inbox_id", "state").annotate(n=Count("id")).order_by():
        counts.setdefault(row["inbox_id"], Counter())[row["state"]] = row["n"]
    return [InboxOverview(inbox, counts.get(inbox.pk, Counter())) for inbox in Inbox.objects.order_by("name")]


def entry_get(*, entry_id: int) -> InboxEntry:
    try:
        return InboxEntry.objects.select_related("inbox").get(pk=entry_id)
    except InboxEntry.DoesNotExist:
        raise NotFound(f"no inbox entry {entry_id}") from None


def entries_failed(*, inbox_id: int | None = None) -> QuerySet[InboxEntry]:
    """Failed entries (quarantined or not), newest first: what `quarantine list` and the admin show."""
    qs = InboxEntry.objects.filter(state=EntryState.FAILED).select_related("inbox")
    if inbox_id is not None:
        qs = qs.filter(inbox_id=inbox_id)
    return qs.order_by("-finished_at", "-id")


def sessions_incomplete() -> list[tuple[Session, SessionMissing]]:
    """Incomplete sessions, oldest first, each with the channels and chunks it still lacks."""
    sessions = Session.objects.filter(state=SessionState.INCOMPLETE).prefetch_related("files").order_by(
        "first_seen_at", "id")
    return [(session, session_missing(session)) for session in sessions]


def session_get(*, satellite: str, session_id: str) -> Session:
    try:
        return Session.objects.get(satellite=satellite, session_id=session_id)
    except Session.DoesNotExist:
        raise NotFound(f"no session {satellite} {session_id}") from None


@dataclass(frozen=True)
class LocalProduct:
    """A product on local disk as ingestion would catalogue and store it (production outputs use this)."""

    name: str
    metadata: ProductMetadata
    quicklook: tuple[str, bytes, str] | None  # (file name, bytes, content type)
    package: Package


def local_product_describe(*, path: Path) -> LocalProduct:
    """Identify a product folder or file by its name, extract its metadata and quicklook, and package it the way
    ingestion stores products (folders: zip, tar for Sentinel-2). Raises BadInput with the reason."""
    from rs.ingestion.extraction import ExtractionError, ProductReader, extract_metadata, quicklook_of
    from rs.ingestion.names import UnrecognisedName, identify

    try:
        identification = identify(path.name)
    except UnrecognisedName as exc:
        raise BadInput(f"unrecognised product name: {exc}") from None
    try:
        with ProductReader.open(path) as reader:
            metadata = extract_metadata(identification, reader)
            try:
                quicklook = quicklook_of(identification, reader)
            except ExtractionError:  # the product is fine without its browse image
                quicklook = None
    except ExtractionError as exc:
        raise BadInput(f"metadata extraction failed: {exc}") from None
    if not metadata.mission:
        metadata = dataclasses.replace(metadata, mission=identification.mission,
                                       platform=metadata.platform or identification.platform)
    package = package_of(path, archive=".tar" if identification.mission == "S2" else ".zip")
    return LocalProduct(name=identification.name, metadata=metadata, quicklook=quicklook, package=package)
