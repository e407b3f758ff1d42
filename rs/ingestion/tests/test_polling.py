"""Recording a listing: grouped state changes, exact states and reasons, bounded SQL, drains while a poll goes on."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from rs.ingestion import polling, services
from rs.ingestion.choices import EntryState
from rs.ingestion.constants import CLAIM_BATCH, PARALLEL_DRAINS
from rs.ingestion.models import Inbox, InboxEntry
from rs.ingestion.sources import ListedItem
from rs.ingestion.tests.ingestion_support import directory_inbox, states_of

MONDAY_0130 = datetime(2026, 11, 23, 1, 30, tzinfo=UTC)  # inside the rule's window below
TUESDAY_0130 = datetime(2026, 11, 24, 1, 30, tzinfo=UTC)  # outside


def eof(index: int) -> str:
    created = f"{index // 3600:02d}{index // 60 % 60:02d}{index % 60:02d}"
    return f"S1A_OPER_AUX_RESORB_OPOD_20261120T{created}_V20261120T080000_20261120T113000.EOF"


def item(index: int, *, fingerprint: str = "v1", stable: bool = False, at: datetime = MONDAY_0130,
         **fields: Any) -> ListedItem:
    return ListedItem(key=eof(index), name=eof(index), size=100 + index, fingerprint=fingerprint,
                      source_time=at + timedelta(minutes=index), stable=stable, **fields)


class Listing:
    """A source whose listing is what the test says."""

    def __init__(self, items: list[ListedItem]) -> None:
        self.items = items

    def listing(self, *, cursor: Any) -> Iterator[ListedItem]:
        return iter(self.items)


@pytest.fixture
def inbox(db, tmp_path: Path) -> Inbox:
    return directory_inbox(tmp_path / "inbox")


@pytest.fixture
def listing(monkeypatch) -> Listing:
    source = Listing([])
    monkeypatch.setattr(polling, "source_for", lambda inbox: source)
    return source


def poll(inbox: Inbox, **options: Any) -> polling.PollSummary:
    return polling.inbox_poll(inbox_id=inbox.pk, **options)


def fields_of(inbox: Inbox, *names: str) -> dict[str, tuple[Any, ...]]:
    return {row[0]: row[1:] for row in InboxEntry.objects.filter(inbox=inbox).values_list("key", *names)}


@contextmanager
def statements() -> Iterator[list[tuple[str, int]]]:
    """Every SQL statement run inside, with its number of parameters."""
    seen: list[tuple[str, int]] = []

    def record(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        seen.append((sql, len(params) if isinstance(params, list | tuple) else 0))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        yield seen


def test_unchanged_waiting_entries_become_pending_in_one_update(inbox, listing):
    # given three items listed once (waiting)
    listing.items = [item(i) for i in range(3)]
    first = poll(inbox)
    # when they are listed again with the same fingerprints
    with statements() as seen:
        second = poll(inbox)
    # then they are pending, with their description kept, in one UPDATE of the entries
    assert (first.new, first.waiting, first.pending) == (3, 3, 0)
    assert (second.new, second.waiting, second.pending, second.skipped, second.changed) == (0, 0, 3, 0, 0)
    assert fields_of(inbox, "state", "reason", "finished_at", "size", "fingerprint") == {
        eof(i): (EntryState.PENDING, "", None, 100 + i, "v1") for i in range(3)}
    assert [sql for sql, _ in seen if sql.startswith("UPDATE") and "ingestion_inboxentry" in sql] == [
        next(sql for sql, _ in seen if sql.startswith("UPDATE") and "ingestion_inboxentry" in sql)]


def test_the_gate_skips_stable_entries_each_with_its_own_reason(inbox, listing):
    # given a sampling window on Monday nights and items listed at Monday and Tuesday 01:30 (+ i minutes)
    services.sampling_rule_add(inbox_id=inbox.pk, cron="0 0-5 * * MON", duration_s=3600)
    listing.items = [item(0), item(1, at=TUESDAY_0130), item(2, at=TUESDAY_0130), item(3)]
    poll(inbox)
    before = timezone.now()
    # when they are stable
    summary = poll(inbox)
    # then the ones outside the sample are skipped with the gate's reason for each, and finished
    assert (summary.pending, summary.skipped) == (2, 2)
    rows = fields_of(inbox, "state", "reason")
    assert rows == {
        eof(0): (EntryState.PENDING, ""),
        eof(1): (EntryState.SKIPPED, "not sampled: no sampling rule matches (S1 AUX_RESORB at "
                                     "2026-11-24T01:31:00+00:00)"),
        eof(2): (EntryState.SKIPPED, "not sampled: no sampling rule matches (S1 AUX_RESORB at "
                                     "2026-11-24T01:32:00+00:00)"),
        eof(3): (EntryState.PENDING, ""),
    }
    finished = fields_of(inbox, "finished_at")
    assert finished[eof(0)] == finished[eof(3)] == (None,)
    assert finished[eof(1)][0] >= before and finished[eof(2)][0] >= before


def test_an_item_skipped_by_its_source_is_finished_at_once_and_never_re_evaluated(inbox, listing):
    listing.items = [item(0, stable=True, skip_reason="offline at the source (Online=false)"), item(1, stable=True)]
    first = poll(inbox)
    again = poll(inbox)
    assert (first.new, first.skipped, first.pending, first.waiting) == (2, 1, 1, 0)
    assert (again.new, again.skipped, again.pending, again.waiting) == (0, 0, 0, 0)
    rows = fields_of(inbox, "state", "reason")
    assert rows == {eof(0): (EntryState.SKIPPED, "offline at the source (Online=false)"),
                    eof(1): (EntryState.PENDING, "")}
    assert InboxEntry.objects.get(key=eof(0)).finished_at is not None


def test_a_waiting_item_that_changed_keeps_waiting_with_its_new_description(inbox, listing):
    listing.items = [item(0), item(1)]
    poll(inbox)
    listing.items = [item(0, fingerprint="v2", md5="0" * 32, remote={"key": "x"}), item(1)]
    summary = poll(inbox)
    assert (summary.waiting, summary.pending) == (1, 1)
    assert fields_of(inbox, "state", "fingerprint", "source_md5", "remote") == {
        eof(0): (EntryState.WAITING, "v2", "0" * 32, {"key": "x"}),
        eof(1): (EntryState.PENDING, "v1", "", {}),
    }
    listing.items = [item(0, fingerprint="v2", md5="0" * 32, remote={"key": "x"})]
    assert poll(inbox).pending == 1


def test_a_stable_item_whose_description_alone_changed_is_promoted_and_described_again(inbox, listing):
    listing.items = [item(0, remote={"id": "a"})]
    poll(inbox)
    listing.items = [item(0, remote={"id": "b"}, blake3="b" * 64)]
    assert poll(inbox).pending == 1
    assert fields_of(inbox, "state", "remote", "source_blake3") == {eof(0): (EntryState.PENDING, {"id": "b"}, "b" * 64)}


def _failed(inbox: Inbox, key: str) -> None:
    InboxEntry.objects.filter(inbox=inbox, key=key).update(
        state=EntryState.FAILED, reason="checksum mismatch", attempts=3, finished_at=timezone.now(),
        next_attempt_at=timezone.now(), quarantine_key=f"quarantine/{key}")


def test_failed_entries_whose_item_changed_are_taken_again_from_scratch(inbox, listing):
    # given four failed entries
    listing.items = [item(i, stable=True) for i in range(4)]
    poll(inbox)
    for i in range(4):
        _failed(inbox, eof(i))
    # when 0 is replaced by an unstable item, 1 by a stable one, 2 by one offline at the source; 3 is unchanged
    listing.items = [item(0, fingerprint="v2"), item(1, fingerprint="v2", stable=True),
                     item(2, fingerprint="v2", stable=True, skip_reason="offline at the source (Online=false)"),
                     item(3, stable=True)]
    summary = poll(inbox)
    # then 0-2 start again (attempts, retry time and finish cleared; skipped ones finished now), 3 stays failed
    assert (summary.changed, summary.pending, summary.skipped, summary.waiting, summary.new) == (3, 1, 1, 0, 0)
    rows = fields_of(inbox, "state", "reason", "attempts", "next_attempt_at", "fingerprint", "quarantine_key")
    assert rows[eof(0)] == (EntryState.WAITING, "", 0, None, "v2", f"quarantine/{eof(0)}")
    assert rows[eof(1)] == (EntryState.PENDING, "", 0, None, "v2", f"quarantine/{eof(1)}")
    assert rows[eof(2)] == (EntryState.SKIPPED, "offline at the source (Online=false)", 0, None, "v2",
                            f"quarantine/{eof(2)}")
    assert rows[eof(3)][:3] == (EntryState.FAILED, "checksum mismatch", 3)
    finished = fields_of(inbox, "finished_at")
    assert finished[eof(0)] == finished[eof(1)] == (None,)
    assert finished[eof(2)][0] is not None and finished[eof(3)][0] is not None
    # and the unstable one is promoted once its listing is stable
    assert poll(inbox).pending == 1
    assert fields_of(inbox, "state")[eof(0)] == (EntryState.PENDING,)


def test_an_entry_retried_by_an_operator_meanwhile_is_not_taken_back(inbox, listing, monkeypatch):
    # given a failed entry whose item changed
    listing.items = [item(0, stable=True)]
    poll(inbox)
    _failed(inbox, eof(0))
    listing.items = [item(0, fingerprint="v2", stable=True)]
    # when an operator's retry lands between the poll's read of the entry and its update
    real_move = polling._move

    def retry_first(*args: Any) -> None:
        InboxEntry.objects.filter(inbox=inbox).update(state=EntryState.PENDING, attempts=0,
                                                      reason="retry requested by an operator")
        real_move(*args)

    monkeypatch.setattr(polling, "_move", retry_first)
    poll(inbox)
    # then the retry stands
    assert fields_of(inbox, "state", "reason") == {eof(0): (EntryState.PENDING, "retry requested by an operator")}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the batch SQL is PostgreSQL's: the embedded "
                    "SpatiaLite database writes gate skips one statement per reason, and smaller INSERTs")
@pytest.mark.parametrize("sampled", [False, True], ids=["no-gate", "gate-with-a-reason-per-item"])
def test_a_poll_of_thousands_of_items_runs_a_few_statements_per_batch(inbox, listing, sampled):
    # given 2,500 items (three batches), half of them outside the sample when a gate is set
    if sampled:
        services.sampling_rule_add(inbox_id=inbox.pk, cron="0 0-5 * * MON", duration_s=3600)
    count = 2500
    listing.items = [dataclasses.replace(item(i), source_time=(MONDAY_0130 if i % 2 else TUESDAY_0130)
                                         + timedelta(seconds=i)) for i in range(count)]
    with statements() as recording:
        first = poll(inbox)
    with statements() as promoting:
        second = poll(inbox)
    with statements() as steady:
        third = poll(inbox)
    assert (first.new, second.pending + second.skipped, third.listed) == (count, count, count)
    assert second.skipped == (count // 2 if sampled else 0)
    # then each poll is a handful of statements per batch and O(1) parameters per item (a statement or a CASE per
    # row, as bulk_update builds, would be thousands of either)
    batches = math.ceil(count / polling.RECORD_BATCH)
    for seen in (recording, promoting, steady):
        assert len(seen) <= 6 * batches + 4, [sql[:80] for sql, _ in seen]
        assert sum(params for _, params in seen) <= 2 * count + 100
    assert states_of(inbox) == ({EntryState.PENDING: count // 2, EntryState.SKIPPED: count // 2} if sampled
                                else {EntryState.PENDING: count})


def test_drains_are_requested_as_soon_as_a_batch_is_pending_not_at_the_end(inbox, listing, monkeypatch):
    # given 350 items recorded in batches of 100, waiting
    monkeypatch.setattr(polling, "RECORD_BATCH", 100)
    listing.items = [item(i) for i in range(350)]
    atomic_depth = len(connection.atomic_blocks)
    calls: list[tuple[int, int]] = []

    def on_pending() -> None:
        # (depth of open transactions: the batch is committed; entries pending at that moment)
        calls.append((len(connection.atomic_blocks) - atomic_depth,
                      InboxEntry.objects.filter(inbox=inbox, state=EntryState.PENDING).count()))

    poll(inbox, on_pending=on_pending)
    assert calls == []  # nothing pending after the first listing
    # when they are listed again
    summary = poll(inbox, on_pending=on_pending)
    # then the callback ran once, after the first batch was committed and before the rest was recorded
    assert summary.pending == 350
    assert calls == [(0, 100)]


def test_a_poll_with_enqueue_sends_drains_early_and_at_the_end_and_never_without(
        inbox, listing, monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.setattr(polling, "RECORD_BATCH", 100)
    sent: list[int] = []
    monkeypatch.setattr(services, "_send_drains", lambda inbox_id, count: sent.append(count))
    listing.items = [item(i) for i in range(350)]
    with django_capture_on_commit_callbacks(execute=True):
        services.inbox_poll(inbox_id=inbox.pk)
        services.inbox_poll(inbox_id=inbox.pk)
    early, last = min(PARALLEL_DRAINS, math.ceil(100 / CLAIM_BATCH)), min(PARALLEL_DRAINS, math.ceil(350 / CLAIM_BATCH))
    assert sent == [early, last]

    sent.clear()
    listing.items = [item(i) for i in range(350, 700)]
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.inbox_poll(inbox_id=inbox.pk, enqueue=False)
        services.inbox_poll(inbox_id=inbox.pk, enqueue=False)
    assert (sent, callbacks) == ([], [])
    assert states_of(inbox) == {EntryState.PENDING: 700}
