"""Every write of ingestion. Keyword-only; tasks, commands and the admin call these, never the models directly."""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from rs.catalog.storage import object_store
from rs.errors import Conflict
from rs.ingestion.bulk import cli_inbox, paths_expand, paths_record
from rs.ingestion.choices import EntryState
from rs.ingestion.claims import entries_reap
from rs.ingestion.constants import CLAIM_BATCH, PARALLEL_DRAINS
from rs.ingestion.draining import DrainSummary, EntryCallback
from rs.ingestion.draining import inbox_drain as _inbox_drain
from rs.ingestion.models import Inbox, InboxEntry, SamplingRule
from rs.ingestion.polling import PollSummary, inboxes_due, pending_due_count
from rs.ingestion.polling import inbox_poll as _inbox_poll
from rs.ingestion.selectors import entry_get
from rs.ingestion.staging import staging_sweep

logger = logging.getLogger(__name__)

__all__ = [
    "DrainSummary",
    "PollSummary",
    "cli_inbox",
    "drains_enqueue",
    "entries_reap",
    "entries_retry",
    "entry_quarantine_purge",
    "entry_retry",
    "inbox_create",
    "inbox_drain",
    "inbox_poll",
    "inbox_poll_enqueue",
    "inbox_update",
    "inboxes_poll_due",
    "paths_expand",
    "paths_record",
    "quarantine_purge",
    "sampling_rule_add",
]


# --- configuration ----------------------------------------------------------------------------------------------------


@transaction.atomic
def inbox_create(*, name: str, kind: str, location: str, **options: Any) -> Inbox:
    """Create an inbox; ValidationError (field → messages) when the configuration cannot work."""
    inbox = Inbox(name=name, kind=kind, location=location, **options)
    inbox.full_clean()
    inbox.save(force_insert=True)
    return inbox


@transaction.atomic
def inbox_update(*, inbox_id: int, **changes: Any) -> Inbox:
    inbox = Inbox.objects.select_for_update().get(pk=inbox_id)
    for field, value in changes.items():
        setattr(inbox, field, value)
    inbox.full_clean()
    inbox.save()
    return inbox


@transaction.atomic
def sampling_rule_add(*, inbox_id: int, cron: str = "", duration_s: int = 3600, mission: str = "",
                      product_type_regex: str = "") -> SamplingRule:
    rule = SamplingRule(inbox_id=inbox_id, cron=cron, duration_s=duration_s, mission=mission,
                        product_type_regex=product_type_regex)
    rule.full_clean()
    rule.save(force_insert=True)
    return rule


# --- polling and draining --------------------------------------------------------------------------------------------


def inbox_poll(*, inbox_id: int, enqueue: bool = True) -> PollSummary:
    """Poll one inbox now; with `enqueue`, hand the pending entries to the ingestion workers: once as soon as the
    first recorded batch makes some pending (a long listing does not hold ingestion back), once at the end."""
    summary = _inbox_poll(inbox_id=inbox_id,
                          on_pending=(lambda: drains_enqueue(inbox_id=inbox_id)) if enqueue else None)
    if enqueue and not summary.busy:
        drains_enqueue(inbox_id=inbox_id)
    return summary


def inbox_poll_enqueue(*, inbox_id: int) -> None:
    """Ask the ingestion workers to poll an inbox now (admin action); sent on commit."""
    transaction.on_commit(lambda: _send_polls([inbox_id]))


def inbox_drain(*, inbox_id: int, budget_s: float | None = None,
                on_entry: EntryCallback | None = None) -> DrainSummary:
    """Ingest due pending entries of an inbox in this process."""
    if budget_s is None:
        return _inbox_drain(inbox_id=inbox_id, on_entry=on_entry)
    return _inbox_drain(inbox_id=inbox_id, budget_s=budget_s, on_entry=on_entry)


def drains_enqueue(*, inbox_id: int) -> int:
    """Send as many drain tasks as the due entries can keep busy (at most PARALLEL_DRAINS); on commit."""
    count = min(PARALLEL_DRAINS, math.ceil(pending_due_count(inbox_id=inbox_id) / CLAIM_BATCH))
    if count:
        transaction.on_commit(lambda: _send_drains(inbox_id, count))
    return count


