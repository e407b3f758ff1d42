"""Every read of ingestion with logic in it (admin, commands, other apps)."""

from __future__ import annotations

import dataclasses
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath

from django.db.models import Count, FilteredRelation, Q, QuerySet

from rs.catalog.services import ProductMetadata
from rs.catalog.storage import object_store
from rs.errors import Conflict, NotFound
from rs.ingestion.choices import EntryState, SessionFileKind, SessionState
from rs.ingestion.errors import BadInput
from rs.ingestion.models import Inbox, InboxEntry, Session
from rs.ingestion.packaging import Package, package_of
from rs.ingestion.sessions import SessionMissing, session_missing

# Entries counted whatever their age: what is in flight and what waits for an operator.
OPEN_STATES = (EntryState.WAITING, EntryState.PENDING, EntryState.TRANSFERRING, EntryState.FAILED)
# Entries counted only when they finished within the window: their totals grow with history.
FINISHED_STATES = (EntryState.INGESTED, EntryState.SKIPPED, EntryState.FAILED)


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


def inboxes_status(*, since: datetime) -> QuerySet[Inbox]:
    """Every inbox with its entry counts, in one query with conditional aggregates.

    Annotated `<state>` for the open states (any age) and `<state>_since` for the finished ones (finished at or after
    `since`). The join takes only those rows, both branches of its condition being ranges of the (state,
    finished_at, inbox) index, so the cost follows the work in flight, the failures and the window, never the
    history of ingested entries.
    """
    counted = FilteredRelation("entries", condition=(
        Q(entries__state__in=OPEN_STATES)
        | Q(entries__state__in=[s for s in FINISHED_STATES if s not in OPEN_STATES], entries__finished_at__gte=since)))
    counts = {str(state): Count("counted", filter=Q(counted__state=state)) for state in OPEN_STATES}
    counts |= {f"{state}_since": Count("counted", filter=Q(counted__state=state, counted__finished_at__gte=since))
               for state in FINISHED_STATES}
    return Inbox.objects.annotate(counted=counted).annotate(**counts)


def entry_get(*, entry_id: int) -> InboxEntry:
    try:
        return InboxEntry.objects.select_related("inbox").get(pk=entry_id)
    except InboxEntry.DoesNotExist:
        raise NotFound(f"no inbox entry {entry_id}") from None


def entries_failed(*, inbox_id: int | None = None, reason: str = "") -> QuerySet[InboxEntry]:
    """Failed entries (quarantined or not), newest first: what `quarantine list`, the admin and the API show.

    The (state, finished_at, inbox) index serves the order, a partial index per inbox the inbox filter; `reason`
    (case-insensitive, any part) can use the trigram index of failed reasons on PostgreSQL.
    """
    qs = InboxEntry.objects.filter(state=EntryState.FAILED).select_related("inbox")
    if inbox_id is not None:
        qs = qs.filter(inbox_id=inbox_id)
    if reason:
        qs = qs.filter(reason__icontains=reason)
    return qs.order_by("-finished_at", "-id")


def quarantine_download_url(*, entry_id: int) -> str:
    """A short-lived URL of the entry's quarantine copy (named `<entry id>-<item><suffix>` as stored); Conflict when
    it has none."""
    entry = entry_get(entry_id=entry_id)
    if not entry.quarantine_key:
        raise Conflict(f"inbox entry {entry_id} has no quarantine copy")
    return object_store().download_url(key=entry.quarantine_key, filename=PurePosixPath(entry.quarantine_key).name)


def sessions_incomplete() -> list[tuple[Session, SessionMissing]]:
    """Incomplete sessions, oldest first, each with the channels and chunks it still lacks."""
    sessions = Session.objects.filter(state=SessionState.INCOMPLETE).prefetch_related("files").order_by(
        "first_seen_at", "id")
    return [(session, session_missing(session)) for session in sessions]


def sessions_in_state(*, state: str) -> QuerySet[Session]:
    """Sessions in one state with their files (prefetched per page); the (state, first_seen_at) index orders them."""
    return Session.objects.filter(state=state).prefetch_related("files")


def session_by_id(*, pk: int) -> Session:
    try:
        return Session.objects.prefetch_related("files").get(pk=pk)
    except Session.DoesNotExist:
        raise NotFound(f"no session {pk}") from None


def session_get(*, satellite: str, session_id: str) -> Session:
    try:
        return Session.objects.get(satellite=satellite, session_id=session_id)
    except Session.DoesNotExist:
        raise NotFound(f"no session {satellite} {session_id}") from None


@dataclass(frozen=True)
class SessionMember:
    product_id: uuid.UUID
    name: str
    channel: int
    kind: str  # DSIB | DSDB
    chunk: int | None


@dataclass(frozen=True)
class SessionMembers:
    """A session as production sees it: complete or not (the marker product once complete), its catalogued files
    (DSIBs by channel, then the chunks interleaved: chunk 1 of every channel, chunk 2, …) and what it lacks."""

    complete: bool
    marker_id: uuid.UUID | None
    files: tuple[SessionMember, ...]
    missing: SessionMissing


def session_members(*, satellites: list[str], session_id: str) -> SessionMembers | None:
    """The session of that id (for one of the satellites, '' = unknown), None when no file of it arrived yet.
    Two queries on the (satellite, session_id) unique index and the files' foreign key."""
    session = (Session.objects.filter(satellite__in=satellites, session_id=session_id).prefetch_related("files")
               .order_by("-satellite").first())
    if session is None:
        return None
    files = sorted(session.files.all(), key=lambda f: (f.kind != SessionFileKind.DSIB, f.chunk or 0, f.channel,
                                                       f.name))
    return SessionMembers(
        complete=session.state == SessionState.COMPLETE and session.product_id is not None,
        marker_id=session.product_id,
        files=tuple(SessionMember(product_id=f.product_id, name=f.name, channel=f.channel, kind=f.kind,
                                  chunk=f.chunk) for f in files),
        missing=session_missing(session))


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
