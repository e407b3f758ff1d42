"""Times carried by names (`yyyymmddThhmmss`, UTC): parsed strictly, impossible dates refused with the reason."""

from __future__ import annotations

from datetime import UTC, datetime

from rs.ingestion.identification.results import UnrecognisedName


def name_time(text: str, *, name: str, what: str) -> datetime:
    """`20171213T121623` → 2017-12-13T12:16:23Z; a synthetic placeholder such as `12345678T123456` is refused."""
    try:
        return datetime.strptime(text, "%Y%m%dT%H%M%S").replace(tzinfo=UTC)
    except ValueError:
        raise UnrecognisedName(
            f"{name}: impossible {what} {text} (not a calendar date and time): a synthetic placeholder, "
            "not a product name"
        ) from None


def compact_time(text: str, *, name: str, what: str) -> datetime:
    """`yyyymmddhhmmss` without the `T` (station-form session ids)."""
    return name_time(f"{text[:8]}T{text[8:]}", name=name, what=what)


def check_order(start: datetime | None, stop: datetime | None, *, name: str, what: str) -> None:
    if start is not None and stop is not None and stop < start:
        raise UnrecognisedName(f"{name}: impossible {what}: stop {stop:%Y%m%dT%H%M%S} is before start "
                               f"{start:%Y%m%dT%H%M%S}")
