"""Loaded into a test worker through RS_EVENT_CONSUMER_MODULES (the settings' plug-in hook): the catalogue
registration of a batch writes RS_TEST_STALL_MARKER and stalls, after every object of the batch is stored and before
anything is committed, so that a test can kill the worker there. Never imported by the application itself."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from rs.catalog import services


def _stalling_products_register(**kwargs: Any) -> Any:
    Path(os.environ["RS_TEST_STALL_MARKER"]).write_text("stalled")
    time.sleep(600)
    raise AssertionError("the test kills this worker first")


services.products_register = _stalling_products_register  # type: ignore[assignment]
