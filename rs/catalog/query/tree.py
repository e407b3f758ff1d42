"""The query tree: what a $filter means, independent of HTTP and of the database.

The parser builds it, the compiler turns it into one SQL query. Values are already typed (datetime, UUID, int …) and
checked against the property they are compared with, so a tree that exists can always be compiled. Positions are
kept for messages only.
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import TypeAlias

from rs.catalog.choices import AttributeType

Value: TypeAlias = str | int | float | bool | datetime | uuid.UUID | None


class Op(enum.Enum):
    EQ = "eq"
    NE = "ne"
    GT = "gt"
    GE = "ge"
    LT = "lt"
    LE = "le"

    def flipped(self) -> Op:
        """The operator that keeps the meaning when both sides swap (`5 lt X` is `X gt 5`)."""
        return _FLIPPED[self]


_FLIPPED = {Op.EQ: Op.EQ, Op.NE: Op.NE, Op.GT: Op.LT, Op.GE: Op.LE, Op.LT: Op.GT, Op.LE: Op.GE}


class TextFunction(enum.Enum):
    CONTAINS = "contains"
    STARTSWITH = "startswith"
    ENDSWITH = "endswith"


class SpatialRelation(enum.Enum):
    INTERSECTS = "intersects"
    WITHIN = "within"
    DISJOINT = "disjoint"


@dataclass(frozen=True)
class Constant:
    """A condition known without looking at the data (e.g. an Int64 compared with 2.5 using eq)."""

    value: bool


@dataclass(frozen=True)
class Comparison:
    property: str
    op: Op
    value: Value
    position: int = 0


@dataclass(frozen=True)
class Membership:
    property: str
    values: tuple[Value, ...]
    position: int = 0


@dataclass(frozen=True)
class TextMatch:
    function: TextFunction
    property: str
    value: str
    position: int = 0


@dataclass(frozen=True)
class Spatial:
    """Relation between the footprint and an area given as EWKT, already validated and normalised."""

    relation: SpatialRelation
    ewkt: str
    position: int = 0


@dataclass(frozen=True)
class ValueComparison:
    """Inside an attribute filter: the attribute's value compared with a value of the attribute's type."""

    op: Op
    value: Value


@dataclass(frozen=True)
class ValueMembership:
    values: tuple[Value, ...]


@dataclass(frozen=True)
class ValueTextMatch:
    function: TextFunction
    value: str


@dataclass(frozen=True)
class AttributeFilter:
    """The product has an attribute `name` (stored as `value_type`) whose value satisfies `condition`."""

    name: str
    value_type: AttributeType
    condition: Node | None
    position: int = 0


@dataclass(frozen=True)
class And:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    item: Node


Node: TypeAlias = (
    Constant | Comparison | Membership | TextMatch | Spatial | AttributeFilter | ValueComparison | ValueMembership
    | ValueTextMatch | And | Or | Not
)


@dataclass(frozen=True)
class OrderKey:
    property: str
    descending: bool = False
