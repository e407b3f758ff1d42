"""Polling: list a source, record every item seen, promote stable items, apply the sampling gate.

One poll of an inbox runs at a time (a lease on the inbox row). Items are recorded in batches of RECORD_BATCH items,
each in a few statements whatever its size (never a statement or a CASE per row): one SELECT of the entries already
known, one INSERT of the new ones, one UPDATE per kind of state change (waiting to pending, waiting to skipped with
each entry's reason, failed entries taken again) and one for the entries whose description changed. Each batch is
committed on its own, so the workers may ingest its pending entries while the listing goes on. The listing position
(cursor) is saved only at the source's checkpoints, after everything listed before is recorded: a poll killed halfway
lists the same items again, and the (inbox, key) constraint makes that harmless.
"""

from __future__ import annotations

import json
import logging
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from rs.ingestion.choices import EntryState
from rs.ingestion.constants import CLI_INBOX, POLL_LEASE_S, RECORD_BATCH
from rs.ingestion.errors import InboxConfigError, SourceUnavailable
from rs.ingestion.models import Inbox, InboxEntry
from rs.ingestion.sampling import SamplingGate
from rs.ingestion.sources import Checkpoint, ListedItem, source_for

logger = logging.getLogger(__name__)

KEY_MAX_CHARACTERS = 1024  # InboxEntry.key
# What the source says about an item: rewritten when it changes, compared to decide stability and re-takes.
_DESCRIPTION = ("size", "fingerprint", "source_time", "source_md5", "source_blake3", "remote")
_EXISTING = ("id", "key", "state", *_DESCRIPTION)

# A state change applied to a group of entries at once: (from, to, re-taken from scratch).
_Move = tuple[str, str, bool]


@dataclass
class PollSummary:
    inbox: str
    listed: int = 0
    new: int = 0
    pending: int = 0  # became pending in this poll
    waiting: int = 0  # seen, not stable yet
    skipped: int = 0
    changed: int = 0  # failed entries whose source item changed, taken again
    error: str = ""
    busy: bool = False  # another poll of the inbox was running


def _description(item: ListedItem) -> tuple[Any, ...]:
    return item.size, item.fingerprint, item.source_time, item.md5, item.blake3, dict(item.remote)


class _Recorder:
    def __init__(self, inbox: Inbox, summary: PollSummary, on_pending: Callable[[], object] | None) -> None:
        self.inbox = inbox
        self.summary = summary
        self.gate = SamplingGate(inbox.sampling_rules.all())
        self.gated = bool(self.gate.rules)  # most inboxes sample nothing: no name to identify per item
        self.match = re.compile(inbox.match_regex) if inbox.match_regex else None
        self.ignore = re.compile(inbox.ignore_regex) if inbox.ignore_regex else None
        self.batch: dict[str, ListedItem] = {}
        self.on_pending = on_pending

    def add(self, item: ListedItem) -> None:
        self.summary.listed += 1
        if len(item.key) > KEY_MAX_CHARACTERS:
            logger.warning("inbox %s: %s… not recorded: key longer than %d characters", self.inbox.name,
                           item.key[:80], KEY_MAX_CHARACTERS)
            return
        if self.match is not None and not self.match.search(item.name):
            return
        if self.ignore is not None and self.ignore.search(item.name):
            return
        self.batch[item.key] = item
        if len(self.batch) >= RECORD_BATCH:
            self.flush()

    def _stable(self, item: ListedItem) -> tuple[str, str]:
        """The state of an item that is stable now, and its reason: pending, or skipped (source or sampling gate)."""
        reason = item.skip_reason
        if not reason and self.gated:
            reason = self.gate.skip_reason(name=item.name, source_time=item.source_time)
        if reason:
            self.summary.skipped += 1
            return EntryState.SKIPPED, reason
        self.summary.pending += 1
        return EntryState.PENDING, ""

    def flush(self) -> None:
        if not self.batch:
            return
        items, self.batch = self.batch, {}
        pending_before = self.summary.pending
        now = timezone.now()
        created: list[dict[str, Any]] = []
        described: dict[int, ListedItem] = {}  # existing entries whose description changed
        moves: dict[_Move, dict[int, str]] = defaultdict(dict)  # → reason by entry id
        with transaction.atomic():
            existing = {
                row[1]: row for row in
                InboxEntry.objects.filter(inbox=self.inbox, key__in=list(items)).values_list(*_EXISTING)
            }
            for key, item in items.items():
                row = existing.get(key)
                if row is None:
                    created.append(self._new_entry(key, item, now))
                    continue
                entry_id, state, description = row[0], row[2], row[3:]
                if state == EntryState.WAITING:
                    if description[1] == item.fingerprint:
                        to, reason = self._stable(item)
                        moves[(EntryState.WAITING, to, False)][entry_id] = reason
                    else:
                        self.summary.waiting += 1
                    if description != _description(item):
                        described[entry_id] = item
                elif state == EntryState.FAILED and description[1] != item.fingerprint:
                    # The operator (or the station) replaced a failed item: take it again, from scratch.
                    to, reason = self._stable(item) if item.stable else (EntryState.WAITING, "")
                    moves[(EntryState.FAILED, to, True)][entry_id] = reason
                    described[entry_id] = item
                    self.summary.changed += 1
            _create(self.inbox, created, now)
            _describe(described)
            for move, reasons in moves.items():
                _move(move, reasons, now)
        if self.on_pending is not None and self.summary.pending > pending_before:
            # Committed (or, inside an outer transaction, the callback's own on_commit waits for it): the workers
            # may start on these while the listing goes on. Once is enough: they keep claiming until none is due.
            on_pending, self.on_pending = self.on_pending, None
            on_pending()

    def _new_entry(self, key: str, item: ListedItem, now: datetime) -> dict[str, Any]:
        """The fields of a new entry (the others take their defaults)."""
        state: str = EntryState.WAITING
        reason, finished_at = "", None
        if item.stable or item.skip_reason:
            state, reason = self._stable(item)
            if state == EntryState.SKIPPED:
                finished_at = now
        else:
            self.summary.waiting += 1
        self.summary.new += 1
        return {"key": key, "name": item.name[:1024], "size": item.size, "fingerprint": item.fingerprint,
                "source_time": item.source_time, "source_md5": item.md5, "source_blake3": item.blake3,
                "remote": dict(item.remote), "state": state, "reason": reason, "finished_at": finished_at}


