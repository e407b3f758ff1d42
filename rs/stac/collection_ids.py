"""Collection ids: one STAC collection per mission and product type (`sentinel-2-s2msi2a`), and the query-tree
condition that selects its products: exactly the PRIP filter `Collection/Name eq 'SENTINEL-2' and
Attributes/OData.CSC.StringAttribute/any(att:att/Name eq 'productType' and att/…/Value eq 'S2MSI2A')`."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from rs.catalog.choices import COLLECTION_OF_MISSION, AttributeType, Mission
from rs.catalog.query.tree import And, AttributeFilter, Comparison, Constant, Node, Op, Or, ValueComparison

_NUMBER_OF_MISSION = {Mission.S1: "1", Mission.S2: "2", Mission.S3: "3"}
_MISSION_OF_NUMBER = {number: str(mission) for mission, number in _NUMBER_OF_MISSION.items()}
_ID = re.compile(r"sentinel-([1-3])-([a-z0-9_\-]{1,32})")


@dataclass(frozen=True)
class CollectionKey:
    mission: str  # S1, S2, S3
    product_type: str  # as catalogued, upper case

    @property
    def id(self) -> str:
        return collection_id(self.mission, self.product_type)

    @property
    def constellation(self) -> str:
        return COLLECTION_OF_MISSION[Mission(self.mission)].lower()


def collection_id(mission: str, product_type: str) -> str:
    return f"sentinel-{_NUMBER_OF_MISSION[Mission(mission)]}-{product_type.lower()}"


def collection_key(identifier: str) -> CollectionKey | None:
    """The mission and product type a collection id names; None when it is not shaped like one of ours."""
    match = _ID.fullmatch(identifier)
    if match is None:
        return None
    return CollectionKey(_MISSION_OF_NUMBER[match.group(1)], match.group(2).upper())


def collections_condition(identifiers: Sequence[str]) -> Node:
    """Products of any of the collections; ids that cannot name a collection of ours match nothing."""
    parts: list[Node] = []
    for identifier in dict.fromkeys(identifiers):
        key = collection_key(identifier)
        if key is None:
            continue
        parts.append(And((
            Comparison("Collection/Name", Op.EQ, COLLECTION_OF_MISSION[Mission(key.mission)]),
            AttributeFilter("productType", AttributeType.STRING, ValueComparison(Op.EQ, key.product_type)),
        )))
    if not parts:
        return Constant(False)
    return parts[0] if len(parts) == 1 else Or(tuple(parts))
