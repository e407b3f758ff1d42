"""The one compiler: query tree → Django ORM conditions and ordering, so that a whole page is ONE SQL query.

Products: every property is a column of catalog_product (btree indexes), attribute lambdas are EXISTS sub-queries on
catalog_productattribute using its (name, value_*) partial indexes (except eq/in on productType and every condition
on cloudCover, also product columns, which compile onto those columns), Intersects is footprint__intersects on the
GiST index, one per part of a multi-part area. DeletedProducts: the same columns on catalog_deletedproduct; their
attributes are a JSON list, matched by containment (eq/in only; rs.catalog.query.portable_sql says it on SQLite too).
Nothing is ever filtered in Python.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from django.contrib.gis.geos import GeometryCollection, GEOSGeometry
from django.db.models import Exists, F, Model, OuterRef, Q
from django.db.models.expressions import Expression, OrderBy
from django.db.models.lookups import (
    Contains,
    EndsWith,
    Exact,
    GreaterThan,
    GreaterThanOrEqual,
    In,
    IsNull,
    LessThan,
    LessThanOrEqual,
    StartsWith,
)

from rs.catalog.choices import COLLECTION_OF_MISSION, AttributeType
from rs.catalog.models import DeletedProduct, Product, ProductAttribute
from rs.catalog.query.entries import CatalogEntry
from rs.catalog.query.errors import QueryError
from rs.catalog.query.names import catalog_name_candidates, delivered_file_name_expression
from rs.catalog.query.portable_sql import JsonListHasEntry, UuidText
from rs.catalog.query.properties import Entity, Kind, PropertySpec, entity_properties
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
    OrderKey,
    Spatial,
    SpatialRelation,
    TextFunction,
    TextMatch,
    Value,
    ValueComparison,
    ValueMembership,
    ValueTextMatch,
)

# "id IS NULL" on a primary key: a real, constant condition (an empty `__in` would skip the query altogether).
NOTHING = Q(pk__isnull=True)
EVERYTHING = Q(pk__isnull=False)
FOREVER = datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)  # EvictionDate of products kept forever

VALUE_COLUMNS = {
    AttributeType.STRING: "value_string",
    AttributeType.INTEGER: "value_integer",
    AttributeType.DOUBLE: "value_double",
    AttributeType.BOOLEAN: "value_boolean",
    AttributeType.DATETIME: "value_datetime",
}
# eodag sends S1 product types as GRD/SLC/OCN/RAW (§5.6): they match the 3-letter type field of S1 product types.
S1_PRODUCT_TYPE_ALIASES = {
    "RAW": r"^[A-Z0-9]{2}_RAW__0.$",
    "SLC": r"^[A-Z0-9]{2}_SLC__1.$",
    "GRD": r"^[A-Z0-9]{2}_GRD._1.$",
    "OCN": r"^[A-Z0-9]{2}_OCN__2.$",
    "GRD-COG": r"^[A-Z0-9]{2}_GRD._1.-COG$",
}
# Attributes that every product also has as a column (rs.catalog.services and the bulk load write both from the same
# metadata). eq/in on them compile onto the column: its btree indexes (product_type_start, product_type_published) and
# its exact planner statistics, where the attribute table's (name, value) estimates are off by two orders of magnitude.
COLUMN_ATTRIBUTES = {"productType": "product_type"}
# Attributes copied into a nullable typed column (null exactly when the product has no such attribute): every value
# condition compiles onto the column (product_type_start_cloud serves type + period + cloud cover).
NULLABLE_COLUMN_ATTRIBUTES = {"cloudCover": ("cloud_cover", AttributeType.DOUBLE)}
_LOOKUP_NAMES = {Op.EQ: "exact", Op.GT: "gt", Op.GE: "gte", Op.LT: "lt", Op.LE: "lte"}
_LOOKUP_CLASSES: dict[str, Callable[[Any, Any], Any]] = {
    "exact": Exact, "gt": GreaterThan, "gte": GreaterThanOrEqual, "lt": LessThan, "lte": LessThanOrEqual,
    "in": In, "isnull": IsNull, "contains": Contains, "startswith": StartsWith, "endswith": EndsWith,
}
_TEXT_LOOKUPS = {TextFunction.CONTAINS: "contains", TextFunction.STARTSWITH: "startswith",
                 TextFunction.ENDSWITH: "endswith"}
_PYTHON_OPS: dict[Op, Callable[[Any, Any], bool]] = {
    Op.EQ: lambda a, b: a == b, Op.NE: lambda a, b: a != b, Op.GT: lambda a, b: a > b,
    Op.GE: lambda a, b: a >= b, Op.LT: lambda a, b: a < b, Op.LE: lambda a, b: a <= b,
}
_TEXT_TESTS: dict[TextFunction, Callable[[str, str], bool]] = {
    TextFunction.CONTAINS: lambda a, b: b in a, TextFunction.STARTSWITH: str.startswith,
    TextFunction.ENDSWITH: str.endswith,
}


def entity_model(entity: Entity) -> type[Model]:
    return Product if entity is Entity.PRODUCTS else DeletedProduct


class _Compiler:
    def __init__(self, entity: Entity, convention: str) -> None:
        self.entity = entity
        self.properties = entity_properties(entity)
        self.prip_names = convention == "prip" and entity is Entity.PRODUCTS

    # --- left-hand sides ----------------------------------------------------------------------------------------

    def lhs(self, spec: PropertySpec, *, as_text: bool = False) -> str | Expression:
        if spec.name == "Name" and self.prip_names:
            return delivered_file_name_expression()
        if spec.kind is Kind.GUID and as_text:
            return UuidText(spec.column)
        return spec.column

    def lookup(self, lhs: str | Expression, lookup: str, value: object) -> Q:
        if isinstance(lhs, str):
            return Q(**{f"{lhs}__{lookup}": value})
        return Q(_LOOKUP_CLASSES[lookup](lhs, value))

    # --- conditions -----------------------------------------------------------------------------------------------

    def condition(self, node: Node) -> Q:
        if isinstance(node, And):
            result = self.condition(node.items[0])
            for item in node.items[1:]:
                result &= self.condition(item)
            return result
        if isinstance(node, Or):
            result = self.condition(node.items[0])
            for item in node.items[1:]:
                result |= self.condition(item)
            return result
        if isinstance(node, Not):
            return ~self.condition(node.item)
        if isinstance(node, Constant):
            return EVERYTHING if node.value else NOTHING
        if isinstance(node, Comparison):
            return self.comparison(node)
        if isinstance(node, Membership):
            return self.membership(node)
        if isinstance(node, TextMatch):
            return self.text_match(node)
        if isinstance(node, Spatial):
            return self.spatial(node)
        if isinstance(node, AttributeFilter):
            if self.entity is Entity.PRODUCTS:
                return self.attribute_exists(node)
            return self.deleted_attribute(node)
        raise QueryError(f"{type(node).__name__} is not a product condition", code="Unsupported")

    def comparison(self, node: Comparison) -> Q:
        spec = self.properties[node.property]
        if spec.kind is Kind.COLLECTION:
            return self.collections(lambda name: _PYTHON_OPS[node.op](name, str(node.value).upper()))
        lhs = self.lhs(spec)
        if node.value is None:
            is_null = self.lookup(lhs, "isnull", True)
            return is_null if node.op is Op.EQ else ~is_null
        if node.op is Op.NE:
            return ~self.equal(spec, lhs, node.value)
        if node.op is Op.EQ:
            result = self.equal(spec, lhs, node.value)
        else:
            result = self.lookup(lhs, _LOOKUP_NAMES[node.op], node.value)
        if spec.null_is_max and _PYTHON_OPS[node.op](FOREVER, node.value):
            result |= self.lookup(lhs, "isnull", True)
        return result

    def equal(self, spec: PropertySpec, lhs: str | Expression, value: Value) -> Q:
        if spec.name == "Name" and self.prip_names and isinstance(value, str):
            # the catalog-name index narrows first; the file-name expression decides
            return Q(name__in=catalog_name_candidates(value)) & self.lookup(lhs, "exact", value)
        return self.lookup(lhs, "exact", value)

    def membership(self, node: Membership) -> Q:
        spec = self.properties[node.property]
        wanted = [str(v).upper() for v in node.values]
        if spec.kind is Kind.COLLECTION:
            return self.collections(lambda name: name in wanted)
        lhs = self.lhs(spec)
        result = self.lookup(lhs, "in", list(node.values))
        if spec.name == "Name" and self.prip_names:
            names = [c for v in node.values if isinstance(v, str) for c in catalog_name_candidates(v)]
            result &= Q(name__in=names)
        if spec.null_is_max and FOREVER in node.values:
            result |= self.lookup(lhs, "isnull", True)
        return result

    def text_match(self, node: TextMatch) -> Q:
        spec = self.properties[node.property]
        if spec.kind is Kind.COLLECTION:
            test = _TEXT_TESTS[node.function]
            return self.collections(lambda name: test(name, node.value.upper()))
        return self.lookup(self.lhs(spec, as_text=True), _TEXT_LOOKUPS[node.function], node.value)

    def collections(self, matches: Callable[[str], bool]) -> Q:
        """Collection/Name is derived from the mission: the condition is decided on the (few, constant) collection
        names, case-insensitively, and becomes a condition on the mission column."""
        missions = sorted(str(m) for m, name in COLLECTION_OF_MISSION.items() if matches(name.upper()))
        return Q(mission__in=missions) if missions else NOTHING

    def spatial(self, node: Spatial) -> Q:
        area = GEOSGeometry(node.ewkt)
        lookup = {SpatialRelation.INTERSECTS: "intersects", SpatialRelation.WITHIN: "within",
                  SpatialRelation.DISJOINT: "disjoint"}[node.relation]
        if node.relation is SpatialRelation.INTERSECTS and isinstance(area, GeometryCollection) and len(area) > 1:
            # Intersects(A + B) = Intersects(A) or Intersects(B). The GiST index probes with the bounding box of its
            # argument: the two halves of an area split at ±180° have a box spanning every longitude, each half
            # alone a small one (a BitmapOr of one index scan per part).
            parts = [Q(footprint__intersects=part) for part in area]
            result = parts[0]
            for part in parts[1:]:
                result |= part
            return result
        return Q(**{f"footprint__{lookup}": area})

    # --- attributes -----------------------------------------------------------------------------------------------

    def attribute_exists(self, node: AttributeFilter) -> Q:
        on_column = self.attribute_column(node)
        if on_column is not None:
            return on_column
        column = VALUE_COLUMNS[node.value_type]
        rows = ProductAttribute.objects.filter(product_id=OuterRef("pk"), name=node.name)
        if node.condition is None or not _rejects_null(node.condition):
            # `value IS NOT NULL` selects the attribute's typed partial index. A condition that is false for null
            # implies it already (and the index with it), and repeating it makes PostgreSQL multiply in the
            # column's non-null fraction a second time: estimates ten times too low, attribute-first plans.
            rows = rows.filter(**{f"{column}__isnull": False})
        if node.condition is not None:
            rows = rows.filter(self.value_condition(node.condition, column, node.name))
        return Q(Exists(rows))

    def attribute_column(self, node: AttributeFilter) -> Q | None:
        """The filter as a condition on a product column: any condition on an attribute with a nullable typed column;
        eq/in (or an `or` of them) on productType. None when the attribute has no column or the condition is
        anything else (ne, ranges, text functions on productType, …)."""
        typed = NULLABLE_COLUMN_ATTRIBUTES.get(node.name)
        if typed is not None and node.value_type == typed[1]:
            # EXISTS(attribute with value c) ≡ column IS NOT NULL AND c(column): the explicit IS NOT NULL keeps ne
            # and not (which Django makes true for null) from matching products without the attribute.
            present = Q(**{f"{typed[0]}__isnull": False})
            if node.condition is None:
                return present
            return present & self.value_condition(node.condition, typed[0], node.name)
        column = COLUMN_ATTRIBUTES.get(node.name)
        values = _equal_values(node.condition) if column is not None else None
        if column is None or values is None or node.value_type != AttributeType.STRING:
            return None
        exact = Q(**{column: values[0]}) if len(values) == 1 else Q(**{f"{column}__in": list(values)})
        return _with_alias(exact, node.name, values, column)

    def value_condition(self, node: Node, column: str, name: str) -> Q:
        if isinstance(node, And | Or):
            parts = [self.value_condition(item, column, name) for item in node.items]
            result = parts[0]
            for part in parts[1:]:
                result = result & part if isinstance(node, And) else result | part
            return result
        if isinstance(node, Not):
            return ~self.value_condition(node.item, column, name)
        if isinstance(node, Constant):
            return EVERYTHING if node.value else NOTHING
        if isinstance(node, ValueComparison):
            if node.op is Op.NE:
                return ~Q(**{column: node.value})
            result = Q(**{f"{column}__{_LOOKUP_NAMES[node.op]}": node.value})
            return _with_alias(result, name, [node.value] if node.op is Op.EQ else [], column)
        if isinstance(node, ValueMembership):
            return _with_alias(Q(**{f"{column}__in": list(node.values)}), name, node.values, column)
        if isinstance(node, ValueTextMatch):
            return Q(**{f"{column}__{_TEXT_LOOKUPS[node.function]}": node.value})
        raise QueryError(f"{type(node).__name__} is not an attribute-value condition", code="Unsupported")

    def deleted_attribute(self, node: AttributeFilter) -> Q:
        """DeletedProducts keep their attributes as a JSON list [{name, type, value}]: matched by containment."""
        condition = node.condition
        if condition is None:
            return Q(JsonListHasEntry("attributes", {"name": node.name}))
        values: Sequence[Value] = ()
        if isinstance(condition, ValueComparison) and condition.op is Op.EQ:
            values = [condition.value]
        elif isinstance(condition, ValueMembership):
            values = condition.values
        scalars = [v for v in values if isinstance(v, str | int | float | bool)]  # attribute values are never null
        if not scalars or len(scalars) != len(values) or node.value_type == AttributeType.DATETIME:
            raise QueryError("On DeletedProducts, attribute filters support eq and in on String, Integer, Double and "
                             "Boolean attributes", code="Unsupported", position=node.position)
        entries = [Q(JsonListHasEntry("attributes", {"name": node.name, "value": value})) for value in scalars]
        result = entries[0]
        for entry in entries[1:]:
            result |= entry
        return result


def _rejects_null(node: Node) -> bool:
    """Whether a value condition is false (or unknown) for a null value, as SQL evaluates it: comparisons other than
    ne, in and text functions are; `and` when one item is, `or` when all are. ne and not compile to negations, which
    Django makes true for null."""
    if isinstance(node, ValueComparison):
        return node.op is not Op.NE and node.value is not None
    if isinstance(node, ValueMembership):
        return None not in node.values
    if isinstance(node, ValueTextMatch):
        return True
    if isinstance(node, And):
        return any(_rejects_null(item) for item in node.items)
    if isinstance(node, Or):
        return all(_rejects_null(item) for item in node.items)
    return False


def _equal_values(node: Node | None) -> list[Value] | None:
    """The values of `Value eq v`, `Value in (…)` and `or`s of them; None for any other condition."""
    if isinstance(node, ValueComparison) and node.op is Op.EQ:
        return [node.value]
    if isinstance(node, ValueMembership) and node.values:
        return list(node.values)
    if isinstance(node, Or):
        values: list[Value] = []
        for item in node.items:
            found = _equal_values(item)
            if found is None:
                return None
            values += found
        return values
    return None


def _with_alias(exact: Q, name: str, values: Sequence[Value], column: str) -> Q:
    """productType eq 'GRD' also matches IW_GRDH_1S, EW_GRDM_1A …; exact types keep matching exactly."""
    for value in values:
        if name == "productType" and isinstance(value, str) and value in S1_PRODUCT_TYPE_ALIASES:
            exact |= Q(**{f"{column}__regex": S1_PRODUCT_TYPE_ALIASES[value]})
    return exact


def compile_filter(node: Node | None, *, entity: Entity, convention: str) -> Q:
    return EVERYTHING if node is None else _Compiler(entity, convention).condition(node)


def compile_ordering(order: Sequence[OrderKey], *, entity: Entity, convention: str) -> list[OrderBy]:
    """ORDER BY of the keys; nulls sort as the largest value in both directions (the keyset rule below)."""
    compiler = _Compiler(entity, convention)
    clauses = []
    for key in order:
        spec = compiler.properties[key.property]
        lhs = compiler.lhs(spec)
        nulls: dict[str, bool] = {}
        if spec.nullable:
            nulls = {"nulls_first": True} if key.descending else {"nulls_last": True}
        clauses.append(OrderBy(F(lhs) if isinstance(lhs, str) else lhs, descending=key.descending, **nulls))
    return clauses


def compile_after(order: Sequence[OrderKey], values: Sequence[Value], *, entity: Entity, convention: str) -> Q:
    """Rows strictly after the bookmark `values` in the order `order` (the last key is Id, so it is total)."""
    compiler = _Compiler(entity, convention)
    disjuncts: list[Q] = []
    prefix: list[Q] = []
    for key, value in zip(order, values, strict=True):
        spec = compiler.properties[key.property]
        lhs = compiler.lhs(spec)
        after: Q | None
        if value is None:  # null is the largest: nothing after it ascending, every non-null after it descending
            after = compiler.lookup(lhs, "isnull", False) if key.descending else None
        else:
            after = compiler.lookup(lhs, "lt" if key.descending else "gt", value)
            if spec.nullable and not key.descending:
                after |= compiler.lookup(lhs, "isnull", True)
        if after is not None:
            disjuncts.append(_all([*prefix, after]))
        prefix.append(compiler.lookup(lhs, "isnull", True) if value is None else compiler.lookup(lhs, "exact", value))
    if not disjuncts:
        return NOTHING
    result = disjuncts[0]
    for disjunct in disjuncts[1:]:
        result |= disjunct
    first, spec = order[0], compiler.properties[order[0].property]
    if len(disjuncts) > 1 and values[0] is not None and (first.descending or not spec.nullable):
        # Implied by the disjunction, but only this form is an index condition: the scan starts at the bookmark
        # instead of filtering every row before it (rows after v ascending are ≥ v; descending, nulls come first, so
        # rows after a value are ≤ it).
        lhs = compiler.lhs(spec)
        result = compiler.lookup(lhs, "lte" if first.descending else "gte", values[0]) & result
    return result


def _all(conditions: Sequence[Q]) -> Q:
    result = conditions[0]
    for condition in conditions[1:]:
        result &= condition
    return result


def order_values(entry: CatalogEntry, order: Sequence[OrderKey], *, entity: Entity,
                 convention: str) -> tuple[Value, ...]:
    """The order-key values of a page's entry, as compile_after() expects them."""
    properties = entity_properties(entity)
    values: list[Value] = []
    for key in order:
        spec = properties[key.property]
        if spec.name == "Name" and convention == "prip" and entity is Entity.PRODUCTS:
            values.append(entry.file_name)
        else:
            values.append(getattr(entry, spec.column))
    return tuple(values)
