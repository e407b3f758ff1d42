"""Literal values of $filter: parsing (dates of every accepted form, numbers, GUIDs) and coercion to the type of the
property or attribute they are compared with."""

from __future__ import annotations

import enum
import math
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

from rs.catalog.choices import AttributeType, ProductionType
from rs.catalog.query.errors import QueryError
from rs.catalog.query.properties import Kind, PropertySpec
from rs.catalog.query.tokens import T, Token
from rs.catalog.query.tree import Op, Value

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


class LiteralKind(enum.Enum):
    STRING = "a string"
    NUMBER = "a number"
    DATETIME = "a date/time"
    GUID = "a GUID"
    BOOLEAN = "a boolean"
    NULL = "null"
    ENUM = "an enumeration member"
    GEOGRAPHY = "a geography"


@dataclass(frozen=True)
class Literal:
    kind: LiteralKind
    value: Value
    text: str
    position: int
    value_position: int = 0  # GEOGRAPHY: where the WKT text starts, for positions inside it


_DATETIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})(?:[Tt](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(?:([Zz])|([+-])(\d{2}):(\d{2}))?)?"
)
_INTEGER = re.compile(r"[+-]?\d+")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][+-]?\d+)?")


def parse_datetime(text: str, position: int) -> datetime:
    """Every form of §5.2: date only (midnight), minutes, seconds, 1 to n fraction digits (truncated to microseconds),
    `Z`, `±HH:MM` or no zone (= UTC). Returns an aware UTC datetime."""
    match = _DATETIME.fullmatch(text.strip())
    if match is None:
        raise QueryError(f"Invalid date/time literal {text!r}", code="InvalidLiteral", position=position)
    year, month, day, hour, minute, second, fraction, _z, sign, off_h, off_m = match.groups()
    micro = int((fraction or "0")[:6].ljust(6, "0"))  # truncate, never round (§5.2)
    try:
        offset = timedelta(0)
        if sign:
            if int(off_h) > 23 or int(off_m) > 59:
                raise ValueError(f"time-zone offset {sign}{off_h}:{off_m} is out of range")
            offset = timedelta(hours=int(off_h), minutes=int(off_m)) * (1 if sign == "+" else -1)
        local = datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0), micro,
                         tzinfo=timezone(offset))
        return local.astimezone(UTC)
    except (ValueError, OverflowError) as exc:
        message = f"Invalid date/time literal {text!r}: {exc}"
        raise QueryError(message, code="InvalidLiteral", position=position) from None


def parse_number(text: str, position: int) -> int | float:
    if _INTEGER.fullmatch(text):
        return int(text)
    try:
        value = float(text)
    except ValueError:
        raise QueryError(f"Invalid number {text!r}", code="InvalidLiteral", position=position) from None
    if not math.isfinite(value):
        raise QueryError(f"Number {text!r} is out of range", code="InvalidLiteral", position=position)
    return value


def parse_guid(text: str, position: int) -> uuid.UUID:
    try:
        return uuid.UUID(text.strip())
    except ValueError:
        raise QueryError(f"Invalid GUID {text!r}", code="InvalidLiteral", position=position) from None


def production_type_member(text: str, position: int) -> str:
    """Both spellings of §2.5: 'on-demand default' (ICD) and 'on_demand_default' ($metadata, COPRS)."""
    canonical = re.sub(r"[\s-]+", "_", text.strip()).lower()
    if canonical not in ProductionType.values:
        members = ", ".join(ProductionType.values)
        raise QueryError(f"Unknown ProductionType {text!r}: use one of {members}", code="InvalidLiteral",
                         position=position)
    return canonical


def _mismatch(literal: Literal, expected: str, what: str) -> QueryError:
    return QueryError(f"{what} is {expected}: cannot compare it with {literal.kind.value} ({literal.text})",
                      code="TypeMismatch", position=literal.position)


def coerce_for_property(literal: Literal, spec: PropertySpec) -> Value:
    """The literal as a value of the property's type; anything that does not fit is a 400 with its position."""
    kind, value = literal.kind, literal.value
    if kind is LiteralKind.NULL:
        return None
    if spec.kind in (Kind.STRING, Kind.COLLECTION) and kind is LiteralKind.STRING:
        return value
    if spec.kind is Kind.GUID:
        if kind is LiteralKind.GUID:
            return value
        if kind is LiteralKind.STRING and isinstance(value, str):
            return parse_guid(value, literal.position)
    if spec.kind is Kind.INT64 and kind is LiteralKind.NUMBER:
        return value
    if spec.kind is Kind.DATETIME and kind is LiteralKind.DATETIME:
        return value
    if spec.kind is Kind.BOOLEAN and kind is LiteralKind.BOOLEAN:
        return value
    if spec.kind is Kind.PRODUCTION_TYPE and kind in (LiteralKind.ENUM, LiteralKind.STRING) and isinstance(value, str):
        return production_type_member(value, literal.position)
    raise _mismatch(literal, spec.kind.value, spec.name)


