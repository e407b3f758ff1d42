"""Normalisation of metadata values (naming-and-metadata.md §4): times, numbers, booleans, placeholders."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from rs.ingestion.extraction.errors import ExtractionError

OPEN_STOP = datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)  # validity without end
# Values test products carry where real ones have data: stored as null, never as text.
PLACEHOLDERS = frozenset({"dummy-text", "unknown", "n/a", "null"})
_COMPACT = re.compile(r"^\d{8}T\d{6}$")
_TRUE, _FALSE = frozenset({"true", "1"}), frozenset({"false", "0"})
CO_POLARISATIONS = ("HH", "VV")


def clean(text: str | None) -> str | None:
    if text is None:
        return None
    value = text.strip()
    return None if not value or value.lower() in PLACEHOLDERS else value


def parse_time(text: str | None, *, what: str, source: str) -> datetime | None:
    """Aware UTC datetime from `UTC=2017-12-08T20:03:09`, `…Z`, zone-less ISO (UTC) or `20160204T070933`."""
    value = clean(text)
    if value is None:
        return None
    value = value.removeprefix("UTC=")
    try:
        if _COMPACT.match(value):
            parsed = datetime.strptime(value, "%Y%m%dT%H%M%S").replace(tzinfo=UTC)
        else:
            if value.startswith("9999"):
                return OPEN_STOP
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00") if value.endswith("Z") else value)
    except ValueError:
        raise ExtractionError(f"{source}: {what} {text!r} is not a date and time") from None
    if parsed.year >= 9999:
        return OPEN_STOP
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def parse_int(text: str | None, *, what: str, source: str) -> int | None:
    value = clean(text)
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        raise ExtractionError(f"{source}: {what} {text!r} is not an integer") from None


def parse_float(text: str | None, *, what: str, source: str) -> float | None:
    value = clean(text)
    if value is None:
        return None
    try:
        number = float(value)
    except ValueError:
        raise ExtractionError(f"{source}: {what} {text!r} is not a number") from None
    if number != number or number in (float("inf"), float("-inf")):
        raise ExtractionError(f"{source}: {what} {text!r} is not a finite number")
    return number


def parse_bool(text: str | None, *, what: str, source: str) -> bool | None:
    value = clean(text)
    if value is None:
        return None
    if value.lower() in _TRUE:
        return True
    if value.lower() in _FALSE:
        return False
    raise ExtractionError(f"{source}: {what} {text!r} is not a boolean")


def polarisation_channels(channels: list[str]) -> str | None:
    """All channels, co-polarisation first, '&'-joined (CDSE form): ['VH', 'VV'] → 'VV&VH'."""
    unique = list(dict.fromkeys(c.upper() for c in channels))
    ordered = [c for c in unique if c in CO_POLARISATIONS] + [c for c in unique if c not in CO_POLARISATIONS]
    return "&".join(ordered) or None


def channels_of_code(code: str) -> list[str]:
    """Polarisation channels of a name's code: DV → VV, VH; SH → HH; VH → VH; __ → none."""
    return {"DV": ["VV", "VH"], "DH": ["HH", "HV"], "SV": ["VV"], "SH": ["HH"], "__": []}.get(code, [code])
