"""Writes of the STAC app: the collection extents, grown per catalog event or rebuilt from the catalogue."""

from __future__ import annotations

import uuid
from datetime import datetime

from django.contrib.gis.db.models import Extent
from django.db import IntegrityError, transaction
from django.db.models import F, Max, Min, Value
from django.db.models.functions import Coalesce, Greatest, Least

from rs.catalog import selectors as catalog_selectors
from rs.catalog.choices import OPERATIONAL_SCOPE
from rs.errors import NotFound
from rs.stac.collection_ids import collection_id
from rs.stac.models import CollectionExtent

BBox = tuple[float, float, float, float]


def _clamped(extent: tuple[float, float, float, float]) -> BBox:
    """A nadir line across ±180° is stored unwrapped (longitudes beyond 180): clamp to the STAC range."""
    west, south, east, north = extent
    return max(-180.0, west), max(-90.0, south), min(180.0, east), min(90.0, north)


def _grow(value: float | datetime | None, column: str, function: type[Least] | type[Greatest]) -> object:
    if value is None:
        return F(column)
    return function(Coalesce(F(column), Value(value)), Value(value))


@transaction.atomic
def collection_extent_grow(*, product_id: uuid.UUID) -> bool:
    """Widen the extent of the product's collection to cover it; False when the product is not (or no longer)
    published and operational. Concurrent calls are safe: the row is created once, then widened in SQL."""
    try:
        product = catalog_selectors.product_get(product_id=product_id)
    except NotFound:
        return False
    if product.publication_date is None or product.scope != OPERATIONAL_SCOPE:
        return False
    identifier = collection_id(product.mission, product.product_type)
    try:
        with transaction.atomic():  # savepoint: a concurrent creation leaves this transaction usable
            CollectionExtent.objects.get_or_create(
                pk=identifier, defaults={"mission": product.mission, "product_type": product.product_type})
    except IntegrityError:
        pass
    bbox: BBox | tuple[None, None, None, None] = (None, None, None, None)
    if product.footprint is not None and not product.footprint.empty:
        bbox = _clamped(product.footprint.extent)
    CollectionExtent.objects.filter(pk=identifier).update(
        west=_grow(bbox[0], "west", Least), south=_grow(bbox[1], "south", Least),
        east=_grow(bbox[2], "east", Greatest), north=_grow(bbox[3], "north", Greatest),
        start=_grow(product.content_start, "start", Least), end=_grow(product.content_end, "end", Greatest),
    )
    return True


@transaction.atomic
def collection_extents_rebuild() -> int:
    """Recompute every collection from the published products (one aggregate over the catalogue, for operators:
    after installing the app, or to shrink extents after evictions). Returns the number of collections."""
    rows = (catalog_selectors.products_published().order_by().values("mission", "product_type")
            .annotate(area=Extent("footprint"), first=Min("content_start"), last=Max("content_end")))
    extents = []
    for row in rows:
        area = _clamped(row["area"]) if row["area"] is not None else (None, None, None, None)
        extents.append(CollectionExtent(
            id=collection_id(row["mission"], row["product_type"]), mission=row["mission"],
            product_type=row["product_type"], west=area[0], south=area[1], east=area[2], north=area[3],
            start=row["first"], end=row["last"],
        ))
    CollectionExtent.objects.all().delete()
    CollectionExtent.objects.bulk_create(extents)
    return len(extents)
