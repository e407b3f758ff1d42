"""What a principal may see: a VisibilityScope, checked in Python for one product and compiled to a Django Q for
the catalogue queries (so the PRIP adds it to its single SQL query)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import reduce
from operator import or_

from django.db.models import Q

_LITERALS = re.compile(r"[A-Za-z0-9_\-]+(?:\|[A-Za-z0-9_\-]+)*")


@dataclass(frozen=True)
class Grant:
    """A (mission, product-type pattern) pair; '' = any. The pattern must match the whole product type."""

    mission: str = ""
    product_types: str = ""

    @property
    def unconditional(self) -> bool:
        return not self.mission and not self.product_types

    def matches(self, mission: str, product_type: str) -> bool:
        if self.mission and self.mission != mission:
            return False
        return not self.product_types or re.fullmatch(self.product_types, product_type) is not None

    def q(self, prefix: str) -> Q:
        condition = Q()
        if self.mission:
            condition &= Q(**{f"{prefix}mission": self.mission})
        if self.product_types:
            if _LITERALS.fullmatch(self.product_types):
                # A plain list of types: an IN on the indexed column instead of a regex on every row.
                condition &= Q(**{f"{prefix}product_type__in": sorted(set(self.product_types.split("|")))})
            else:
                condition &= Q(**{f"{prefix}product_type__regex": f"^(?:{self.product_types})$"})
        return condition


@dataclass(frozen=True)
class VisibilityScope:
    """Everything, nothing, or the union of `allowed` grants; `denied` grants are removed in every case."""

    everything: bool
    allowed: tuple[Grant, ...] = ()
    denied: tuple[Grant, ...] = ()

    @classmethod
    def all(cls) -> VisibilityScope:
        return cls(everything=True)

    @classmethod
    def none(cls) -> VisibilityScope:
        return cls(everything=False)

    @property
    def nothing(self) -> bool:
        return not self.everything and not self.allowed

    def allows(self, mission: str, product_type: str) -> bool:
        if any(g.matches(mission, product_type) for g in self.denied):
            return False
        return self.everything or any(g.matches(mission, product_type) for g in self.allowed)

    def q(self, prefix: str = "") -> Q:
        """A Q on the `mission` and `product_type` fields (of Product or DeletedProduct; `prefix` for a relation,
        e.g. 'product__'). Everything without denials is the empty Q; nothing is a Q that matches no row."""
        # An unconditional grant is "everything": Q() | Q(x) would be Q(x), so it never enters an OR.
        everything = self.everything or any(g.unconditional for g in self.allowed)
        if any(g.unconditional for g in self.denied) or (not everything and not self.allowed):
            return Q(pk__in=[])
        condition = Q() if everything else reduce(or_, (g.q(prefix) for g in self.allowed))
        if self.denied:
            condition &= ~reduce(or_, (g.q(prefix) for g in self.denied))
        return condition
