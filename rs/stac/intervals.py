"""Instants and intervals: the `datetime` parameter (`a`, `a/b`, `../b`, `a/..`) and CQL2 temporal literals, with
the STAC meaning of "matches": the item's sensing interval [ContentDate/Start, ContentDate/End] intersects the one
asked for (an overlap, not a containment)."""

from __future__ import annotations

from datetime import datetime, timedelta

from rs.catalog.query.errors import QueryError
from rs.catalog.query.literals import parse_datetime
from rs.catalog.query.tree import And, Comparison, Node, Op

OPEN = ("..", "")
DAY = timedelta(days=1)
MICROSECOND = timedelta(microseconds=1)

Interval = tuple[datetime | None, datetime | None]


def instant(text: str, what: str) -> datetime:
    """An RFC 3339 date-time (a date alone means its midnight; no zone means UTC, as in the PRIP)."""
    try:
        return parse_datetime(text, 0)
    except QueryError:
        raise QueryError(f"{what}: {text!r} is not an RFC 3339 date-time such as 2024-06-04T11:01:00Z",
                         code="InvalidParameterValue") from None


def interval_from_text(text: str, what: str = "datetime") -> Interval:
    """`a`, `a/b`, `../b`, `a/..` (an empty end is open too); a single instant is the interval [a, a]."""
    parts = text.strip().split("/")
    if len(parts) == 1:
        if parts[0] in OPEN:
            raise QueryError(f"{what}: give an instant or an interval like a/b, a/.. or ../b",
                             code="InvalidParameterValue")
        moment = instant(parts[0], what)
        return moment, moment
    if len(parts) != 2:
        raise QueryError(f"{what}: {text!r} has more than one '/'", code="InvalidParameterValue")
    start = None if parts[0].strip() in OPEN else instant(parts[0].strip(), what)
    end = None if parts[1].strip() in OPEN else instant(parts[1].strip(), what)
    return checked(start, end, what)


def checked(start: datetime | None, end: datetime | None, what: str) -> Interval:
    if start is None and end is None:
        raise QueryError(f"{what}: an interval needs at least one end (../.. is not allowed)",
                         code="InvalidParameterValue")
    if start is not None and end is not None and start > end:
        raise QueryError(f"{what}: the interval starts after it ends", code="InvalidParameterValue")
    return start, end


def whole_day(text: str, what: str) -> Interval:
    """A CQL2 DATE: the interval of that day."""
    start = instant(text, what)
    return start, start + DAY - MICROSECOND


def sensing_overlaps(interval: Interval) -> Node:
    """Products whose sensing interval intersects `interval` (bounds inclusive); products without sensing times
    never match."""
    start, end = interval
    parts: list[Node] = []
    if end is not None:
        parts.append(Comparison("ContentDate/Start", Op.LE, end))
    if start is not None:
        parts.append(Comparison("ContentDate/End", Op.GE, start))
    return parts[0] if len(parts) == 1 else And(tuple(parts))
