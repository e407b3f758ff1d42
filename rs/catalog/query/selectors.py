"""Reads of the query layer: a page, a count, one entry, entries by name. Each is ONE SQL query (a page with
expanded attributes and assets included: they are aggregated per product in JSON sub-selects)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any, cast

from django.contrib.gis.db.models.functions import AsWKB
from django.db import connection
from django.db.models import Aggregate, Case, JSONField, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import JSONObject

from rs.catalog import selectors as catalog_selectors
from rs.catalog.choices import OPERATIONAL_SCOPE
from rs.catalog.models import DeletedProduct, Product, ProductAsset, ProductAttribute, ProductInput
from rs.catalog.query.compiler import compile_after, compile_filter, compile_ordering, order_values
from rs.catalog.query.entries import ENTRY_FIELDS, CatalogEntry, entry_from_deleted, entry_from_values
from rs.catalog.query.keyset import query_fingerprint, skiptoken_decode, skiptoken_encode
from rs.catalog.query.names import delivered_file_name_expression, name_convention
from rs.catalog.query.orderby import parse_orderby
from rs.catalog.query.properties import Entity, entity_properties
from rs.catalog.query.tree import Membership, Node, OrderKey


@dataclass(frozen=True)
class PageRequest:
    entity: Entity
    filter: Node | None = None
    order: tuple[OrderKey, ...] = ()  # () = the entity's default order
    top: int = 20
    skip: int = 0
    skiptoken: str | None = None  # when given, `skip` is ignored
    count: bool = False
    with_attributes: bool = False
    with_assets: bool = False
    with_sources: bool = False  # the published inputs (STAC's derived_from links), in the same query
    # What the reader may see (rs.access.selectors.visibility_q): ANDed with the filter; Q() = everything
    visibility: Q = field(default_factory=Q)


@dataclass(frozen=True)
class Page:
    entries: list[CatalogEntry]
    count: int | None  # only when asked for
    next_offset: int | None  # offset of the next page when more rows exist
    next_skiptoken: str | None


def catalog_queryset(entity: Entity) -> QuerySet[Product] | QuerySet[DeletedProduct]:
    """What the PRIP may show: published operational products, and what remains of them once deleted."""
    if entity is Entity.PRODUCTS:
        return catalog_selectors.products_published()
    return _deleted_published()


def _deleted_published() -> QuerySet[DeletedProduct]:
    return DeletedProduct.objects.filter(scope=OPERATIONAL_SCOPE, publication_date__isnull=False)


class _JSONGroupArray(Aggregate):
    """SQLite's json_group_array (embedded default); PostgreSQL uses JSONB_AGG with an ORDER BY."""

    function = "JSON_GROUP_ARRAY"
    output_field = JSONField()


def _json_array(item: JSONObject, vendor: str) -> Aggregate:
    if vendor == "postgresql":
        from django.contrib.postgres.aggregates import JSONBAgg

        return JSONBAgg(item, order_by="id")
    return _JSONGroupArray(item)


@cache
def _expansion(name: str, vendor: str) -> Subquery:
    """The JSON sub-select of one expansion, built once per process: the page query annotates it again each time
    (annotate resolves a copy), without paying the ORM's lookups and joins for it on every request."""
    rows: QuerySet[Any, Any]
    if name == "attributes_json":
        item = JSONObject(n="name", t="value_type", s="value_string", i="value_integer", d="value_double",
                          b="value_boolean", v="value_datetime")
        rows = (ProductAttribute.objects.filter(product_id=OuterRef("pk")).order_by().values("product_id")
                .annotate(items=_json_array(item, vendor)).values("items"))
    elif name == "assets_json":
        item = JSONObject(id="id", type="type", name="name", key="storage_key")
        rows = (ProductAsset.objects.filter(product_id=OuterRef("pk")).order_by().values("product_id")
                .annotate(items=_json_array(item, vendor)).values("items"))
    else:
        # lineage: the inputs the PRIP publishes (whoever the reader is, like the inputs' own links)
        item = JSONObject(m="input__mission", t="input__product_type", n="input__name", k="input__storage_key")
        rows = (ProductInput.objects.filter(output_id=OuterRef("pk"), input__scope=OPERATIONAL_SCOPE,
                                            input__publication_date__isnull=False)
                .order_by().values("output_id").annotate(items=_json_array(item, vendor)).values("items"))
    return Subquery(rows, output_field=JSONField())


