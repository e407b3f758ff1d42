"""S1 slicing (COPRS totalNumberOfSlice; naming-and-metadata.md §4.2)."""

from __future__ import annotations

import math

SLICING = {"IW": (25.0, 7.4), "EW": (60.0, 8.2), **{f"S{n}": (25.0, 7.7) for n in range(1, 7)}}


def total_slices(duration_s: float, mode: str) -> int:
    """Slices of a datatake of `duration_s`: 503.58 s of IW → 20."""
    length, overlap = SLICING.get(mode, SLICING["IW"])
    n = (duration_s - overlap) / length
    whole = math.floor(n)
    return max(1, whole if (n - whole) * length < overlap else math.ceil(n))
