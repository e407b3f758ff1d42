"""Loaded into a test worker through RS_EVENT_CONSUMER_MODULES (the settings' plug-in hook): single-file items stream
RS_TEST_STALL_AFTER_BYTES bytes, then the transfer writes RS_TEST_STALL_MARKER and stalls, so that a test can kill
the worker in the middle of an upload. Never imported by the application itself."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

from rs.ingestion import packaging

_original = packaging._file_chunks


def _stalling_file_chunks(path: Path) -> Iterator[bytes]:
    limit = int(os.environ["RS_TEST_STALL_AFTER_BYTES"])
    sent = 0
    for chunk in _original(path):
        yield chunk
        sent += len(chunk)
        if sent >= limit:
            Path(os.environ["RS_TEST_STALL_MARKER"]).write_text("stalled")
            time.sleep(600)


packaging._file_chunks = _stalling_file_chunks
