"""Every read of the catalog with logic in it. Other apps read products only through these functions."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.contrib.gis.geos import GEOSGeometry
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db.models import Count, QuerySet

from rs.catalog.choices import OPERATIONAL_SCOPE
from rs.catalog.models import CatalogEvent, Product
from rs.errors import NotFound


def product_get(*, product_id: uuid.UUID) -> Product:
    try:
        return Product.objects.get(pk=product_id)
    except (Product.DoesNotExist, ValueError, ValidationError):
        raise NotFound(f"no product {product_id}") from None


def product_get_by_name(*, name: str, scope: str = OPERATIONAL_SCOPE) -> Product:
    try:
        return Product.objects.get(scope=scope, name=name)
    except Product.DoesNotExist:
        raise NotFound(f"no product named {name!r} in {scope}") from None


def products_by_ids(*, ids: Iterable[uuid.UUID]) -> QuerySet[Product]:
    return Product.objects.filter(id__in=list(ids))


def products_published() -> QuerySet[Product]:
    """What PRIP and STAC may show: operational and published."""
    return Product.objects.filter(scope=OPERATIONAL_SCOPE, publication_date__isnull=False)


def product_search(
    *,
    mission: str | None = None,
    product_type: str | None = None,
    sensing_from: datetime | None = None,
    sensing_to: datetime | None = None,
    intersects: GEOSGeometry | None = None,
    name_startswith: str | None = None,
    scope: str | None = OPERATIONAL_SCOPE,
    published_only: bool = False,
) -> QuerySet[Product]:
    """Operator search; each criterion maps onto an index (type+start btree, GiST footprint, name btree)."""
    qs = products_published() if published_only else Product.objects.all()
    if scope is not None:
        qs = qs.filter(scope=scope)
    if mission:
        qs = qs.filter(mission=mission)
    if product_type:
        qs = qs.filter(product_type=product_type)
    if sensing_from:
        qs = qs.filter(content_end__gte=sensing_from)
    if sensing_to:
        qs = qs.filter(content_start__lte=sensing_to)
    if intersects is not None:
        qs = qs.filter(footprint__intersects=intersects)
    if name_startswith:
        qs = qs.filter(name__startswith=name_startswith)
    return qs


def product_with_details(*, product_id: uuid.UUID) -> Product:
    """One product with attributes, assets and lineage loaded in a fixed number of queries."""
    qs = Product.objects.prefetch_related("attributes", "assets", "inputs", "outputs")
    try:
        return qs.get(pk=product_id)
    except (Product.DoesNotExist, ValueError, ValidationError):
        raise NotFound(f"no product {product_id}") from None


def events_of_product(*, product_id: uuid.UUID) -> QuerySet[CatalogEvent]:
    return CatalogEvent.objects.filter(product_id=product_id).order_by("created_at", "id")


def events_recent(*, product_id: uuid.UUID | str | None = None) -> QuerySet[CatalogEvent]:
    qs = CatalogEvent.objects.all()
    return qs.filter(product_id=product_id) if product_id else qs


def product_types_known() -> list[str]:
    """Distinct product types in the catalog (admin filter); read from the (type, start) index, cached 5 minutes."""

    def compute() -> list[str]:
        return list(Product.objects.order_by("product_type").values_list("product_type", flat=True).distinct())

    types: list[str] | None = cache.get_or_set("catalog-product-types", compute, 300)
    return types if types is not None else compute()


def catalog_summary() -> dict[str, Any]:
    """Counts for the landing page; cached for a minute because counting grows with the catalog."""

    def compute() -> dict[str, Any]:
        by_mission = list(
            Product.objects.filter(scope=OPERATIONAL_SCOPE).values("mission").annotate(count=Count("id"))
            .order_by("mission")
        )
        published = Product.objects.filter(scope=OPERATIONAL_SCOPE, publication_date__isnull=False).count()
        return {
            "products": sum(row["count"] for row in by_mission),
            "published": published,
            "by_mission": by_mission,
        }

    summary: dict[str, Any] | None = cache.get_or_set("catalog-summary", compute, 60)
    return summary if summary is not None else compute()


def latest_footprints(*, limit: int = 200) -> dict[str, Any]:
    """GeoJSON FeatureCollection of the most recently published products (landing-page map)."""
    features = []
    for product in (
        products_published().filter(footprint__isnull=False)
        .only("id", "name", "product_type", "mission", "content_start", "footprint")
        .order_by("-publication_date", "-id")[:limit]
    ):
        assert product.footprint is not None
        features.append({
            "type": "Feature",
            "geometry": json.loads(product.footprint.json),
            "properties": {
                "id": str(product.id), "name": product.name, "product_type": product.product_type,
                "mission": product.mission,
                "start": product.content_start.isoformat() if product.content_start else None,
            },
        })
    return {"type": "FeatureCollection", "features": features}
