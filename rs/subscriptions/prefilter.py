"""The cheap prefilter of subscription matching: the (mission, product type) pairs a product must have for a filter
to match it, read off the query tree. Sound, not complete: a pair that is kept may still not match (the full filter
decides), but a product outside every pair of a filter never matches it.

    keys_of(parse_filter("Collection/Name eq 'SENTINEL-1' and Attributes/…productType… eq 'IW_SLC__1S'"))
        == [("S1", "IW_SLC__1S")]
    keys_of(None) == [("", "")]          # '' = any
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from itertools import product

from rs.catalog.choices import COLLECTION_OF_MISSION, AttributeType
from rs.catalog.query.tree import (
    And,
    AttributeFilter,
    Comparison,
    Constant,
    Membership,
    Node,
    Op,
    Or,
    TextMatch,
    Value,
    ValueComparison,
    ValueMembership,
)
from rs.subscriptions.constants import MAX_PREFILTER_KEYS
from rs.subscriptions.evaluation import OPS, S1_TYPE_ALIASES, TEXT_TESTS

Key = tuple[str, str]  # (mission, productType); '' = any


@dataclass(frozen=True)
class _Alternative:
    """Products matching one branch have a mission in `missions` and a type in `types` (None: unconstrained)."""

    missions: frozenset[str] | None = None
    types: frozenset[str] | None = None

    def both(self, other: _Alternative) -> _Alternative:
        return _Alternative(_meet(self.missions, other.missions), _meet(self.types, other.types))


_ANY = [_Alternative()]


def _meet(a: frozenset[str] | None, b: frozenset[str] | None) -> frozenset[str] | None:
    if a is None:
        return b
    return a if b is None else a & b


def keys_of(node: Node | None) -> list[Key]:
    """The sorted keys of a filter; [] when it can match nothing, [("", "")] when nothing narrows it."""
    alternatives = _ANY if node is None else _alternatives(node)
    keys: set[Key] = set()
    for alternative in alternatives:
        missions = sorted(alternative.missions) if alternative.missions is not None else [""]
        types = sorted(alternative.types) if alternative.types is not None else [""]
        keys.update(product(missions, types))
        if len(keys) > MAX_PREFILTER_KEYS:
            return [("", "")]
    return sorted(keys)


def _alternatives(node: Node) -> list[_Alternative]:
    if isinstance(node, And):
        result = _ANY
        for item in node.items:
            result = [a.both(b) for a in result for b in _alternatives(item)]
            result = [a for a in result if a.missions != frozenset() and a.types != frozenset()]
            if len(result) > MAX_PREFILTER_KEYS:
                return _ANY
        return result
    if isinstance(node, Or):
        return [a for item in node.items for a in _alternatives(item)]
    if isinstance(node, Constant):
        return _ANY if node.value else []
    if isinstance(node, Comparison | Membership | TextMatch) and node.property == "Collection/Name":
        return [_Alternative(missions=_collection_missions(node))]
    if isinstance(node, AttributeFilter) and node.name == "productType" and node.value_type == AttributeType.STRING:
        types = _product_types(node.condition)
        return _ANY if types is None else [_Alternative(types=types)]
    return _ANY  # Not and every other condition narrow nothing here


def _collection_missions(node: Comparison | Membership | TextMatch) -> frozenset[str]:
    """The missions whose collection name satisfies the condition (as the compiler decides it)."""
    test: Callable[[str], bool]
    if isinstance(node, Comparison):
        comparison = node
        test = lambda name: OPS[comparison.op](name, str(comparison.value).upper())  # noqa: E731
    elif isinstance(node, Membership):
        wanted = [str(v).upper() for v in node.values]
        test = lambda name: name in wanted  # noqa: E731
    else:
        match = node
        test = lambda name: TEXT_TESTS[match.function](name, match.value.upper())  # noqa: E731
    return frozenset(str(m) for m, name in COLLECTION_OF_MISSION.items() if test(name.upper()))


def _product_types(condition: Node | None) -> frozenset[str] | None:
    """Exact productType values of `eq`/`in` (an S1 alias such as GRD stands for many types: no narrowing)."""
    values: tuple[Value, ...]
    if isinstance(condition, ValueComparison) and condition.op is Op.EQ:
        values = (condition.value,)
    elif isinstance(condition, ValueMembership):
        values = condition.values
    else:
        return None
    if any(not isinstance(v, str) or v in S1_TYPE_ALIASES for v in values):
        return None
    return frozenset(str(v) for v in values)
