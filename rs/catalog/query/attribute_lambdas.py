"""Attribute lambdas: `Attributes/OData.CSC.XAttribute/any(att: att/Name eq 'n' and <value conditions>)`.

The parser hands over the lambda body as a provisional tree whose leaves are NameAtom and ValueAtom; this module
checks its shape (exactly one `att/Name eq '…'`, joined with `and`) and types every value with the type the
attribute is stored with (type-cast tolerance, §5.5 of the contract).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias

from rs.catalog.attribute_registry import ATTRIBUTE_TYPES
from rs.catalog.choices import AttributeType
from rs.catalog.query.errors import QueryError
from rs.catalog.query.literals import Literal, LiteralKind, coerce_for_attribute, integer_comparison, literal_kind_type
from rs.catalog.query.tree import (
    And,
    AttributeFilter,
    Constant,
    Node,
    Not,
    Op,
    Or,
    TextFunction,
    ValueComparison,
    ValueMembership,
    ValueTextMatch,
)


@dataclass(frozen=True)
class NameAtom:
    op: Op
    literal: Literal
    position: int


@dataclass(frozen=True)
class ValueAtom:
    """`att/…/Value op literal`, `att/…/Value in (…)` (op None) or `contains(att/…/Value, 'x')` (function set)."""

    op: Op | None
    literals: tuple[Literal, ...]
    cast: AttributeType | None
    position: int
    function: TextFunction | None = None


@dataclass(frozen=True)
class PAnd:
    items: tuple[Expr, ...]


@dataclass(frozen=True)
class POr:
    items: tuple[Expr, ...]


@dataclass(frozen=True)
class PNot:
    item: Expr


Expr: TypeAlias = Node | NameAtom | ValueAtom | PAnd | POr | PNot


def _conjuncts(expr: Expr) -> list[Expr]:
    if isinstance(expr, PAnd):
        return [leaf for item in expr.items for leaf in _conjuncts(item)]
    return [expr]


def _name_atoms(expr: Expr) -> list[NameAtom]:
    if isinstance(expr, NameAtom):
        return [expr]
    if isinstance(expr, PAnd | POr):
        return [atom for item in expr.items for atom in _name_atoms(item)]
    if isinstance(expr, PNot):
        return _name_atoms(expr.item)
    return []


def _first_cast(expr: Expr) -> AttributeType | None:
    if isinstance(expr, ValueAtom):
        return expr.cast
    if isinstance(expr, PAnd | POr):
        return next((c for c in map(_first_cast, expr.items) if c is not None), None)
    if isinstance(expr, PNot):
        return _first_cast(expr.item)
    return None


def _first_literal(expr: Expr) -> Literal | None:
    if isinstance(expr, ValueAtom):
        return expr.literals[0]
    if isinstance(expr, PAnd | POr):
        return next((lit for lit in map(_first_literal, expr.items) if lit is not None), None)
    if isinstance(expr, PNot):
        return _first_literal(expr.item)
    return None


def attribute_filter_build(body: Expr, *, declared: AttributeType | None, position: int) -> AttributeFilter:
    conjuncts = _conjuncts(body)
    names = [c for c in conjuncts if isinstance(c, NameAtom)]
    rest = [c for c in conjuncts if not isinstance(c, NameAtom)]
    for item in rest:
        misplaced = _name_atoms(item)
        if misplaced:
            raise QueryError("att/Name must appear once, joined to the value conditions with 'and' "
                             "('or' between attribute names is not supported)", code="Unsupported",
                             position=misplaced[0].position)
    if len(names) != 1:
        where = names[1].position if names else position
        raise QueryError("any() needs exactly one att/Name eq '…' condition", code="Unsupported", position=where)
    atom = names[0]
    if atom.op is not Op.EQ:
        raise QueryError("att/Name can only be compared with eq", code="Unsupported", position=atom.position)
    if atom.literal.kind is not LiteralKind.STRING or not isinstance(atom.literal.value, str):
        raise QueryError("att/Name is compared with a string literal like 'productType'", code="TypeMismatch",
                         position=atom.literal.position)
    name = atom.literal.value
    value_type = ATTRIBUTE_TYPES.get(name)
    if value_type is None:  # a name outside the registry: the client's cast, else the literal, says the type
        value_type = next((c for c in (*(_first_cast(item) for item in rest), declared) if c is not None), None)
        if value_type is None:
            first = next((lit for lit in map(_first_literal, rest) if lit is not None), None)
            value_type = literal_kind_type(first) if first is not None else AttributeType.STRING
    conditions = [_typed(item, name, value_type) for item in rest]
    condition: Node | None = None
    if len(conditions) == 1:
        condition = conditions[0]
    elif conditions:
        condition = And(tuple(conditions))
    return AttributeFilter(name=name, value_type=value_type, condition=condition, position=position)


def _typed(expr: Expr, name: str, value_type: AttributeType) -> Node:
    if isinstance(expr, PAnd):
        return And(tuple(_typed(item, name, value_type) for item in expr.items))
    if isinstance(expr, POr):
        return Or(tuple(_typed(item, name, value_type) for item in expr.items))
    if isinstance(expr, PNot):
        return Not(_typed(expr.item, name, value_type))
    if isinstance(expr, ValueAtom):
        return _typed_atom(expr, name, value_type)
    if isinstance(expr, Constant):
        return expr
    raise QueryError("Inside any(), conditions are on att/Name and att/Value only", code="Unsupported")


def _typed_atom(atom: ValueAtom, name: str, value_type: AttributeType) -> Node:
    if atom.function is not None:
        if value_type != AttributeType.STRING:
            raise QueryError(f"{atom.function.value}() applies to String attributes; {name!r} is {value_type}",
                             code="TypeMismatch", position=atom.position)
        value = coerce_for_attribute(atom.literals[0], value_type, name)
        assert isinstance(value, str)
        return ValueTextMatch(atom.function, value)
    values = [coerce_for_attribute(lit, value_type, name) for lit in atom.literals]
    if atom.op is None:
        if value_type == AttributeType.INTEGER:
            exact = [integer_comparison(Op.EQ, v) for v in values if isinstance(v, int | float)]
            values = [match[1] for match in exact if not isinstance(match, bool)]  # 2.5 or 1e30 equal no Int64
        return ValueMembership(tuple(values)) if values else Constant(False)
    if atom.op not in (Op.EQ, Op.NE) and value_type == AttributeType.BOOLEAN:
        raise QueryError(f"Boolean attribute {name!r} supports eq and ne only", code="Unsupported",
                         position=atom.position)
    if value_type == AttributeType.INTEGER and isinstance(values[0], int | float):
        typed = integer_comparison(atom.op, values[0])
        return Constant(typed) if isinstance(typed, bool) else ValueComparison(typed[0], typed[1])
    return ValueComparison(atom.op, values[0])


def finish(expr: Expr) -> Node:
    """The provisional tree as the query tree (lambda atoms never survive outside any())."""
    if isinstance(expr, PAnd):
        return And(tuple(finish(item) for item in expr.items))
    if isinstance(expr, POr):
        return Or(tuple(finish(item) for item in expr.items))
    if isinstance(expr, PNot):
        return Not(finish(expr.item))
    if isinstance(expr, NameAtom | ValueAtom):
        raise QueryError("Attribute conditions belong inside any()", code="Unsupported", position=expr.position)
    return expr
