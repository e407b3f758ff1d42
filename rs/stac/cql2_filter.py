"""CQL2 (its JSON form; text filters are parsed into it first) → the PRIP query tree.

Each predicate becomes the node the PRIP's $filter parser builds for the same condition: comparisons of PRIP
properties are Comparison/Membership/TextMatch with the same literal coercion, attributes go through the same
attribute-lambda builder (type-cast tolerance, Int64 rules, productType aliases), areas through the same geography
reader. So `eo:cloud_cover <= 20` and `Attributes/OData.CSC.DoubleAttribute/any(att:att/Name eq 'cloudCover' and
att/OData.CSC.DoubleAttribute/Value le 20)` are one query.

Supported: and, or, not, =, <>, <, <=, >, >=, like (text%, %text, %text%), between, in, isNull, s_intersects,
s_disjoint, s_within, s_contains (area first), t_intersects. Anything else is a 400 naming it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from rs.catalog.choices import AttributeType
from rs.catalog.query.attribute_lambdas import NameAtom, PAnd, ValueAtom, attribute_filter_build
from rs.catalog.query.errors import QueryError
from rs.catalog.query.literals import Literal, LiteralKind, coerce_for_property, integer_comparison
from rs.catalog.query.properties import PRODUCT_PROPERTIES, Kind, PropertySpec
from rs.catalog.query.tree import (
    And,
    AttributeFilter,
    Comparison,
    Constant,
    Membership,
    Node,
    Not,
    Op,
    Or,
    SpatialRelation,
    TextFunction,
    TextMatch,
    Value,
)
from rs.stac.collection_ids import collections_condition
from rs.stac.constants import MAX_FILTER_DEPTH, MAX_IDS
from rs.stac.geometry import bbox_area, geojson_areas, spatial_condition
from rs.stac.intervals import Interval, checked, instant, sensing_overlaps, whole_day
from rs.stac.queryables import GEOMETRY, Queryable, Target, queryable, unknown_name_message

COMPARISONS = {"=": Op.EQ, "<>": Op.NE, "<": Op.LT, "<=": Op.LE, ">": Op.GT, ">=": Op.GE}
_SYMBOLS = {op: symbol for symbol, op in COMPARISONS.items()}
SPATIAL = {"s_intersects": SpatialRelation.INTERSECTS, "s_disjoint": SpatialRelation.DISJOINT,
           "s_within": SpatialRelation.WITHIN, "s_contains": SpatialRelation.WITHIN}
NOT_SUPPORTED = {
    "casei": "case-insensitive comparison", "accenti": "accent-insensitive comparison",
    "t_before": "T_BEFORE", "t_after": "T_AFTER", "t_during": "T_DURING", "t_equals": "T_EQUALS",
    "s_equals": "S_EQUALS", "s_touches": "S_TOUCHES", "s_overlaps": "S_OVERLAPS", "s_crosses": "S_CROSSES",
    "a_contains": "array functions", "a_containedby": "array functions", "a_equals": "array functions",
    "a_overlaps": "array functions",
}


def _error(message: str, code: str = "InvalidFilter") -> QueryError:
    return QueryError(message, code=code)


def filter_condition(expression: object) -> Node:
    """The query tree of a CQL2-JSON expression (already decoded from JSON)."""
    try:
        return _Walker().boolean(expression, 0)
    except QueryError as exc:  # positions of the PRIP's literal coercion mean nothing in a JSON expression
        raise QueryError(exc.message, code=exc.code, subject=exc.subject) from None


def _property_name(value: object) -> str | None:
    if isinstance(value, dict) and set(value) == {"property"} and isinstance(value["property"], str):
        return value["property"]
    return None


class _Walker:
    # --- boolean structure ----------------------------------------------------------------------------------------

    def boolean(self, expression: object, depth: int) -> Node:
        if depth > MAX_FILTER_DEPTH:
            raise _error(f"The filter nests more than {MAX_FILTER_DEPTH} levels", code="TooComplex")
        if isinstance(expression, bool):
            return Constant(expression)
        if not isinstance(expression, dict) or not isinstance(expression.get("op"), str):
            raise _error(f"Expected a CQL2 condition such as {{\"op\": \"=\", \"args\": [...]}}, found "
                         f"{_shown(expression)}")
        op, args = expression["op"].lower(), expression.get("args")
        if not isinstance(args, list):
            raise _error(f"{op!r} needs an \"args\" list")
        if op in ("and", "or"):
            if len(args) < 2:
                raise _error(f"{op!r} joins two or more conditions")
            items = tuple(self.boolean(arg, depth + 1) for arg in args)
            return And(items) if op == "and" else Or(items)
        if op == "not":
            _count(op, args, 1)
            return Not(self.boolean(args[0], depth + 1))
        if op in COMPARISONS:
            _count(op, args, 2)
            return self.comparison(COMPARISONS[op], args[0], args[1])
        if op == "like":
            _count(op, args, 2)
            return self.like(args[0], args[1])
        if op == "between":
            _count(op, args, 3)
            return self.between(args[0], args[1], args[2])
        if op == "in":
            _count(op, args, 2)
            return self.membership(args[0], args[1])
        if op == "isnull":
            _count(op, args, 1)
            return self.is_null(args[0])
        if op in SPATIAL:
            _count(op, args, 2)
            return self.spatial(op, args[0], args[1])
        if op == "t_intersects":
            _count(op, args, 2)
            return self.temporal(args[0], args[1])
        what = NOT_SUPPORTED.get(op)
        if what is not None:
            raise _error(f"{what} is not supported", code="Unsupported")
        raise _error(f"Unknown or unsupported CQL2 operator {op!r}", code="Unsupported")

    # --- operands -------------------------------------------------------------------------------------------------

    def target(self, value: object, op: str) -> Queryable:
        name = _property_name(value)
        if isinstance(value, dict) and isinstance(value.get("op"), str):
            function = value["op"].lower()
            raise _error(f"{NOT_SUPPORTED.get(function, function)} is not supported (functions and arithmetic "
                         "cannot be compared)", code="Unsupported")
        if name is None:
            raise _error(f"{op}: the first argument is a property ({{\"property\": \"…\"}}), found {_shown(value)}")
        if name == GEOMETRY:
            raise _error("geometry can only be filtered with s_intersects, s_disjoint, s_within or s_contains",
                         code="Unsupported")
        found = queryable(name)
        if found is None:
            raise _error(unknown_name_message(name), code="UnknownProperty")
        return found

    def ordered(self, op: Op, left: object, right: object) -> tuple[Queryable, Op, object]:
        """A comparison with its property on the left (`5 < x` is `x > 5`); two properties are not supported."""
        if _property_name(left) is None and _property_name(right) is not None:
            left, right, op = right, left, op.flipped()
        if _property_name(right) is not None:
            raise _error("Comparing two properties is not supported", code="Unsupported")
        return self.target(left, _SYMBOLS[op]), op, right

    # --- predicates -----------------------------------------------------------------------------------------------

    def comparison(self, op: Op, left: object, right: object) -> Node:
        found, op, value = self.ordered(op, left, right)
        if found.target is Target.COLLECTION:
            if op not in (Op.EQ, Op.NE):
                raise _error("collection supports =, <> and in", code="Unsupported")
            condition = collections_condition([_text(value, "collection")])
            return condition if op is Op.EQ else Not(condition)
        if found.target is Target.ATTRIBUTE:
            return self.attribute(found, (ValueAtom(op, (_literal(value, found),), None, 0),))
        spec = PRODUCT_PROPERTIES[found.prip]
        if value is None:
            raise _error(f"{found.name}: compare with null using isNull (IS NULL)", code="TypeMismatch")
        typed = _typed(value, spec, found)
        if op not in (Op.EQ, Op.NE) and spec.kind in (Kind.BOOLEAN, Kind.PRODUCTION_TYPE):
            raise _error(f"{found.name} supports =, <> and in only", code="Unsupported")
        if spec.kind is Kind.INT64 and isinstance(typed, int | float):
            exact = integer_comparison(op, typed)
            if isinstance(exact, bool):
                return Constant(exact)
            op, typed = exact
        return Comparison(spec.name, op, typed)

    def membership(self, left: object, values: object) -> Node:
        found = self.target(left, "in")
        if not isinstance(values, list) or not values:
            raise _error("in: the second argument is a non-empty list of values")
        if len(values) > MAX_IDS:
            raise _error(f"in: at most {MAX_IDS} values", code="TooComplex")
        if found.target is Target.COLLECTION:
            return collections_condition([_text(v, "collection") for v in values])
        if found.target is Target.ATTRIBUTE:
            return self.attribute(found, (ValueAtom(None, tuple(_literal(v, found) for v in values), None, 0),))
        spec = PRODUCT_PROPERTIES[found.prip]
        typed: list[Value] = []
        for value in values:
            item = _typed(value, spec, found)
            if spec.kind is Kind.INT64 and isinstance(item, int | float):
                exact = integer_comparison(Op.EQ, item)
                if isinstance(exact, bool):
                    continue  # 2.5 equals no Int64
                item = exact[1]
            typed.append(item)
        return Membership(spec.name, tuple(dict.fromkeys(typed))) if typed else Constant(False)

    def between(self, left: object, low: object, high: object) -> Node:
        found = self.target(left, "between")
        if found.target is Target.ATTRIBUTE:  # one EXISTS over the attribute row, as `ge … and le …` in any()
            return self.attribute(found, (ValueAtom(Op.GE, (_literal(low, found),), None, 0),
                                          ValueAtom(Op.LE, (_literal(high, found),), None, 0)))
        return And((self.comparison(Op.GE, left, low), self.comparison(Op.LE, left, high)))

    def like(self, left: object, pattern: object) -> Node:
        found = self.target(left, "like")
        if not isinstance(pattern, str):
            raise _error("like: the pattern is a string such as 'S2A%'", code="TypeMismatch")
        function, text = _like_pattern(pattern)
        text = text.upper() if found.upper else text
        if found.target is Target.ATTRIBUTE:
            literal = Literal(LiteralKind.STRING, text, text, 0)
            if function is None:
                return self.attribute(found, (ValueAtom(Op.EQ, (literal,), None, 0),))
            return self.attribute(found, (ValueAtom(Op.EQ, (literal,), None, 0, function),))
        if found.target is Target.COLLECTION:
            raise _error("collection supports =, <> and in", code="Unsupported")
        spec = PRODUCT_PROPERTIES[found.prip]
        if spec.kind not in (Kind.STRING, Kind.GUID, Kind.COLLECTION):
            raise _error(f"like applies to text properties, not {found.name}", code="TypeMismatch")
        if function is None:
            return self.comparison(Op.EQ, left, text)
        return TextMatch(function, spec.name, text)

    def is_null(self, value: object) -> Node:
        found = self.target(value, "isNull")
        if found.target is Target.ATTRIBUTE:  # an attribute is "null" where the product does not carry it
            return Not(AttributeFilter(found.prip, _attribute_type(found), None))
        if found.target is Target.COLLECTION:
            return Constant(False)
        spec = PRODUCT_PROPERTIES[found.prip]
        if spec.null_is_max or not spec.nullable:
            return Constant(False)
        return Comparison(spec.name, Op.EQ, None)

    def attribute(self, found: Queryable, atoms: tuple[ValueAtom, ...]) -> Node:
        name = Literal(LiteralKind.STRING, found.prip, found.prip, 0)
        return attribute_filter_build(PAnd((NameAtom(Op.EQ, name, 0), *atoms)), declared=None, position=0)

    # --- spatial and temporal -------------------------------------------------------------------------------------

    def spatial(self, op: str, first: object, second: object) -> Node:
        relation = SPATIAL[op]
        if _property_name(first) == GEOMETRY:
            if op == "s_contains":
                raise _error("s_contains(geometry, area) (footprints containing an area) is not supported; "
                             "s_contains(area, geometry) is", code="Unsupported")
            area = second
        elif _property_name(second) == GEOMETRY:
            if op == "s_within":
                raise _error("s_within(area, geometry) (footprints containing an area) is not supported; "
                             "s_within(geometry, area) is", code="Unsupported")
            area = first
        else:
            raise _error(f"{op} compares the property geometry with an area", code="Unsupported")
        if isinstance(area, dict) and set(area) == {"bbox"} and isinstance(area["bbox"], list):
            return spatial_condition([bbox_area(area["bbox"], "BBOX")], relation)
        return spatial_condition(geojson_areas(area, op), relation)

    def temporal(self, first: object, second: object) -> Node:
        if _property_name(first) is None and _property_name(second) is not None:
            first, second = second, first
        found = self.target(first, "t_intersects")
        interval = _interval(second)
        if found.target is Target.SENSING:
            return sensing_overlaps(interval)
        if found.target is Target.ATTRIBUTE:
            if _attribute_type(found) != AttributeType.DATETIME:
                raise _error(f"t_intersects applies to date-time properties, not {found.name}", code="TypeMismatch")
            atoms = tuple(ValueAtom(op, (Literal(LiteralKind.DATETIME, moment, moment.isoformat(), 0),), None, 0)
                          for op, moment in ((Op.GE, interval[0]), (Op.LE, interval[1])) if moment is not None)
            return self.attribute(found, atoms)
        spec = PRODUCT_PROPERTIES.get(found.prip)
        if spec is None or spec.kind is not Kind.DATETIME:
            raise _error(f"t_intersects applies to date-time properties, not {found.name}", code="TypeMismatch")
        parts: list[Node] = [self.comparison(op, {"property": found.name}, {"timestamp": moment.isoformat()})
                             for op, moment in ((Op.GE, interval[0]), (Op.LE, interval[1])) if moment is not None]
        return parts[0] if len(parts) == 1 else And(tuple(parts))


# --- literals -----------------------------------------------------------------------------------------------------


def _count(op: str, args: Sequence[object], expected: int) -> None:
    if len(args) != expected:
        raise _error(f"{op!r} takes {expected} argument{'s' if expected > 1 else ''}, not {len(args)}")


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _text(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise _error(f"{what} is compared with a string, not {_shown(value)}", code="TypeMismatch")
    return value


def _moment(value: object, what: str) -> datetime | None:
    if isinstance(value, dict) and set(value) == {"timestamp"} and isinstance(value["timestamp"], str):
        return instant(value["timestamp"], what)
    if isinstance(value, dict) and set(value) == {"date"} and isinstance(value["date"], str):
        return instant(value["date"], what)
    return None


def _literal(value: object, found: Queryable) -> Literal:
    """A CQL2 value as the PRIP parser's Literal (so that the PRIP's coercion rules apply unchanged)."""
    if isinstance(value, bool):
        return Literal(LiteralKind.BOOLEAN, value, "true" if value else "false", 0)
    if isinstance(value, int | float):
        return Literal(LiteralKind.NUMBER, value, repr(value), 0)
    if isinstance(value, str):
        text = value.upper() if found.upper else value
        return Literal(LiteralKind.STRING, text, "'" + text.replace("'", "''") + "'", 0)
    moment = _moment(value, found.name)
    if moment is not None:
        return Literal(LiteralKind.DATETIME, moment, moment.isoformat(), 0)
    if value is None:
        raise _error(f"{found.name}: compare with null using isNull (IS NULL)", code="TypeMismatch")
    raise _error(f"{found.name} is compared with a value, not {_shown(value)}", code="TypeMismatch")


def _typed(value: object, spec: PropertySpec, found: Queryable) -> Value:
    literal = _literal(value, found)
    if spec.kind is Kind.DATETIME and literal.kind is LiteralKind.STRING and isinstance(literal.value, str):
        return instant(literal.value, found.name)  # lenient: '2024-06-01T00:00:00Z' without TIMESTAMP()
    try:
        return coerce_for_property(literal, spec)
    except QueryError as exc:
        raise _error(exc.message.replace(spec.name, found.name, 1), code=exc.code) from None


def _attribute_type(found: Queryable) -> AttributeType:
    from rs.catalog.attribute_registry import ATTRIBUTE_TYPES

    return ATTRIBUTE_TYPES[found.prip]


def _interval(value: object) -> Interval:
    if isinstance(value, dict) and set(value) == {"date"} and isinstance(value["date"], str):
        return whole_day(value["date"], "t_intersects")
    moment = _moment(value, "t_intersects")
    if moment is not None:
        return moment, moment
    if isinstance(value, dict) and set(value) == {"interval"} and isinstance(value["interval"], list) \
            and len(value["interval"]) == 2:
        bounds: list[datetime | None] = []
        for bound in value["interval"]:
            if bound == "..":
                bounds.append(None)
            elif isinstance(bound, str):
                bounds.append(instant(bound, "t_intersects"))
            else:
                bounds.append(_moment(bound, "t_intersects") or _fail_bound(bound))
        return checked(bounds[0], bounds[1], "t_intersects")
    raise _error(f"t_intersects takes a timestamp, a date or an interval, not {_shown(value)}", code="TypeMismatch")


def _fail_bound(bound: object) -> datetime:
    raise _error(f"An interval bound is a date-time string, '..' or a timestamp, not {_shown(bound)}",
                 code="TypeMismatch")


def _like_pattern(pattern: str) -> tuple[TextFunction | None, str]:
    """LIKE patterns the catalogue's indexes serve: exact text, text%, %text and %text% (escape: backslash)."""
    pieces: list[str] = []  # literal text between unescaped '%'
    current: list[str] = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\" and i + 1 < len(pattern):
            current.append(pattern[i + 1])
            i += 2
            continue
        if char == "_":
            raise _error("like: '_' (any one character) is not supported; write \\_ for an underscore "
                         "(names are full of them): 'S1A\\_IW%'", code="Unsupported")
        if char == "%":
            pieces.append("".join(current))
            current = []
        else:
            current.append(char)
        i += 1
    pieces.append("".join(current))
    if len(pieces) == 1:
        return None, pieces[0]
    inner = [p for p in pieces[1:-1] if p]
    first, last = pieces[0], pieces[-1]
    if not inner and not last and first:
        return TextFunction.STARTSWITH, first
    if not inner and not first and last:
        return TextFunction.ENDSWITH, last
    if not first and not last and len(inner) <= 1:
        return TextFunction.CONTAINS, inner[0] if inner else ""
    raise _error(f"like: the pattern {pattern!r} is not supported; use text%, %text or %text%", code="Unsupported")