def integer_comparison(op: Op, value: int | float) -> tuple[Op, int] | bool:
    """`x op value` for an Int64 x as an integer comparison, or its truth value when no integer can satisfy (or
    fail) it: `x eq 2.5` is false, `x ge 2.5` is `x gt 2`, `x lt 1e30` is true."""
    if isinstance(value, float) and not value.is_integer():
        if op is Op.EQ:
            return False
        if op is Op.NE:
            return True
        op, value = (Op.GT, math.floor(value)) if op in (Op.GT, Op.GE) else (Op.LT, math.ceil(value))
    number = int(value)
    if INT64_MIN <= number <= INT64_MAX:
        return op, number
    too_big = number > INT64_MAX
    return {Op.EQ: False, Op.NE: True, Op.GT: not too_big, Op.GE: not too_big, Op.LT: too_big, Op.LE: too_big}[op]


def coerce_for_attribute(literal: Literal, value_type: AttributeType, name: str) -> Value:
    """Type-cast tolerance (§5.5): the literal as a value of the attribute's stored type ('51' ↔ 51)."""
    kind, value, text = literal.kind, literal.value, literal.text
    what = f"Attribute {name!r}"
    if kind is LiteralKind.NULL:
        raise QueryError(f"{what} is never null", code="TypeMismatch", position=literal.position)
    if value_type == AttributeType.STRING:
        if kind is LiteralKind.STRING:
            return value
        if kind is LiteralKind.BOOLEAN:
            return "true" if value else "false"
        if kind in (LiteralKind.NUMBER, LiteralKind.DATETIME, LiteralKind.GUID):
            return text
    elif value_type in (AttributeType.INTEGER, AttributeType.DOUBLE):
        number: Value = None
        if kind is LiteralKind.NUMBER:
            number = value
        elif kind is LiteralKind.STRING and isinstance(value, str) and _NUMBER.fullmatch(value.strip()):
            number = parse_number(value.strip(), literal.position)
        if isinstance(number, int | float) and not isinstance(number, bool):
            return float(number) if value_type == AttributeType.DOUBLE else number
    elif value_type == AttributeType.BOOLEAN:
        if kind is LiteralKind.BOOLEAN:
            return value
        if kind is LiteralKind.STRING and isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        if kind is LiteralKind.NUMBER and value in (0, 1):
            return value == 1
    elif value_type == AttributeType.DATETIME:
        if kind is LiteralKind.DATETIME:
            return value
        if kind is LiteralKind.STRING and isinstance(value, str):
            return parse_datetime(value, literal.position)
    raise _mismatch(literal, str(value_type), what)


def literal_kind_type(literal: Literal) -> AttributeType:
    """The attribute type a literal suggests, for attribute names the registry does not know."""
    if literal.kind is LiteralKind.NUMBER:
        return AttributeType.INTEGER if isinstance(literal.value, int) else AttributeType.DOUBLE
    if literal.kind is LiteralKind.BOOLEAN:
        return AttributeType.BOOLEAN
    if literal.kind is LiteralKind.DATETIME:
        return AttributeType.DATETIME
    return AttributeType.STRING


def literal_from_token(token: Token) -> Literal:
    """The value of a literal token (string, number, date, GUID or typed literal)."""
    position = token.position
    if token.kind is T.STRING:
        return Literal(LiteralKind.STRING, token.value, token.text, position)
    if token.kind is T.NUMBER:
        return Literal(LiteralKind.NUMBER, parse_number(token.text, position), token.text, position)
    if token.kind is T.DATETIME:
        return Literal(LiteralKind.DATETIME, parse_datetime(token.text, position), token.text, position)
    if token.kind is T.GUID:
        return Literal(LiteralKind.GUID, parse_guid(token.text, position), token.text, position)
    prefix = token.text.lower()
    if prefix in ("geography", "geometry"):
        return Literal(LiteralKind.GEOGRAPHY, token.value, token.text, position, token.value_position)
    if prefix == "odata.csc.productiontype":
        return Literal(LiteralKind.ENUM, token.value, token.text, position)
    if prefix in ("datetimeoffset", "datetime"):
        return Literal(LiteralKind.DATETIME, parse_datetime(token.value, token.value_position), token.value, position)
    if prefix == "guid":
        return Literal(LiteralKind.GUID, parse_guid(token.value, token.value_position), token.value, position)
    raise QueryError(f"Unsupported typed literal {token.text}'…'", code="UnknownType", position=position)
