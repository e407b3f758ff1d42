"""$skiptoken: an opaque, signed bookmark of the last row of a page (its order-key values and the offset of the next
row). Keyset paging has no depth limit and stays stable while products are added."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.core import signing

from rs.catalog.query.errors import InvalidSkipToken
from rs.catalog.query.properties import Entity, Kind
from rs.catalog.query.tree import Node, OrderKey, Value

_SALT = "rs.catalog.query.skiptoken"
MAX_TOKEN_LENGTH = 4096


@dataclass(frozen=True)
class Keyset:
    values: tuple[Value, ...]
    offset: int  # position of the first row after the bookmark, for $skip in the next link


def query_fingerprint(*, entity: Entity, filter: Node | None, order: Sequence[OrderKey], convention: str) -> str:
    """Identifies the query a token was issued for, so a token is never applied to another one."""
    text = repr((entity.value, filter, tuple(order), convention))
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def _plain(value: Value) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def skiptoken_encode(*, fingerprint: str, values: Sequence[Value], offset: int) -> str:
    return signing.dumps({"f": fingerprint, "v": [_plain(v) for v in values], "o": offset}, salt=_SALT, compress=True)


def _typed(raw: object, kind: Kind) -> Value:
    if raw is None:
        return None
    if kind is Kind.DATETIME and isinstance(raw, str):
        value = datetime.fromisoformat(raw)
        if value.tzinfo is None:
            raise ValueError("naive datetime")
        return value
    if kind is Kind.GUID and isinstance(raw, str):
        return uuid.UUID(raw)
    if kind is Kind.INT64 and isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    if kind is Kind.STRING and isinstance(raw, str):
        return raw
    raise ValueError(f"{raw!r} is not a {kind.value}")


def skiptoken_decode(token: str, *, fingerprint: str, kinds: Sequence[Kind]) -> Keyset:
    if len(token) > MAX_TOKEN_LENGTH:
        raise InvalidSkipToken("The $skiptoken is not one this service issued")
    try:
        payload = signing.loads(token, salt=_SALT)
    except (signing.BadSignature, ValueError, UnicodeError):
        raise InvalidSkipToken("The $skiptoken is not one this service issued (malformed or altered)") from None
    if not isinstance(payload, dict) or payload.get("f") != fingerprint:
        raise InvalidSkipToken("The $skiptoken belongs to another query: keep $filter and $orderby of its nextLink")
    raw_values, offset = payload.get("v"), payload.get("o")
    if not isinstance(raw_values, list) or len(raw_values) != len(kinds) or not isinstance(offset, int):
        raise InvalidSkipToken("The $skiptoken is not one this service issued")
    try:
        values = tuple(_typed(raw, kind) for raw, kind in zip(raw_values, kinds, strict=True))
    except ValueError:
        raise InvalidSkipToken("The $skiptoken is not one this service issued") from None
    return Keyset(values=values, offset=offset)