def _with_expansions(qs: QuerySet[Product], *, attributes: bool, assets: bool,
                     sources: bool = False) -> QuerySet[Product]:
    names = [name for name, wanted in (("attributes_json", attributes), ("assets_json", assets),
                                       ("sources_json", sources)) if wanted]
    return qs.annotate(**{name: _expansion(name, connection.vendor) for name in names}) if names else qs


def _deleted_entry_columns(qs: QuerySet[DeletedProduct]) -> QuerySet[DeletedProduct]:
    """Deleted products as model rows (their attributes are a JSON column), with the footprint as WKB bytes
    (entries.CatalogEntry.footprint_wkb) instead of a GEOS geometry built per row. Products never come here: they
    are read as tuples (_product_entries)."""
    return qs.defer("footprint").annotate(footprint_wkb=AsWKB("footprint"))


def _product_entries(qs: QuerySet[Product], *, attributes: bool, assets: bool, sources: bool = False,
                     window: tuple[int, int | None] = (0, None)) -> list[CatalogEntry]:
    """Products as entries straight from the rows' tuples (no model instance): ENTRY_FIELDS, the footprint's WKB,
    then the expansions asked for; rows window[0] to window[1] of `qs`."""
    columns = [*ENTRY_FIELDS, "footprint_wkb", *(["attributes_json"] if attributes else []),
               *(["assets_json"] if assets else []), *(["sources_json"] if sources else [])]
    rows = _with_expansions(qs.annotate(footprint_wkb=AsWKB("footprint")), attributes=attributes, assets=assets,
                            sources=sources)
    start, end = window
    return [entry_from_values(row, with_attributes=attributes, with_assets=assets, with_sources=sources)
            for row in rows.values_list(*columns)[start:end]]


def _entries(rows: Sequence[DeletedProduct], *, attributes: bool) -> list[CatalogEntry]:
    return [entry_from_deleted(row, with_attributes=attributes) for row in rows]


def catalog_count(*, entity: Entity, filter: Node | None, visibility: Q | None = None) -> int:
    """Exact count of the filter among what `visibility` shows (one query); it walks every matching row, so it
    grows with the result."""
    condition = compile_filter(filter, entity=entity, convention=name_convention())
    return catalog_queryset(entity).filter(condition, visibility or Q()).count()


def catalog_page(*, request: PageRequest) -> Page:
    """One page in the requested order (Id breaks ties): offset paging with `skip`, keyset paging with a token."""
    entity, convention = request.entity, name_convention()
    order = request.order or parse_orderby(None, entity=entity)
    fingerprint = query_fingerprint(entity=entity, filter=request.filter, order=order, convention=convention)
    properties = entity_properties(entity)
    keyset = None
    if request.skiptoken is not None:
        keyset = skiptoken_decode(request.skiptoken, fingerprint=fingerprint,
                                  kinds=[properties[key.property].kind for key in order])
    filtered = catalog_queryset(entity).filter(compile_filter(request.filter, entity=entity, convention=convention),
                                               request.visibility)
    count = filtered.count() if request.count else None
    if request.top == 0:
        return Page(entries=[], count=count, next_offset=None, next_skiptoken=None)
    offset = request.skip
    if keyset is not None:
        filtered = filtered.filter(compile_after(order, keyset.values, entity=entity, convention=convention))
        offset = keyset.offset
    ordering = compile_ordering(order, entity=entity, convention=convention)
    start = 0 if keyset is not None else request.skip
    end = start + request.top + 1  # one more row says whether more exist
    expand = request.with_attributes or request.with_assets or request.with_sources
    entries: list[CatalogEntry]
    if entity is Entity.PRODUCTS and (expand or start > 0):
        # The page's ids first, then its rows: the rows an OFFSET skips are never fetched (the id list can come from
        # an index alone, e.g. product_mission_published for a collection), and the expansions' sub-selects run for
        # the page's rows only.
        page_ids = filtered.order_by(*ordering)[start:end].values("pk")
        entries = _product_entries(Product.objects.filter(pk__in=page_ids).order_by(*ordering),
                                   attributes=request.with_attributes, assets=request.with_assets,
                                   sources=request.with_sources)
    elif entity is Entity.PRODUCTS:
        entries = _product_entries(cast(QuerySet[Product], filtered).order_by(*ordering), attributes=False,
                                   assets=False, window=(start, end))
    else:
        deleted = cast(QuerySet[DeletedProduct], filtered)
        entries = _entries(list(_deleted_entry_columns(deleted).order_by(*ordering)[start:end]),
                           attributes=request.with_attributes)
    more = len(entries) > request.top
    entries = entries[: request.top]
    token = None
    if more:
        values = order_values(entries[-1], order, entity=entity, convention=convention)
        token = skiptoken_encode(fingerprint=fingerprint, values=values, offset=offset + request.top)
    return Page(
        entries=entries,
        count=count,
        next_offset=offset + request.top if more else None,
        next_skiptoken=token,
    )


