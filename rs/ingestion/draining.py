"""Draining an inbox: claim due pending entries in batches and ingest them until none is left or the budget ends."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from rs.ingestion.batching import batch_ingest
from rs.ingestion.claims import entries_claim
from rs.ingestion.constants import DRAIN_BUDGET_S
from rs.ingestion.models import Inbox, InboxEntry
from rs.ingestion.sources import source_for

EntryCallback = Callable[[InboxEntry, str], None]


@dataclass
class DrainSummary:
    states: Counter[str] = field(default_factory=Counter)
    exhausted: bool = False  # stopped because nothing was left to claim (not because of the budget)


def inbox_drain(*, inbox_id: int, budget_s: float = DRAIN_BUDGET_S,
                on_entry: EntryCallback | None = None) -> DrainSummary:
    inbox = Inbox.objects.get(pk=inbox_id)
    source = source_for(inbox)
    summary = DrainSummary()
    deadline = time.monotonic() + budget_s
    while time.monotonic() < deadline:
        batch = entries_claim(inbox_id=inbox_id)
        if not batch:
            summary.exhausted = True
            break
        for entry, state in batch_ingest(entries=batch, inbox=inbox, source=source):
            summary.states[state] += 1
            if on_entry is not None:
                on_entry(entry, state)
    return summary
