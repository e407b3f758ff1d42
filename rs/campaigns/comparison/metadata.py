"""Field-by-field comparison of two XML metadata documents (SAFE manifests, S2 MTD files, S3 xfdumanifests) with
tolerances for times and numbers.

A document is flattened into `path → value`: the path is made of local element names (namespaces dropped, they
differ between baselines for no reason), with `[n]` (1-based) where siblings share a name, and `/@name` for
attributes. Two values are equal when their strings are; otherwise when both read as times, within `time_s`
seconds; otherwise when both read as the same count of numbers (coordinate lists included), each within
`number_abs` or `number_rel`. Paths matching an `ignore` pattern (fnmatch, e.g. `*/processing/@start`) are skipped.

    flatten(b"<a><b x='1'>2</b><b>3</b></a>") == {"a/b[1]/@x": "1", "a/b[1]": "2", "a/b[2]": "3"}
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from fnmatch import fnmatchcase

from rs.campaigns.errors import InvalidDocument

# Sentinel XML carries times as "2024-06-10T10:00:00.000000Z", "UTC=2024-06-10T10:00:00.000000" (S1 EOF/SAFE
# headers) or with an offset; all read as naive UTC for the comparison.
_TIME = re.compile(r"^(?:UTC=)?(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?)(Z|[+-]\d{2}:?\d{2})?$")
_DECLARATIONS = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_NUMBER_SEPARATORS = re.compile(r"[\s,]+")
MAX_DOCUMENT_BYTES = 32 * 1024 * 1024  # a manifest is kilobytes; a bigger "document" is not metadata


@dataclass(frozen=True)
class Tolerances:
    time_s: float = 0.0
    number_abs: float = 0.0
    number_rel: float = 0.0
    ignore: tuple[str, ...] = ()

    def ignored(self, path: str) -> bool:
        return any(fnmatchcase(path, pattern) for pattern in self.ignore)


@dataclass(frozen=True)
class FieldDifference:
    path: str
    expected: str | None  # None: the field is only in the actual document
    actual: str | None  # None: the field is missing from the actual document

    @property
    def kind(self) -> str:
        if self.expected is None:
            return "extra"
        return "missing" if self.actual is None else "changed"


@dataclass
class DocumentComparison:
    differences: list[FieldDifference] = field(default_factory=list)
    tolerated: int = 0  # fields that differ as text but are within the tolerances
    compared: int = 0

    @property
    def equivalent(self) -> bool:
        return not self.differences


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def parse_document(content: bytes) -> ET.Element:
    """The root element. Documents written by a processor under test are untrusted: DTD and entity declarations
    (expansion bombs, external fetches) and oversized documents are refused."""
    if len(content) > MAX_DOCUMENT_BYTES:
        raise InvalidDocument(f"document of {len(content)} bytes exceeds {MAX_DOCUMENT_BYTES}")
    if _DECLARATIONS.search(content):
        raise InvalidDocument("declares a DTD or entities, refused for safety")
    try:
        return ET.fromstring(content)  # noqa: S314 - declarations refused above: nothing expanded or fetched
    except (ET.ParseError, ValueError, LookupError) as exc:
        raise InvalidDocument(f"not well-formed XML ({exc})") from None


def flatten(content: bytes) -> dict[str, str]:
    root = parse_document(content)
    flat: dict[str, str] = {}
    _walk(root, _local(root.tag), flat)
    return flat


def _walk(element: ET.Element, path: str, flat: dict[str, str]) -> None:
    for name, value in element.attrib.items():
        flat[f"{path}/@{_local(name)}"] = value.strip()
    children = list(element)
    text = (element.text or "").strip()
    if text or not children:
        flat[path] = text
    totals = Counter(_local(child.tag) for child in children)
    seen: Counter[str] = Counter()
    for child in children:
        name = _local(child.tag)
        seen[name] += 1
        _walk(child, f"{path}/{name}[{seen[name]}]" if totals[name] > 1 else f"{path}/{name}", flat)


def _time(value: str) -> datetime | None:
    match = _TIME.match(value.strip())
    if match is None:
        return None
    stamp = match.group(1).replace(" ", "T")
    if "." in stamp:  # Python reads at most microseconds
        whole, fraction = stamp.split(".")
        stamp = f"{whole}.{fraction[:6]:0<6}"
    return datetime.fromisoformat(stamp)


def _numbers(value: str) -> list[float] | None:
    parts = [p for p in _NUMBER_SEPARATORS.split(value.strip()) if p]
    if not parts:
        return None
    try:
        numbers = [float(p) for p in parts]
    except ValueError:
        return None
    return numbers if all(math.isfinite(n) for n in numbers) else None


def values_equivalent(expected: str, actual: str, tolerances: Tolerances) -> bool:
    if expected == actual:
        return True
    t_expected, t_actual = _time(expected), _time(actual)
    if t_expected is not None and t_actual is not None:
        return abs((t_expected - t_actual).total_seconds()) <= tolerances.time_s
    n_expected, n_actual = _numbers(expected), _numbers(actual)
    if n_expected is None or n_actual is None or len(n_expected) != len(n_actual):
        return False
    return all(math.isclose(e, a, rel_tol=tolerances.number_rel, abs_tol=tolerances.number_abs)
               for e, a in zip(n_expected, n_actual, strict=True))


def documents_compare(expected: bytes, actual: bytes, tolerances: Tolerances) -> DocumentComparison:
    """Every field of either document that differs beyond the tolerances, in document order of `expected`."""
    return flat_compare(flatten(expected), flatten(actual), tolerances)


def flat_compare(expected: dict[str, str], actual: dict[str, str], tolerances: Tolerances) -> DocumentComparison:
    result = DocumentComparison()
    for path, value in expected.items():
        if tolerances.ignored(path):
            continue
        result.compared += 1
        other = actual.get(path)
        if other is None:
            result.differences.append(FieldDifference(path, value, None))
        elif value != other:
            if values_equivalent(value, other, tolerances):
                result.tolerated += 1
            else:
                result.differences.append(FieldDifference(path, value, other))
    for path, value in actual.items():
        if path not in expected and not tolerances.ignored(path):
            result.differences.append(FieldDifference(path, None, value))
    return result
