"""Reads of the STAC app: its collections, and the lineage of items as the catalogue's page query returns it."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q

from rs.catalog.query.entries import CatalogEntry
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


def sources_of(entry: CatalogEntry) -> list[Source]:
    """The published operational inputs of a product (derived_from links), as its page query fetched them
    (PageRequest.with_sources), by name."""
    file_names = name_convention() == "prip"
    return [Source(collection_id(ref.mission, ref.product_type),
                   delivered_file_name(name=ref.name, storage_key=ref.storage_key) if file_names else ref.name)
            for ref in entry.sources or ()]
