"""A query tree evaluated in Python against ONE product, with exactly the meaning the SQL compiler gives it
(rs/catalog/query/compiler.py): Django's negation of a nullable column, EvictionDate null as the largest instant,
Collection/Name through the mission, the prip Name convention with its catalog-name candidates, S1 type aliases.

Where SQL's answer could differ from Python's (ordering of strings depends on the database collation) the evaluator
raises NotEvaluable and the caller asks the database instead.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.contrib.gis.geos import GEOSGeometry
from django.contrib.gis.geos.prepared import PreparedGeometry

from rs.catalog.choices import COLLECTION_OF_MISSION
from rs.catalog.query.compiler import S1_PRODUCT_TYPE_ALIASES
from rs.catalog.query.entries import AttributeValue, CatalogEntry
from rs.catalog.query.names import catalog_name_candidates
from rs.catalog.query.properties import PRODUCT_PROPERTIES, Kind
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
    Spatial,
    SpatialRelation,
    TextFunction,
    TextMatch,
    Value,
    ValueComparison,
    ValueMembership,
    ValueTextMatch,
)

FOREVER = datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
OPS: dict[Op, Callable[[Any, Any], bool]] = {
    Op.EQ: lambda a, b: a == b, Op.NE: lambda a, b: a != b, Op.GT: lambda a, b: a > b,
    Op.GE: lambda a, b: a >= b, Op.LT: lambda a, b: a < b, Op.LE: lambda a, b: a <= b,
}
TEXT_TESTS: dict[TextFunction, Callable[[str, str], bool]] = {
    TextFunction.CONTAINS: lambda a, b: b in a, TextFunction.STARTSWITH: str.startswith,
    TextFunction.ENDSWITH: str.endswith,
}
S1_TYPE_ALIASES = {name: re.compile(pattern) for name, pattern in S1_PRODUCT_TYPE_ALIASES.items()}
_ORDERING = (Op.GT, Op.GE, Op.LT, Op.LE)


class NotEvaluable(Exception):
    """The condition's SQL meaning may differ from Python's: evaluate this filter in the database."""


@dataclass(frozen=True)
class ProductFacts:
    """One product (or deleted product) as the filters see it: property values by OData name."""

    values: Mapping[str, Value]
    attributes: Mapping[str, AttributeValue]
    footprint: GEOSGeometry | None
    catalog_name: str  # the prip Name convention narrows on it, like the SQL does
    prip_names: bool

    @property
    def product_type(self) -> str:
        """The productType attribute (what subscription filters and their keys test)."""
        attribute = self.attributes.get("productType")
        return attribute.value if attribute is not None and isinstance(attribute.value, str) else ""


def product_facts(entry: CatalogEntry, *, mission: str, convention: str) -> ProductFacts:
    prip = convention == "prip"
    values: dict[str, Value] = {
        "Id": entry.id, "Name": entry.file_name if prip else entry.name, "ContentType": entry.content_type,
        "ContentLength": entry.content_length, "OriginDate": entry.origin_date,
        "PublicationDate": entry.publication_date, "ModificationDate": entry.modification_date,
        "EvictionDate": entry.eviction_date, "ContentDate/Start": entry.content_start,
        "ContentDate/End": entry.content_end, "Collection/Name": COLLECTION_OF_MISSION.get(mission),  # type: ignore[call-overload]
        "ProductionType": entry.production_type, "Online": entry.online, "S3Path": entry.storage_key,
    }
    return ProductFacts(values=values, attributes={a.name: a for a in entry.attributes or ()},
                        footprint=entry.footprint, catalog_name=entry.name, prip_names=prip)


class Evaluator:
    """Evaluates trees; keeps the prepared areas of spatial conditions (one parse per area per process)."""

    def __init__(self) -> None:
        self._areas: dict[str, PreparedGeometry] = {}

    def matches(self, node: Node, facts: ProductFacts) -> bool:
        if isinstance(node, And):
            return all(self.matches(item, facts) for item in node.items)
        if isinstance(node, Or):
            return any(self.matches(item, facts) for item in node.items)
        if isinstance(node, Not):
            return not self.matches(node.item, facts)
        if isinstance(node, Constant):
            return node.value
        if isinstance(node, Comparison):
            return self.comparison(node, facts)
        if isinstance(node, Membership):
            return self.membership(node, facts)
        if isinstance(node, TextMatch):
            return self.text_match(node, facts)
        if isinstance(node, Spatial):
            return self.spatial(node, facts)
        if isinstance(node, AttributeFilter):
            return self.attribute(node, facts)
        raise NotEvaluable(type(node).__name__)

    # --- properties -----------------------------------------------------------------------------------------------

    def comparison(self, node: Comparison, facts: ProductFacts) -> bool:
        spec = PRODUCT_PROPERTIES.get(node.property)
        if spec is None:
            raise NotEvaluable(node.property)
        actual = facts.values.get(node.property)
        if spec.kind is Kind.COLLECTION:
            return actual is not None and OPS[node.op](actual, str(node.value).upper())
        if node.value is None:
            return (actual is None) == (node.op is Op.EQ)
        if spec.kind is Kind.STRING and node.op in _ORDERING:
            raise NotEvaluable("string ordering follows the database collation")
        if node.op is Op.NE:  # Django negates a nullable column as NOT (x = v AND x IS NOT NULL)
            return not self.equal(node.property, actual, node.value, facts)
        if spec.null_is_max:
            return OPS[node.op](FOREVER if actual is None else actual, node.value)
        if node.op is Op.EQ:
            return self.equal(node.property, actual, node.value, facts)
        return actual is not None and OPS[node.op](actual, node.value)

    @staticmethod
    def equal(name: str, actual: Value, value: Value, facts: ProductFacts) -> bool:
        if actual is None:
            return False
        if name == "Name" and facts.prip_names and isinstance(value, str):
            return actual == value and facts.catalog_name in catalog_name_candidates(value)
        return actual == value

    def membership(self, node: Membership, facts: ProductFacts) -> bool:
        spec = PRODUCT_PROPERTIES.get(node.property)
        if spec is None:
            raise NotEvaluable(node.property)
        actual = facts.values.get(node.property)
        if spec.kind is Kind.COLLECTION:
            return actual is not None and actual.upper() in [str(v).upper() for v in node.values]  # type: ignore[union-attr]
        if actual is None:
            return spec.null_is_max and FOREVER in node.values
        result = actual in node.values
        if node.property == "Name" and facts.prip_names:
            names = {c for v in node.values if isinstance(v, str) for c in catalog_name_candidates(v)}
            result = result and facts.catalog_name in names
        return result

    def text_match(self, node: TextMatch, facts: ProductFacts) -> bool:
        spec = PRODUCT_PROPERTIES.get(node.property)
        if spec is None:
            raise NotEvaluable(node.property)
        actual = facts.values.get(node.property)
        if spec.kind is Kind.COLLECTION:
            return actual is not None and TEXT_TESTS[node.function](str(actual).upper(), node.value.upper())
        if spec.kind is Kind.GUID:  # the canonical text, as the SQL gives it on both databases (UuidText)
            actual = str(actual)
        return isinstance(actual, str) and TEXT_TESTS[node.function](actual, node.value)

    def spatial(self, node: Spatial, facts: ProductFacts) -> bool:
        if facts.footprint is None:
            return False
        area = self._areas.get(node.ewkt)
        if area is None:
            area = self._areas.setdefault(node.ewkt, GEOSGeometry(node.ewkt).prepared)
        if node.relation is SpatialRelation.INTERSECTS:
            return bool(area.intersects(facts.footprint))
        if node.relation is SpatialRelation.WITHIN:  # ST_Within(footprint, area) = ST_Contains(area, footprint)
            return bool(area.contains(facts.footprint))
        return bool(area.disjoint(facts.footprint))

    # --- attributes -----------------------------------------------------------------------------------------------

    def attribute(self, node: AttributeFilter, facts: ProductFacts) -> bool:
        attribute = facts.attributes.get(node.name)
        # the SQL looks for the row in the column of the filter's type: another type never matches
        if attribute is None or attribute.value is None or attribute.value_type != node.value_type:
            return False
        return node.condition is None or self.value(node.condition, attribute.value, node.name)

    def value(self, node: Node, actual: Any, name: str) -> bool:
        if isinstance(node, And):
            return all(self.value(item, actual, name) for item in node.items)
        if isinstance(node, Or):
            return any(self.value(item, actual, name) for item in node.items)
        if isinstance(node, Not):
            return not self.value(node.item, actual, name)
        if isinstance(node, Constant):
            return node.value
        if isinstance(node, ValueComparison):
            if isinstance(actual, str) and node.op in _ORDERING:
                raise NotEvaluable("string ordering follows the database collation")
            result = OPS[node.op](actual, node.value)
            return result or (node.op is Op.EQ and _alias(name, actual, [node.value]))
        if isinstance(node, ValueMembership):
            return actual in node.values or _alias(name, actual, node.values)
        if isinstance(node, ValueTextMatch):
            return isinstance(actual, str) and TEXT_TESTS[node.function](actual, node.value)
        raise NotEvaluable(type(node).__name__)


def _alias(name: str, actual: Any, values: Any) -> bool:
    """productType eq 'GRD' also matches IW_GRDH_1S … (the compiler's regular expressions)."""
    if name != "productType" or not isinstance(actual, str):
        return False
    patterns = [S1_TYPE_ALIASES[v] for v in values if isinstance(v, str) and v in S1_TYPE_ALIASES]
    return any(pattern.search(actual) is not None for pattern in patterns)