def _create(inbox: Inbox, rows: list[dict[str, Any]], now: datetime) -> None:
    """Insert new entries, ignoring keys recorded meanwhile: on PostgreSQL one INSERT from one array per varying
    column (a VALUES list of a thousand rows costs the server more to parse than to insert, and Django more to
    build), elsewhere bulk_create."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        InboxEntry.objects.bulk_create([InboxEntry(inbox=inbox, **row) for row in rows], ignore_conflicts=True,
                                       batch_size=RECORD_BATCH)
        return
    columns, selected, params = [], [], []
    for field in InboxEntry._meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(connection.ops.quote_name(field.column))
        if field.attname in rows[0]:
            values = [row[field.attname] for row in rows]
            selected.append(f"unnest(%s::{field.db_type(connection)}[])")
            params.append([json.dumps(v) for v in values] if field.attname == "remote" else values)
        else:  # the same for every row: the inbox, the first-seen time, the field's default
            value: Any
            if field.attname == "inbox_id":
                value = inbox.pk
            elif getattr(field, "auto_now_add", False):
                value = now
            else:
                value = field.get_default()
            selected.append(f"%s::{field.db_type(connection)}")
            params.append(field.get_db_prep_save(value, connection))
    table = connection.ops.quote_name(InboxEntry._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(selected)} "
                       "ON CONFLICT DO NOTHING", params)


def _describe(described: dict[int, ListedItem]) -> None:
    """Write the new description of existing entries: one UPDATE from arrays on PostgreSQL (Django's bulk_update
    builds a CASE per field per row, milliseconds a row)."""
    if not described:
        return
    if connection.vendor != "postgresql":
        InboxEntry.objects.bulk_update(
            [InboxEntry(pk=pk, **dict(zip(_DESCRIPTION, _description(item), strict=True)))
             for pk, item in described.items()], list(_DESCRIPTION), batch_size=RECORD_BATCH)
        return
    columns = ["id", *_DESCRIPTION]
    fields = {field.attname: field for field in InboxEntry._meta.concrete_fields}
    types = [fields[column].db_type(connection) for column in columns]
    rows = [(pk, *_description(item)) for pk, item in described.items()]
    values: list[list[Any]] = [list(column) for column in zip(*rows, strict=True)]
    values[-1] = [json.dumps(remote) for remote in values[-1]]
    table = connection.ops.quote_name(InboxEntry._meta.db_table)
    assignments = ", ".join(f"{c} = v.{c}" for c in _DESCRIPTION)
    arrays = ", ".join(f"%s::{t}[]" for t in types)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} AS e SET {assignments} FROM unnest({arrays}) AS v({', '.join(columns)}) "  # noqa: S608
                       "WHERE e.id = v.id", values)


def _move(move: _Move, reasons: dict[int, str], now: datetime) -> None:
    """One state change for a group of entries, each with its reason (a sampling gate's reason names the item's time):
    one UPDATE when the reasons are the same, else one from arrays on PostgreSQL, one per reason elsewhere. An entry
    that left `from` meanwhile (an operator's retry) is left alone."""
    source, to, retaken = move
    changes: dict[str, Any] = {"state": to}
    if to == EntryState.SKIPPED:
        changes["finished_at"] = now
    if retaken:
        changes.update(attempts=0, next_attempt_at=None)
        changes.setdefault("finished_at", None)
    distinct = set(reasons.values())
    if len(distinct) > 1 and connection.vendor == "postgresql":
        table = connection.ops.quote_name(InboxEntry._meta.db_table)
        assignments = ", ".join(f"{connection.ops.quote_name(name)} = %s" for name in changes)  # plain columns
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} AS e SET {assignments}, reason = v.reason "  # noqa: S608
                "FROM unnest(%s::bigint[], %s::text[]) AS v(id, reason) WHERE e.id = v.id AND e.state = %s",
                [*changes.values(), list(reasons), list(reasons.values()), source])
        return
    for reason in distinct:
        ids = [pk for pk, why in reasons.items() if why == reason]
        InboxEntry.objects.filter(pk__in=ids, state=source).update(reason=reason, **changes)


