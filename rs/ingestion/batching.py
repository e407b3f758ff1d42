"""Ingestion of a claimed batch of entries: small products cost a few statements per batch instead of a transaction,
a catalogue registration and an event dispatch each.

1. Every entry is identified and started (its product name recorded) with one statement; when that statement cannot
   apply to all of them (a product another entry is transferring, a claim lost), they start one by one.
2. One query finds the names already catalogued (duplicates are compared by MD5 instead of stored again).
3. The entries are fetched, extracted and stored by a pool of threads (boto3 clients are thread-safe); nothing is
   written to the database there, so a failure settles its own entry only (quarantine, retry) and never the others.
4. The stored products are catalogued in one transaction: bulk inserts of products, attributes, assets and events,
   the session bookkeeping and the entries' `ingested` state, with one event delivery message per consumer on
   commit. When that transaction cannot commit as a whole (a name registered meanwhile, a product the catalogue
   refuses, a lost claim), it is rolled back and the products are catalogued one by one, each settling its own entry.

A crash before the commit leaves the stored objects (overwritten by the retry, at the same keys) and no catalogue
entry; the claims are reaped and the entries retried: no product is lost or catalogued twice.
"""

from __future__ import annotations

import contextvars
import logging
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from typing import TYPE_CHECKING

from django.db import DatabaseError, connections, transaction

from rs.catalog import selectors as catalog_selectors
from rs.catalog import services as catalog_services
from rs.ingestion.choices import EntryState
from rs.ingestion.claims import ClaimLost, NameBusy, entries_finish_ingested, entries_start, entry_defer, entry_start
from rs.ingestion.constants import UPLOAD_THREADS
from rs.ingestion.heartbeat import heartbeat
from rs.ingestion.transfer import (
    LOST,
    NAME_BUSY_RETRY_S,
    Prepared,
    Settled,
    entry_prepare,
    entry_register,
    identify_entry,
    session_files_add,
    settled_write,
)

if TYPE_CHECKING:
    from rs.catalog.selectors import Product
    from rs.ingestion.errors import BadInput
    from rs.ingestion.models import Inbox, InboxEntry
    from rs.ingestion.names import Identification
    from rs.ingestion.sources import Source

logger = logging.getLogger(__name__)

Identified = tuple["Identification | None", "BadInput | None"]


def batch_ingest(*, entries: list[InboxEntry], inbox: Inbox, source: Source) -> list[tuple[InboxEntry, str]]:
    """Ingest a claimed batch; returns each entry with the state it ended in (or LOST)."""
    results: dict[int, str] = {e.pk: LOST for e in entries}
    identified = {e.pk: identify_entry(e, inbox) for e in entries if e.claim_token is not None}
    started = _start([e for e in entries if e.pk in identified], identified, results)
    if started:
        names = [i.name for i, _ in (identified[e.pk] for e in started) if i is not None]
        existing = catalog_selectors.products_by_names(names=names)
        token = started[0].claim_token  # a batch shares its claim
        assert token is not None
        with heartbeat(token=token), ExitStack() as stack:
            outcomes = _prepare_all(started, inbox, source, identified, existing, stack)
            for entry, outcome in outcomes:
                if isinstance(outcome, Settled):
                    results[entry.pk] = settled_write(entry, outcome)
            prepared = [outcome for _, outcome in outcomes if isinstance(outcome, Prepared)]
            results.update(_register(prepared))
    return [(e, results[e.pk]) for e in entries]


def _start(entries: list[InboxEntry], identified: dict[int, Identified], results: dict[int, str]
           ) -> list[InboxEntry]:
    starts = [(e, identification.name if identification else "") for e in entries
              for identification, _ in [identified[e.pk]]]
    if entries_start(starts):
        return entries
    started = []
    for entry, name in starts:
        try:
            entry_start(entry, product_name=name)
        except NameBusy:
            entry_defer(entry, delay_s=NAME_BUSY_RETRY_S,
                        reason="waiting: another entry is transferring this product")
            results[entry.pk] = EntryState.PENDING
        except ClaimLost:
            results[entry.pk] = LOST
        else:
            started.append(entry)
    return started


def _prepare_all(entries: list[InboxEntry], inbox: Inbox, source: Source, identified: dict[int, Identified],
                 existing: dict[str, Product], stack: ExitStack) -> list[tuple[InboxEntry, Prepared | Settled]]:
    def prepare(entry: InboxEntry, entry_stack: ExitStack) -> Prepared | Settled:
        identification, unrecognised = identified[entry.pk]
        return entry_prepare(entry=entry, inbox=inbox, source=source, identification=identification,
                             unrecognised=unrecognised, stack=entry_stack,
                             existing=existing.get(identification.name) if identification else None)

    stacks = [stack.enter_context(ExitStack()) for _ in entries]  # each item stays readable until the batch ends
    if len(entries) == 1 or UPLOAD_THREADS <= 1:
        return [(entry, prepare(entry, entry_stack)) for entry, entry_stack in zip(entries, stacks, strict=True)]

    def in_thread(entry: InboxEntry, entry_stack: ExitStack) -> Prepared | Settled:
        try:
            return prepare(entry, entry_stack)
        finally:
            connections.close_all()  # a heartbeat written from this thread opened its own connection

    with ThreadPoolExecutor(max_workers=min(UPLOAD_THREADS, len(entries)), thread_name_prefix="ingest") as pool:
        # each job runs in a copy of this context: the batch's heartbeat is seen by the streams of every thread
        futures = [pool.submit(contextvars.copy_context().run, in_thread, entry, entry_stack)
                   for entry, entry_stack in zip(entries, stacks, strict=True)]
        return [(entry, future.result()) for entry, future in zip(entries, futures, strict=True)]


def _register(prepared: list[Prepared]) -> dict[int, str]:
    """Catalogue the prepared entries in one transaction, or one by one when the batch cannot commit as a whole."""
    if not prepared:
        return {}
    try:
        with transaction.atomic():
            catalog_services.products_register(registrations=[p.registration for p in prepared])
            session_files_add(prepared)
            if entries_finish_ingested([p.entry for p in prepared]) != len(prepared):
                raise ClaimLost
    except (ClaimLost, catalog_services.ProductAlreadyExists, catalog_services.InvalidProduct,
            DatabaseError) as exc:
        logger.info("a batch of %d products is catalogued one by one: %s", len(prepared), exc or type(exc).__name__)
        return {p.entry.pk: entry_register(p) for p in prepared}
    return {p.entry.pk: EntryState.INGESTED for p in prepared}
