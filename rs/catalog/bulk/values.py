"""Values of bulk-load lines: the errors, and the checks and coercions product_register applies to the same data."""

from __future__ import annotations

from datetime import datetime

from rs.catalog.attribute_registry import ATTRIBUTE_TYPES
from rs.catalog.choices import AttributeType
from rs.errors import DomainError

INT64 = (-(2**63), 2**63 - 1)
INT32 = (-(2**31), 2**31 - 1)


class BulkLoadError(DomainError):
    """A line (or a batch) that cannot be loaded; `loaded` products of earlier batches are in the catalog."""

    code = "bulk_load_invalid"

    def __init__(self, message: str, *, line: int | None = None, batch_first_line: int | None = None,
                 loaded: int = 0) -> None:
        super().__init__(message)
        self.line = line
        self.batch_first_line = batch_first_line
        self.loaded = loaded


class LineError(Exception):
    """A field of one line is wrong (turned into a BulkLoadError naming the line)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")


def aware(value: object, field: str) -> datetime:
    if not isinstance(value, str):
        raise LineError(field, f"{value!r} is not an ISO 8601 date-time string")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise LineError(field, f"{value!r} is not an ISO 8601 date-time") from None
    if parsed.tzinfo is None:
        raise LineError(field, f"{value!r} has no time zone (add Z for UTC)")
    return parsed


def integer(value: object, field: str, bounds: tuple[int, int] = INT64) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise LineError(field, f"{value!r} is not an integer")
    if not bounds[0] <= value <= bounds[1]:
        raise LineError(field, f"{value} is out of range")
    return value


def text(value: object, field: str, max_length: int | None = None) -> str:
    if not isinstance(value, str) or not value:
        raise LineError(field, f"{value!r} is not a non-empty string")
    if max_length is not None and len(value) > max_length:
        raise LineError(field, f"longer than {max_length} characters")
    if "\x00" in value:
        raise LineError(field, "contains a NUL character")
    return value


def _attribute(name: str, value: object) -> tuple[AttributeType, object]:
    """The typed value product_register would store (same coercions, same refusals)."""
    field = f"attributes.{name}"
    if isinstance(value, (list, dict)):
        raise LineError(field, "a JSON array or object is not an attribute value")
    value_type = ATTRIBUTE_TYPES.get(name)
    if value_type is None:
        value_type = (AttributeType.BOOLEAN if isinstance(value, bool) else AttributeType.INTEGER
                      if isinstance(value, int) else AttributeType.DOUBLE if isinstance(value, float)
                      else AttributeType.STRING)
    try:
        if value_type == AttributeType.STRING:
            text = str(value)
            if "\x00" in text:
                raise LineError(field, "contains a NUL character")
            return value_type, text
        if value_type == AttributeType.INTEGER:
            if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                raise TypeError
            number = int(value)  # type: ignore[call-overload]
            if not INT64[0] <= number <= INT64[1]:
                raise LineError(field, f"{number} is out of the 64-bit integer range")
            return value_type, number
        if value_type == AttributeType.DOUBLE:
            if isinstance(value, bool):
                raise TypeError
            return value_type, float(value)  # type: ignore[arg-type]
        if value_type == AttributeType.BOOLEAN:
            if not isinstance(value, bool):
                raise TypeError
            return value_type, value
        if not isinstance(value, str):
            raise TypeError
        return value_type, aware(value, field)
    except (TypeError, ValueError, OverflowError):
        raise LineError(field, f"{value!r} is not a valid {value_type} value") from None


def typed_attributes(attributes: dict[str, object]) -> list[tuple[str, AttributeType, object]]:
    """Typed attributes; the common cases (the JSON value already of the registry's type) inline, for speed."""
    typed: list[tuple[str, AttributeType, object]] = []
    append = typed.append
    for name, value in attributes.items():
        if value is None:
            continue
        if not 0 < len(name) <= 64:
            raise LineError(f"attributes.{name}", "an attribute name has 1 to 64 characters")
        value_type = _TYPE_OF_NAME(name)
        kind = type(value)
        if ((value_type is _STRING and kind is str and "\x00" not in value)  # type: ignore[operator]
                or (value_type is _INTEGER and kind is int and INT64[0] <= value <= INT64[1])  # type: ignore[operator]
                or (value_type is _DOUBLE and kind is float)):
            append((name, value_type, value))
        else:
            value_type, typed_value = _attribute(name, value)
            append((name, value_type, typed_value))
    return typed


_TYPE_OF_NAME = ATTRIBUTE_TYPES.get
_STRING, _INTEGER, _DOUBLE = AttributeType.STRING, AttributeType.INTEGER, AttributeType.DOUBLE
