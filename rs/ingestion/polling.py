"""Polling: list a source, record every item seen, promote stable items, apply the sampling gate.

One poll of an inbox runs at a time (a lease on the inbox row). Items are recorded in batches — one SELECT and one
bulk INSERT/UPDATE per RECORD_BATCH items — and the listing position (cursor) is saved only at the source's
checkpoints, after everything listed before is recorded: a poll killed halfway lists the same items again, and the
(inbox, key) constraint makes that harmless.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
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
_UPDATED_FIELDS = ["state", "reason", "size", "fingerprint", "source_time", "source_md5", "source_blake3", "remote",
                   "attempts", "next_attempt_at", "finished_at"]


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


class _Recorder:
    def __init__(self, inbox: Inbox, summary: PollSummary) -> None:
        self.inbox = inbox
        self.summary = summary
        self.gate = SamplingGate(inbox.sampling_rules.all())
        self.match = re.compile(inbox.match_regex) if inbox.match_regex else None
        self.ignore = re.compile(inbox.ignore_regex) if inbox.ignore_regex else None
        self.batch: dict[str, ListedItem] = {}

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

    def _promote(self, entry: InboxEntry, item: ListedItem) -> None:
        """Stable now: pending, or skipped with the reason (source or sampling gate)."""
        reason = item.skip_reason or self.gate.skip_reason(name=item.name, source_time=item.source_time)
        if reason:
            entry.state, entry.reason, entry.finished_at = EntryState.SKIPPED, reason, timezone.now()
            self.summary.skipped += 1
        else:
            entry.state, entry.reason = EntryState.PENDING, ""
            self.summary.pending += 1

    @staticmethod
    def _describe(entry: InboxEntry, item: ListedItem) -> None:
        entry.size, entry.fingerprint, entry.source_time = item.size, item.fingerprint, item.source_time
        entry.source_md5, entry.source_blake3, entry.remote = item.md5, item.blake3, dict(item.remote)

    def flush(self) -> None:
        if not self.batch:
            return
        items, self.batch = self.batch, {}
        with transaction.atomic():
            existing = {
                e.key: e for e in InboxEntry.objects.filter(inbox=self.inbox, key__in=list(items))
            }
            created: list[InboxEntry] = []
            updated: list[InboxEntry] = []
            for key, item in items.items():
                entry = existing.get(key)
                if entry is None:
                    entry = InboxEntry(inbox=self.inbox, key=key, name=item.name[:1024])
                    self._describe(entry, item)
                    if item.stable or item.skip_reason:
                        self._promote(entry, item)
                    else:
                        self.summary.waiting += 1
                    created.append(entry)
                    self.summary.new += 1
                elif entry.state == EntryState.WAITING:
                    if entry.fingerprint == item.fingerprint:
                        self._promote(entry, item)
                    else:
                        self.summary.waiting += 1
                    self._describe(entry, item)
                    updated.append(entry)
                elif entry.state == EntryState.FAILED and entry.fingerprint != item.fingerprint:
                    # The operator (or the station) replaced a failed item: take it again, from scratch.
                    self._describe(entry, item)
                    entry.state, entry.reason, entry.attempts = EntryState.WAITING, "", 0
                    entry.next_attempt_at = entry.finished_at = None
                    if item.stable:
                        self._promote(entry, item)
                    updated.append(entry)
                    self.summary.changed += 1
            InboxEntry.objects.bulk_create(created, ignore_conflicts=True, batch_size=RECORD_BATCH)
            if updated:
                InboxEntry.objects.bulk_update(updated, _UPDATED_FIELDS, batch_size=RECORD_BATCH)


def _lease(inbox_id: int) -> bool:
    now = timezone.now()
    return bool(
        Inbox.objects.filter(pk=inbox_id)
        .filter(Q(poll_lease_until__isnull=True) | Q(poll_lease_until__lt=now))
        .update(poll_lease_until=now + timedelta(seconds=POLL_LEASE_S))
    )


def inbox_poll(*, inbox_id: int) -> PollSummary:
    """List the inbox's source once and record what it holds. Raises Inbox.DoesNotExist for an unknown id."""
    inbox = Inbox.objects.get(pk=inbox_id)
    if inbox.name == CLI_INBOX:
        raise InboxConfigError(f"inbox {CLI_INBOX!r} records `manage.py ingest` runs; it is never polled")
    summary = PollSummary(inbox=inbox.name)
    if not _lease(inbox_id):
        summary.busy = True
        return summary
    recorder = _Recorder(inbox, summary)
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
