"""Liveness of a transfer: long downloads and uploads touch their entry's heartbeat so the reaper leaves them alone.

The transfer opens `heartbeat(...)`; streaming code anywhere below calls `beat()` per chunk, which writes at most
once every HEARTBEAT_S.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.utils import timezone

from rs.ingestion.choices import EntryState
from rs.ingestion.constants import HEARTBEAT_S

_current: ContextVar[Callable[[], None] | None] = ContextVar("ingestion_heartbeat", default=None)


@contextmanager
def heartbeat(*, token: uuid.UUID) -> Iterator[None]:
    """Beats refresh every entry of the claim `token` (the entries of a batch waiting their turn included)."""
    from rs.ingestion.models import InboxEntry

    last = time.monotonic()

    def touch() -> None:
        nonlocal last
        now = time.monotonic()
        if now - last >= HEARTBEAT_S:
            last = now
            InboxEntry.objects.filter(claim_token=token, state=EntryState.TRANSFERRING).update(
                heartbeat_at=timezone.now()
            )

    reset = _current.set(touch)
    try:
        yield
    finally:
        _current.reset(reset)


def beat() -> None:
    touch = _current.get()
    if touch is not None:
        touch()
