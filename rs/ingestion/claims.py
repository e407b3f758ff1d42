"""Claims on inbox entries: taken atomically, kept alive by heartbeats, finished only by their holder, reaped when
their worker vanished. Every state change of a claimed entry is conditional on the claim token, so a worker that lost
its claim (reaped while stalled) can never overwrite the work of the worker that took over."""

from __future__ import annotations

import operator
import uuid
from collections.abc import Mapping, Sequence
from datetime import timedelta
from functools import reduce
from typing import Any

from django.db import IntegrityError, models, transaction
from django.db.models import Case, Expression, F, Q, Value, When
from django.utils import timezone

from rs.ingestion.choices import EntryState
from rs.ingestion.constants import CLAIM_BATCH, MAX_ATTEMPTS, RETRY_BASE_S, RETRY_MAX_S, STALE_CLAIM_S
from rs.ingestion.models import InboxEntry

# A claim stops adding entries once they sum to this many bytes: a batch of large products is spread over workers.
CLAIM_BYTES = 256 * 1024 * 1024


class _ValueById(Expression):
    """Each row's own value, picked by its id from `values`: on PostgreSQL from two arrays (one short expression
    whatever the number of rows: building and compiling a CASE WHEN per row cost more than the rest of a batch's
    bookkeeping), elsewhere as CASE WHEN. Rows missing from `values` get NULL, as they would from the CASE."""

    def __init__(self, values: Mapping[int, object], *, output_field: models.Field[Any, Any], array_type: str
                 ) -> None:
        super().__init__(output_field=output_field)
        self.values = dict(values)
        self.array_type = array_type
        self.source: Any = F("pk")

    def get_source_expressions(self) -> list[Any]:
        return [self.source]

    def set_source_expressions(self, exprs: Sequence[Any]) -> None:
        (self.source,) = exprs

    def as_sql(self, compiler: Any, connection: Any) -> Any:
        case = Case(*(When(pk=pk, then=Value(value)) for pk, value in self.values.items()),
                    output_field=self.output_field)
        return compiler.compile(case.resolve_expression(compiler.query))

    def as_postgresql(self, compiler: Any, connection: Any) -> Any:
        pk_sql, pk_params = compiler.compile(self.source)
        sql = f"(%s::{self.array_type}[])[array_position(%s::bigint[], {pk_sql})]"
        return sql, (list(self.values.values()), list(self.values), *pk_params)


def entries_claim(*, inbox_id: int, limit: int = CLAIM_BATCH) -> list[InboxEntry]:
    """Take up to `limit` due pending entries of an inbox (SKIP LOCKED: concurrent claims never overlap)."""
    now = timezone.now()
    with transaction.atomic():
        candidates = list(
            InboxEntry.objects.select_for_update(skip_locked=True)
            .filter(inbox_id=inbox_id, state=EntryState.PENDING)
            .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
            .order_by("id")[:limit]
        )
        chosen: list[InboxEntry] = []
        total = 0
        for entry in candidates:
            if chosen and total + (entry.size or 0) > CLAIM_BYTES:
                break
            chosen.append(entry)
            total += entry.size or 0
        if not chosen:
            return []
        token = uuid.uuid4()
        InboxEntry.objects.filter(pk__in=[e.pk for e in chosen]).update(
            state=EntryState.TRANSFERRING, claim_token=token, heartbeat_at=now, product_name=""
        )
        # The catalogue id of each product is chosen at its first claim and kept by retries, so that the keys
        # derived from it (quicklook assets) are overwritten, not duplicated, by a retry.
        unplanned = [e for e in chosen if e.product_id is None]
        for entry in unplanned:
            entry.product_id = uuid.uuid4()
        if unplanned:
            InboxEntry.objects.filter(pk__in=[e.pk for e in unplanned]).update(
                product_id=_ValueById({e.pk: e.product_id for e in unplanned}, output_field=models.UUIDField(),
                                      array_type="uuid"))
    for entry in chosen:
        entry.state, entry.claim_token, entry.heartbeat_at, entry.product_name = (
            EntryState.TRANSFERRING, token, now, "")
    return chosen


class NameBusy(Exception):
    """Another entry is transferring a product of the same name right now."""


class ClaimLost(Exception):
    """The entry was reaped and taken over while this worker stalled."""


def entry_start(entry: InboxEntry, *, product_name: str) -> None:
    """Confirm the claim (refreshing its heartbeat) and mark the entry as carrying `product_name`; a partial unique
    index refuses a second transfer of the same product. Raises ClaimLost or NameBusy."""
    try:
        with transaction.atomic():
            updated = InboxEntry.objects.filter(_held(entry)).update(product_name=product_name,
                                                                     heartbeat_at=timezone.now())
    except IntegrityError:
        raise NameBusy from None
    if not updated:
        raise ClaimLost