def _send_drains(inbox_id: int, count: int) -> None:
    from rs.ingestion.tasks import inbox_drain_task

    try:
        for _ in range(count):
            inbox_drain_task.delay(inbox_id)
    except Exception:  # broker down: the rows are the truth, the next poll sends them again
        logger.warning("could not enqueue drains of inbox %s; the next poll will", inbox_id, exc_info=True)


def inboxes_poll_due() -> int:
    """Beat entry point: reap abandoned transfers, clean old staging folders, send a poll task per due inbox."""
    reaped = entries_reap()
    if reaped:
        logger.info("re-queued or failed %d abandoned transfers", reaped)
    staging_sweep()
    due = list(inboxes_due())
    if not due:
        return 0
    # Pushed forward now so that the next beat does not send the same polls while these wait in the queue.
    Inbox.objects.filter(pk__in=due).update(next_poll_at=timezone.now() + timedelta(seconds=60))
    transaction.on_commit(lambda: _send_polls(due))
    return len(due)


def _send_polls(inbox_ids: list[int]) -> None:
    from rs.ingestion.tasks import inbox_poll_task

    try:
        for inbox_id in inbox_ids:
            inbox_poll_task.delay(inbox_id)
    except Exception:
        logger.warning("could not enqueue inbox polls %s", inbox_ids, exc_info=True)


# --- operator actions ------------------------------------------------------------------------------------------------


def entries_retry(*, entry_ids: Iterable[int] | None = None, inbox_id: int | None = None) -> int:
    """Give failed entries a fresh start (attempts reset) and send drains for them; their quarantine copy stays until
    purged. The item is read again from its source."""
    qs = InboxEntry.objects.filter(state=EntryState.FAILED)
    if entry_ids is not None:
        ids = list(entry_ids)
        if not ids:
            return 0
        qs = qs.filter(pk__in=ids)
    if inbox_id is not None:
        qs = qs.filter(inbox_id=inbox_id)
    inbox_ids = set(qs.values_list("inbox_id", flat=True).distinct())
    count = qs.update(state=EntryState.PENDING, attempts=0, next_attempt_at=None, finished_at=None,
                      reason="retry requested by an operator")
    for retried_inbox in inbox_ids:
        drains_enqueue(inbox_id=retried_inbox)
    return count


def quarantine_purge(*, entry_ids: Iterable[int] | None = None, older_than_days: int | None = None) -> int:
    """Delete quarantine copies (the entries keep their state and reason); returns how many objects were deleted."""
    qs = InboxEntry.objects.exclude(quarantine_key="")
    if entry_ids is not None:
        qs = qs.filter(pk__in=list(entry_ids))
    if older_than_days is not None:
        cutoff = timezone.now() - timedelta(days=older_than_days)
        qs = qs.filter(Q(finished_at__lt=cutoff) | Q(finished_at__isnull=True, first_seen_at__lt=cutoff))
    store = object_store()
    purged = 0
    for entry_id, key in qs.values_list("id", "quarantine_key").iterator():
        store.delete(key)  # deleting first: a crash before the update leaves a key whose object is already gone
        InboxEntry.objects.filter(pk=entry_id, quarantine_key=key).update(quarantine_key="")
        purged += 1
    return purged


def entry_retry(*, entry_id: int) -> InboxEntry:
    """Retry one failed entry (see `entries_retry`); NotFound for an unknown id, Conflict when it is not failed (a
    second click, or a retry already under way)."""
    if not entries_retry(entry_ids=[entry_id]):
        entry = entry_get(entry_id=entry_id)
        raise Conflict(f"inbox entry {entry_id} is {entry.state}: only failed entries can be retried")
    return entry_get(entry_id=entry_id)


def entry_quarantine_purge(*, entry_id: int) -> InboxEntry:
    """Delete one entry's quarantine copy (the entry keeps its state and reason); Conflict when it has none."""
    if not quarantine_purge(entry_ids=[entry_id]):
        entry_get(entry_id=entry_id)
        raise Conflict(f"inbox entry {entry_id} has no quarantine copy")
    return entry_get(entry_id=entry_id)