def catalog_entry(*, entity: Entity, entry_id: uuid.UUID, with_attributes: bool = False,
                  with_assets: bool = False, visibility: Q | None = None) -> CatalogEntry | None:
    """One visible product (or deleted product) by Id, with its expansions, in one query; None if not visible."""
    if entity is Entity.PRODUCTS:
        published = catalog_selectors.products_published().filter(visibility or Q(), pk=entry_id)
        entries = _product_entries(published, attributes=with_attributes, assets=with_assets, window=(0, 1))
    else:
        rows = list(_deleted_entry_columns(_deleted_published().filter(visibility or Q(), pk=entry_id))[:1])
        entries = _entries(rows, attributes=with_attributes)
    return entries[0] if entries else None


def products_by_names(*, names: Sequence[str], with_attributes: bool = False, with_assets: bool = False,
                      with_sources: bool = False, visibility: Q | None = None) -> list[CatalogEntry]:
    """OData.CSC.FilterList: the visible products among `names`, in the order of `names`; unknown names skipped."""
    unique = list(dict.fromkeys(names))
    if not unique:
        return []
    convention = name_convention()
    condition = compile_filter(Membership("Name", tuple(unique)), entity=Entity.PRODUCTS, convention=convention)
    name = delivered_file_name_expression() if convention == "prip" else "name"
    position = Case(*[When(**{"odata_name" if convention == "prip" else "name": n}, then=Value(i))
                      for i, n in enumerate(unique)])
    qs = catalog_selectors.products_published().filter(condition, visibility or Q())
    if convention == "prip":
        qs = qs.annotate(odata_name=name)
    return _product_entries(qs.order_by(position, "id"), attributes=with_attributes, assets=with_assets,
                            sources=with_sources)


@dataclass(frozen=True)
class ProductRef:
    id: uuid.UUID
    name: str
    product_type: str


def operational_products_matching(*, filter_text: str = "", names: Sequence[str] = (),
                                  limit: int) -> list[ProductRef]:
    """Products of the operational catalogue, published or not, matching a PRIP `$filter` and/or named, in name
    order; at most `limit` + 1 rows, so a caller can tell "exactly limit" from "too many". A bad filter raises
    QueryError with the position."""
    from rs.catalog.query.filter_parser import parse_filter

    qs = Product.objects.filter(scope=OPERATIONAL_SCOPE)
    if filter_text:
        node = parse_filter(filter_text, entity=Entity.PRODUCTS)
        qs = qs.filter(compile_filter(node, entity=Entity.PRODUCTS, convention=name_convention()))
    if names:
        qs = qs.filter(name__in=list(dict.fromkeys(names)))
    rows = qs.order_by("name", "id").values_list("id", "name", "product_type")[:limit + 1]
    return [ProductRef(id=pid, name=name, product_type=product_type) for pid, name, product_type in rows]
