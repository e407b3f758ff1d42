"""A search's parameters → the PRIP query: one filter tree, one order, one page request for the same selectors
(rs.catalog.query.selectors) the OData API uses, so both interfaces run the same SQL for the same condition."""

from __future__ import annotations

from collections.abc import Callable

from rs.catalog.query.errors import QueryError
from rs.catalog.query.orderby import parse_orderby
from rs.catalog.query.properties import Entity
from rs.catalog.query.selectors import PageRequest
from rs.catalog.query.tree import And, Membership, Node, OrderKey, SpatialRelation
from rs.stac.collection_ids import collections_condition
from rs.stac.cql2_filter import filter_condition
from rs.stac.errors import bad_request, from_query_error
from rs.stac.fields import needs_attributes, wanted
from rs.stac.geometry import bbox_condition, geojson_areas, spatial_condition
from rs.stac.intervals import interval_from_text, sensing_overlaps
from rs.stac.queryables import SORTABLE
from rs.stac.search_params import SearchParameters, SortKey


def _part(parameter: str, build: Callable[[], Node]) -> Node:
    try:
        return build()
    except QueryError as exc:
        raise from_query_error(exc, parameter=parameter) from None


def search_condition(params: SearchParameters, *, collection: str | None = None) -> Node | None:
    """Every parameter's condition, joined with `and` in a fixed order (the skiptoken fingerprint depends on it)."""
    parts: list[Node] = []
    if collection is not None:
        parts.append(collections_condition([collection]))
    if params.collections is not None:
        parts.append(collections_condition(params.collections))
    if params.ids is not None:
        parts.append(Membership("Name", params.ids))
    if params.bbox is not None:
        bbox = params.bbox
        parts.append(_part("bbox", lambda: bbox_condition(bbox)))
    if params.intersects is not None:
        geometry = params.intersects
        parts.append(_part("intersects",
                           lambda: spatial_condition(geojson_areas(geometry), SpatialRelation.INTERSECTS)))
    if params.datetime is not None:
        text = params.datetime
        parts.append(_part("datetime", lambda: sensing_overlaps(interval_from_text(text))))
    if params.filter is not None:
        expression = params.filter
        parts.append(_part("filter", lambda: filter_condition(expression)))
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else And(tuple(parts))


def search_order(sortby: tuple[SortKey, ...]) -> tuple[OrderKey, ...]:
    """sortby as PRIP order keys, Id last (stable pages); none: the PRIP default (PublicationDate, Id)."""
    if not sortby:
        return parse_orderby(None, entity=Entity.PRODUCTS)
    keys: list[OrderKey] = []
    for key in sortby:
        prip = SORTABLE.get(key.field.removeprefix("properties."))
        if prip is None:
            raise bad_request(f"sortby: cannot sort by {key.field!r}; sortable: {', '.join(sorted(SORTABLE))}")
        if all(existing.property != prip for existing in keys):
            keys.append(OrderKey(prip, descending=key.descending))
    if all(existing.property != "Id" for existing in keys):
        keys.append(OrderKey("Id"))
    return tuple(keys)


def page_request(params: SearchParameters, *, collection: str | None = None) -> PageRequest:
    return PageRequest(
        entity=Entity.PRODUCTS,
        filter=search_condition(params, collection=collection),
        order=search_order(params.sortby),
        top=params.limit,
        skiptoken=params.skiptoken,
        # properties come from the attributes, assets from the assets, links from the lineage: fetched only when
        # returned
        with_attributes=needs_attributes(params.fields),
        with_assets=wanted(params.fields, "assets"),
        with_sources=wanted(params.fields, "links"),
    )
