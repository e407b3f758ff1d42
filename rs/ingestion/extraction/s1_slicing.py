"""Sentinel-1 L0 timeliness from packet stores and slice counts of a datatake (naming-and-metadata.md §4.1, §4.2)."""

from __future__ import annotations

import math
from collections.abc import Iterable

# COPRS factory packet-store table of S1A (AUX_OBMEMC): store id → type. Used for every unit until per-unit
# AUX_OBMEMC tables are read; ids outside the table are spare.
PACKET_STORE_TYPES: tuple[tuple[range, str], ...] = (
    (range(0, 2), "Emergency"), (range(2, 6), "RFC"), (range(6, 19), "NRT"), (range(19, 21), "WV"),
    (range(21, 37), "Standard"), (range(37, 45), "PassThrough"), (range(45, 49), "HKTM"), (range(49, 50), "GPS"),
    (range(50, 51), "Filler"),
)
_TIMELINESS_OF_TYPE = {"Emergency": "PT", "PassThrough": "PT", "NRT": "NRT", "HKTM": "NRT", "GPS": "NRT"}
TIMELINESS_PRIORITY = ("PT", "NRT", "FAST24")  # the product takes the most urgent of its data objects

# Slice length and overlap in seconds per acquisition mode (COPRS ExtractMetadata); WV is never sliced.
SLICING = {"IW": (25.0, 7.4), "EW": (60.0, 8.2), "SM": (25.0, 7.7)}


def packet_store_type(store_id: int) -> str:
    return next((kind for ids, kind in PACKET_STORE_TYPES if store_id in ids), "Spare")


def s1_l0_timeliness(store_ids: Iterable[int]) -> str:
    """'PT', 'NRT' or 'FAST24' from the packet stores of the measurement data; '' without any."""
    found = {_TIMELINESS_OF_TYPE.get(packet_store_type(store), "FAST24") for store in store_ids}
    return next((t for t in TIMELINESS_PRIORITY if t in found), "")


def s1_total_slices(*, duration_s: float, mode: str) -> int | None:
    """Slices of a datatake lasting `duration_s` (its ACN product's duration); None for modes never sliced.

    n = (d - overlap) / length; floor(n) when the last fraction is shorter than the overlap, else ceil(n); ≥ 1.
    """
    slicing = SLICING.get("SM" if mode in ("S1", "S2", "S3", "S4", "S5", "S6") else mode)
    if slicing is None:
        return None
    length, overlap = slicing
    n = (duration_s - overlap) / length
    total = math.floor(n) if (n - math.floor(n)) * length < overlap else math.ceil(n)
    return max(total, 1)
