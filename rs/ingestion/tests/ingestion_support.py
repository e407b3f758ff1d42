"""Helpers shared by the ingestion tests (plain functions: the fixtures stay in the test modules)."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rs.catalog.storage import object_store
from rs.ingestion import services
from rs.ingestion.choices import TERMINAL_STATES
from rs.ingestion.models import Inbox, InboxEntry

SAMPLES = Path(__file__).resolve().parents[4] / "shared" / "samples"


def wait_for(condition: Callable[[], Any], timeout: float = 60, message: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"condition not met within {timeout}s {message}")


def directory_inbox(path: Path, *, name: str = "test-inbox", **options: Any) -> Inbox:
    path.mkdir(parents=True, exist_ok=True)
    return services.inbox_create(name=name, kind="directory", location=str(path), **options)


def poll_until_settled(inbox: Inbox, *, polls: int = 2) -> None:
    """Poll as often as stability needs (a directory item is taken on its second identical listing)."""
    for _ in range(polls):
        services.inbox_poll(inbox_id=inbox.pk, enqueue=False)


def ingest_now(inbox: Inbox) -> dict[str, int]:
    """Poll twice and drain in this process; the states of the inbox's entries afterwards."""
    poll_until_settled(inbox)
    services.inbox_drain(inbox_id=inbox.pk)
    return states_of(inbox)


def states_of(inbox: Inbox) -> dict[str, int]:
    counts: dict[str, int] = {}
    for state in InboxEntry.objects.filter(inbox=inbox).values_list("state", flat=True):
        counts[state] = counts.get(state, 0) + 1
    return counts


def all_final(inbox: Inbox) -> bool:
    entries = InboxEntry.objects.filter(inbox=inbox)
    return entries.exists() and not entries.exclude(state__in=TERMINAL_STATES).exists()


def stored_md5(key: str) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    for chunk in object_store().open_range(key=key):
        digest.update(chunk)
    return digest.hexdigest()


def entry_of(inbox: Inbox, key: str) -> InboxEntry:
    return InboxEntry.objects.get(inbox=inbox, key=key)
