"""Reads of the STAC app: its collections, and the lineage of a page of items through the catalog's selectors."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Q

from rs.catalog import selectors as catalog_selectors
from rs.catalog.query.names import delivered_file_name, name_convention
from rs.stac.collection_ids import collection_id
from rs.stac.models import CollectionExtent


def collections_all(*, visibility: Q | None = None) -> list[CollectionExtent]:
    """Every collection the caller may see (`visibility`: rs.access's Q on mission and product_type), by id: a read
    of the small extents table."""
    return list(CollectionExtent.objects.filter(visibility or Q()).order_by("id"))


def collection_get(*, identifier: str, visibility: Q | None = None) -> CollectionExtent | None:
    return CollectionExtent.objects.filter(visibility or Q(), pk=identifier).first()


@dataclass(frozen=True)
class Source:
    """A published input of a product: where its item lives."""

    collection: str
    item_id: str


def sources_of(*, product_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[Source]]:
    """The published operational inputs of each product (derived_from links), for a whole page in one query."""
    if not product_ids:
        return {}
    visible = catalog_selectors.products_published().values_list("id", flat=True)
    rows = (catalog_selectors.products_by_ids(ids=product_ids).filter(inputs__in=visible)
            .values_list("id", "inputs__mission", "inputs__product_type", "inputs__name", "inputs__storage_key")
            .order_by("id", "inputs__name"))
    file_names = name_convention() == "prip"
    result: dict[uuid.UUID, list[Source]] = {}
    for product_id, mission, product_type, name, key in rows:
        item_id = delivered_file_name(name=name, storage_key=key) if file_names else name
        result.setdefault(product_id, []).append(Source(collection_id(mission, product_type), item_id))
    return result
