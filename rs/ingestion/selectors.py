"""Every read of ingestion with logic in it (admin, commands, other apps)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from django.db.models import Count, QuerySet

from rs.errors import NotFound
from rs.ingestion.choices import EntryState, SessionState
from rs.ingestion.models import Inbox, InboxEntry, Session
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