def _lease(inbox_id: int) -> bool:
    now = timezone.now()
    return bool(
        Inbox.objects.filter(pk=inbox_id)
        .filter(Q(poll_lease_until__isnull=True) | Q(poll_lease_until__lt=now))
        .update(poll_lease_until=now + timedelta(seconds=POLL_LEASE_S))
    )


def inbox_poll(*, inbox_id: int, on_pending: Callable[[], object] | None = None) -> PollSummary:
    """List the inbox's source once and record what it holds. Raises Inbox.DoesNotExist for an unknown id.

    `on_pending` is called once, as soon as a recorded batch has made entries pending: a long listing does not hold
    back their ingestion."""
    inbox = Inbox.objects.get(pk=inbox_id)
    if inbox.name == CLI_INBOX:
        raise InboxConfigError(f"inbox {CLI_INBOX!r} records `manage.py ingest` runs; it is never polled")
    summary = PollSummary(inbox=inbox.name)
    if not _lease(inbox_id):
        summary.busy = True
        return summary
    recorder = _Recorder(inbox, summary, on_pending)
    try:
        for item in source_for(inbox).listing(cursor=inbox.cursor):
            if isinstance(item, Checkpoint):
                recorder.flush()
                # Saving the position also renews the lease: a long catch-up is not taken for a dead poll.
                Inbox.objects.filter(pk=inbox_id).update(
                    cursor=dict(item.cursor), poll_lease_until=timezone.now() + timedelta(seconds=POLL_LEASE_S))
            else:
                recorder.add(item)
        recorder.flush()
    except (SourceUnavailable, InboxConfigError) as exc:
        recorder.flush()  # what was listed before the failure is kept
        summary.error = str(exc)
        logger.warning("inbox %s: poll failed: %s", inbox.name, exc)
    finally:
        now = timezone.now()
        Inbox.objects.filter(pk=inbox_id).update(
            poll_lease_until=None, last_polled_at=now, last_poll_error=summary.error[:4000],
            next_poll_at=now + timedelta(seconds=inbox.poll_interval_s),
        )
    return summary


def inboxes_due() -> Iterable[int]:
    """Ids of the enabled inboxes whose next poll is due and that no poll is holding."""
    now = timezone.now()
    return list(
        Inbox.objects.filter(enabled=True)
        .filter(Q(next_poll_at__isnull=True) | Q(next_poll_at__lte=now))
        .filter(Q(poll_lease_until__isnull=True) | Q(poll_lease_until__lt=now))
        .values_list("id", flat=True)
    )


def pending_due_count(*, inbox_id: int, limit: int = 10_000) -> int:
    now = timezone.now()
    return (
        InboxEntry.objects.filter(inbox_id=inbox_id, state=EntryState.PENDING)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))[:limit].count()
    )
