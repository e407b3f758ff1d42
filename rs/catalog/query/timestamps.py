"""Instants as the PRIP and STAC write them: RFC 3339 in UTC, six fraction digits, 'Z' (2024-06-01T10:00:00.000000Z).

A page writes several per product (seven in an OData entry, more with DateTimeOffset attributes and in STAC
properties): datetime.isoformat, in C, instead of formatting the seven fields in Python."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_text(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is not UTC:  # the database's instants already are
        value = value.astimezone(UTC)
    return value.isoformat(timespec="microseconds")[:-6] + "Z"  # always "+00:00" at the end, UTC