def entries_start(starts: Sequence[tuple[InboxEntry, str]]) -> bool:
    """`entry_start` for a whole batch in one statement; False (and no change) when one of the entries cannot start
    (its claim lost, or its product busy): the caller then starts them one by one to tell which."""
    if not starts:
        return True
    try:
        with transaction.atomic():
            updated = InboxEntry.objects.filter(_held_all([e for e, _ in starts])).update(
                product_name=_ValueById({e.pk: name for e, name in starts}, output_field=models.CharField(),
                                        array_type="text"),
                heartbeat_at=timezone.now(),
            )
            if updated != len(starts):
                raise _Unchanged
    except (IntegrityError, _Unchanged):
        return False
    return True


class _Unchanged(Exception):
    """Rolls a batch statement back."""


def entries_finish_ingested(entries: Sequence[InboxEntry]) -> int:
    """Mark claimed entries ingested with their planned product ids (run in the registration transaction); returns
    how many were still ours."""
    if not entries:
        return 0
    return InboxEntry.objects.filter(_held_all(entries)).update(
        state=EntryState.INGESTED, reason="", quarantine_key="", claim_token=None, finished_at=timezone.now(),
        next_attempt_at=None, product_id=_ValueById({e.pk: e.product_id for e in entries},
                                                    output_field=models.UUIDField(), array_type="uuid"),
    )


def _held_all(entries: Sequence[InboxEntry]) -> Q:
    """Held by their claims: one condition per claim token (a batch shares one)."""
    by_token: dict[uuid.UUID | None, list[int]] = {}
    for entry in entries:
        by_token.setdefault(entry.claim_token, []).append(entry.pk)
    return reduce(operator.or_, (Q(pk__in=ids, claim_token=token, state=EntryState.TRANSFERRING)
                                 for token, ids in by_token.items()))


def _held(entry: InboxEntry) -> Q:
    return Q(pk=entry.pk, claim_token=entry.claim_token, state=EntryState.TRANSFERRING)


def entry_finish(entry: InboxEntry, *, state: str, reason: str = "", quarantine_key: str = "",
                 product_id: uuid.UUID | None = None) -> bool:
    """Move a claimed entry to a final state; False (and no change) when the claim is no longer ours."""
    changes: dict[str, object] = dict(
        state=state, reason=reason[:4000], quarantine_key=quarantine_key, claim_token=None, finished_at=timezone.now(),
        next_attempt_at=None,
    )
    if product_id is not None:
        changes["product_id"] = product_id
    return bool(InboxEntry.objects.filter(_held(entry)).update(**changes))


def entry_retry_later(entry: InboxEntry, *, error: str) -> str:
    """A retryable failure: back to pending after an exponential backoff, or failed once attempts are exhausted."""
    attempts = entry.attempts + 1
    if attempts >= MAX_ATTEMPTS:
        entry_finish_attempts(entry, attempts=attempts, state=EntryState.FAILED,
                              reason=f"gave up after {attempts} attempts: {error}")
        return EntryState.FAILED
    delay = min(RETRY_BASE_S * 2 ** (attempts - 1), RETRY_MAX_S)
    InboxEntry.objects.filter(_held(entry)).update(
        state=EntryState.PENDING, attempts=attempts, reason=f"attempt {attempts} failed: {error}"[:4000],
        next_attempt_at=timezone.now() + timedelta(seconds=delay), claim_token=None, product_name="",
    )
    return EntryState.PENDING


def entry_finish_attempts(entry: InboxEntry, *, attempts: int, state: str, reason: str) -> None:
    InboxEntry.objects.filter(_held(entry)).update(
        state=state, attempts=attempts, reason=reason[:4000], claim_token=None, finished_at=timezone.now(),
        next_attempt_at=None,
    )


def entry_defer(entry: InboxEntry, *, delay_s: float, reason: str) -> None:
    """Give the entry back without counting an attempt (another entry is transferring the same product)."""
    InboxEntry.objects.filter(_held(entry)).update(
        state=EntryState.PENDING, reason=reason[:4000], claim_token=None, product_name="",
        next_attempt_at=timezone.now() + timedelta(seconds=delay_s),
    )


def entries_reap(*, older_than_s: float = STALE_CLAIM_S) -> int:
    """Return transfers whose worker stopped beating to pending (counted as an attempt: an item that kills its
    worker every time ends failed instead of looping). Returns how many entries were touched."""
    cutoff = timezone.now() - timedelta(seconds=older_than_s)
    stale = InboxEntry.objects.filter(state=EntryState.TRANSFERRING, heartbeat_at__lt=cutoff)
    failed = stale.filter(attempts__gte=MAX_ATTEMPTS - 1).update(
        state=EntryState.FAILED, attempts=F("attempts") + 1, claim_token=None, product_name="",
        finished_at=timezone.now(), reason="gave up: the transfer was interrupted (worker lost) on every attempt",
    )
    requeued = stale.update(
        state=EntryState.PENDING, attempts=F("attempts") + 1, claim_token=None, product_name="",
        next_attempt_at=None, reason="transfer interrupted (worker lost): re-queued",
    )
    return failed + requeued
