"""Demo products for `make run`: every mission with real naming, real-format manifests, orbit-like footprints and
small payloads, plus what the production chains need (sessions, L0 inputs, aux files). Written atomically (a hidden
partial name renamed at the end) with modification times at their plausible availability, so a directory inbox on
the folder ingests them like a real pickup point. Generating twice writes nothing new."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from rs.ingestion.demo import sentinel1, sentinel2, sentinel3, sessions
from rs.ingestion.demo.writing import Written

# Fixed, so regenerating gives the same names and checksums (and the inbox sees nothing new).
DEMO_T0 = datetime(2026, 11, 20, 10, 0, 0, tzinfo=UTC)


def demo_generate(directory: Path, *, t0: datetime = DEMO_T0) -> list[Written]:
    """Write the demo products under `directory` (created if needed); returns what is there."""
    if t0.tzinfo is None:
        raise ValueError("t0 must be an aware datetime")
    directory.mkdir(parents=True, exist_ok=True)
    return [
        *sentinel1.generate(directory, t0),
        *sentinel2.generate(directory, t0),
        *sentinel3.generate(directory, t0),
        *sessions.generate(directory, t0),
    ]
