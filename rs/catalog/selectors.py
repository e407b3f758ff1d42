"""Every read of the catalog with logic in it. Other apps read products only through these functions.

The module also names the catalog's model types that other apps may write in annotations (`Product`,
`ProductAsset`, `CatalogEvent`, re-exported in the explicit `import X as X` form). They import them from here
under `if TYPE_CHECKING:` only, never from rs.catalog.models: at run time they reach catalog rows through these
functions and rs.catalog.services (tests/test_app_boundaries.py checks both).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.contrib.gis.geos import GEOSGeometry
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum

from rs.catalog.choices import OPERATIONAL_SCOPE
from rs.catalog.models import CatalogEvent as CatalogEvent
from rs.catalog.models import DeletedProduct, Hold, ProductInput
from rs.catalog.models import Product as Product
from rs.catalog.models import ProductAsset as ProductAsset
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


def products_by_names(*, names: Iterable[str], scope: str = OPERATIONAL_SCOPE) -> dict[str, Product]:
    """The products of a scope among `names`, by name (one query on the unique name index)."""
    return {p.name: p for p in Product.objects.filter(scope=scope, name__in=list(names))}


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


def event_trace_id(*, event_id: int) -> uuid.UUID | None:
    """The trace id of one catalog event, None when there is no such event (one read by primary key)."""
    return CatalogEvent.objects.filter(pk=event_id).values_list("trace_id", flat=True).first()


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


# --- used by the lifecycle app ---------------------------------------------------------------------------------------


def products_due_for_eviction(
    *, now: datetime, limit: int, after: tuple[datetime, uuid.UUID] | None = None
) -> list[Product]:
    """Online products whose EvictionDate has passed, earliest first, keyset-paged after (date, id). Served by the
    partial index on eviction_date WHERE online: evicted products leave the predicate, so the cost follows what is
    due, never the history."""
    qs = Product.objects.filter(online=True, eviction_date__lte=now)
    if after is not None:
        date, pk = after
        qs = qs.filter(Q(eviction_date__gt=date) | Q(eviction_date=date, id__gt=pk))
    fields = ("id", "name", "mission", "family", "product_type", "timeliness", "eviction_date", "storage_key",
              "content_length", "publication_date")
    return list(qs.order_by("eviction_date", "id").only(*fields)[:limit])


def products_online_keys(*, product_ids: Iterable[uuid.UUID]) -> list[tuple[uuid.UUID, str]]:
    """(id, storage_key) of those of these products that are still online."""
    return list(Product.objects.filter(id__in=list(product_ids), online=True).values_list("id", "storage_key"))


def product_ids_online(*, product_ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
    """Those of these products that are still online (for a caller that already holds their keys)."""
    return set(Product.objects.filter(id__in=list(product_ids), online=True).values_list("id", flat=True))


def product_ids_held(*, product_ids: Iterable[uuid.UUID], product_types: Iterable[str], now: datetime
                     ) -> dict[uuid.UUID, str]:
    """Which of these products a live hold pins (on the product itself or on its type): id → the hold's reason."""
    live = Hold.objects.filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
    held: dict[uuid.UUID, str] = {}
    ids = list(product_ids)
    for pid, reason in live.filter(product_id__in=ids).values_list("product_id", "reason"):
        held[pid] = f"hold: {reason}"
    types = set(product_types)
    type_holds = dict(live.filter(product_type__in=types).values_list("product_type", "reason")) if types else {}
    if type_holds:
        for pid, ptype in Product.objects.filter(id__in=ids, product_type__in=list(type_holds)).values_list(
                "id", "product_type"):
            held.setdefault(pid, f"hold on {ptype}: {type_holds[ptype]}")
    return held


def family_online_bytes(*, family: str) -> int:
    """Bytes held by the online products of a family (index-only over the family's online products)."""
    total = Product.objects.filter(family=family, online=True).aggregate(total=Sum("content_length"))["total"]
    return int(total or 0)


def products_oldest_online(*, family: str, limit: int, exclude: Iterable[uuid.UUID] = ()) -> list[Product]:
    qs = Product.objects.filter(family=family, online=True).exclude(id__in=list(exclude))
    return list(qs.order_by("created_at", "id").only("id", "content_length", "product_type", "storage_key")[:limit])


def products_published_after(*, after_id: uuid.UUID | None, limit: int) -> list[Product]:
    """Published products in id order, a page at a time (for recomputing eviction dates)."""
    qs = Product.objects.filter(publication_date__isnull=False)
    if after_id is not None:
        qs = qs.filter(id__gt=after_id)
    return list(qs.order_by("id")[:limit])


def deleted_products_between(
    *, after: tuple[datetime, uuid.UUID] | None, before: datetime, limit: int
) -> list[DeletedProduct]:
    """DeletedProduct records in (deletion_date, id) order, strictly after a watermark (metadata purge)."""
    qs = DeletedProduct.objects.filter(deletion_date__lt=before)
    if after is not None:
        date, pk = after
        qs = qs.filter(Q(deletion_date__gt=date) | Q(deletion_date=date, id__gt=pk))
    return list(qs.order_by("deletion_date", "id").only("id", "deletion_date")[:limit])


def storage_owners(*, keys: Iterable[str]) -> dict[str, tuple[str, uuid.UUID, int]]:
    """For listed object keys: key → ("product" | "asset", product id, catalogued size)."""
    wanted = list(keys)
    owners: dict[str, tuple[str, uuid.UUID, int]] = {}
    for key, pid, size in Product.objects.filter(storage_key__in=wanted).values_list("storage_key", "id",
                                                                                     "content_length"):
        owners[key] = ("product", pid, size)
    for key, pid, size in ProductAsset.objects.filter(storage_key__in=wanted).values_list("storage_key",
                                                                                          "product_id",
                                                                                          "content_length"):
        owners[key] = ("asset", pid, size)
    return owners


def products_online_page(*, after_id: uuid.UUID | None, limit: int) -> list[tuple[uuid.UUID, str, int]]:
    """(id, storage key, size) of online stored products in id order, a page at a time (consistency check)."""
    qs = Product.objects.filter(online=True).exclude(storage_key="")
    if after_id is not None:
        qs = qs.filter(id__gt=after_id)
    return list(qs.order_by("id").values_list("id", "storage_key", "content_length")[:limit])


# --- used by production -----------------------------------------------------------------------------------------------


def products_for_selection() -> QuerySet[Product]:
    """Used by production: the products a processor may take as input (operational and online).

    Selection policies filter this on product_type and the validity or sensing columns, which the
    (product_type, validity_start, validity_stop) and (product_type, content_start) indexes serve."""
    return Product.objects.filter(scope=OPERATIONAL_SCOPE, online=True)


def product_columns_in_model_order(*, names: Iterable[str]) -> tuple[str, ...]:
    """Used by production: those of these product columns (attribute names) that exist, in the model's field order,
    which is the order the SQL compiler writes a product's selected columns in."""
    wanted = set(names)
    return tuple(f.attname for f in Product._meta.concrete_fields if f.attname in wanted)


def products_catalogued_between(
    *, product_types: Iterable[str], since: datetime | None, until: datetime
) -> QuerySet[Product]:
    """Used by production: operational products of the types catalogued in (since, until], oldest first
    (the (product_type, created_at) index); schedule-triggered rules collect their products with it."""
    qs = Product.objects.filter(scope=OPERATIONAL_SCOPE, product_type__in=list(product_types), created_at__lte=until)
    if since is not None:
        qs = qs.filter(created_at__gt=since)
    return qs.order_by("created_at", "id")


def product_attribute_values(*, product_id: uuid.UUID) -> dict[str, object]:
    """Used by production: a product's attributes as name → value (one query)."""
    from rs.catalog.models import ProductAttribute

    return {a.name: a.value for a in ProductAttribute.objects.filter(product_id=product_id)}


# --- reads for monitoring: base querysets that the KPIs, dashboards and alerts aggregate ---------------------------


def products_operational() -> QuerySet[Product]:
    """Every product of the operational catalogue (published or not; campaign outputs excluded)."""
    return Product.objects.filter(scope=OPERATIONAL_SCOPE)


def products_catalogued_in(*, start: datetime, end: datetime) -> QuerySet[Product]:
    return products_operational().filter(created_at__gte=start, created_at__lt=end)


def products_catalogued_in_flagging_duplicates(*, start: datetime, end: datetime) -> QuerySet[Product]:
    """The operational products catalogued in [start, end), each annotated `duplicate`: True when another
    operational product of the same platform, product type and sensing window, made by a different job, was
    catalogued before it (at the same instant, the lower id counts as earlier)."""
    earlier = products_operational().filter(
        platform=OuterRef("platform"), product_type=OuterRef("product_type"),
        content_start=OuterRef("content_start"), content_end=OuterRef("content_end"), job_id__isnull=False,
    ).exclude(job_id=OuterRef("job_id")).filter(
        Q(created_at__lt=OuterRef("created_at")) | Q(created_at=OuterRef("created_at"), id__lt=OuterRef("id"))
    )
    return products_catalogued_in(start=start, end=end).annotate(duplicate=Exists(earlier))


def products_published_in(*, start: datetime, end: datetime) -> QuerySet[Product]:
    return products_operational().filter(publication_date__gte=start, publication_date__lt=end)


def products_online() -> QuerySet[Product]:
    return Product.objects.filter(online=True)


def catalog_tables() -> dict[str, str]:
    """The database tables of the catalogue's main entities (for planner-estimate row counts)."""
    return {"product": Product._meta.db_table, "deleted_product": DeletedProduct._meta.db_table}


def lineage_edges(*, product_ids: Iterable[uuid.UUID], upstream: bool) -> set[tuple[uuid.UUID, uuid.UUID]]:
    """(input, output) pairs one step upstream (the inputs of `product_ids`) or downstream (what they fed)."""
    ids = list(product_ids)
    lookup = {"output_id__in": ids} if upstream else {"input_id__in": ids}
    return set(ProductInput.objects.filter(**lookup).values_list("input_id", "output_id"))


def lineage_edges_exist(*, product_ids: Iterable[uuid.UUID], upstream: bool) -> bool:
    ids = list(product_ids)
    lookup = {"output_id__in": ids} if upstream else {"input_id__in": ids}
    return ProductInput.objects.filter(**lookup).exists()


# --- used by the PRIP downloads ---------------------------------------------------------------------------------------

_DOWNLOAD_COLUMNS = ("name", "mission", "product_type", "storage_key", "content_length", "content_type", "md5",
                     "online", "eviction_date")


def product_download_facts(*, product_id: uuid.UUID) -> dict[str, Any] | None:
    """Used by the PRIP downloads: what serving a published product's bytes needs (one query by primary key)."""
    return products_published().filter(pk=product_id).values(*_DOWNLOAD_COLUMNS).first()


def product_deletion_date(*, product_id: uuid.UUID) -> datetime | None:
    """When a product was evicted or deleted (its DeletedProduct), None if it never was."""
    return DeletedProduct.objects.filter(pk=product_id).values_list("deletion_date", flat=True).first()


def published_asset_get(*, asset_id: uuid.UUID) -> ProductAsset | None:
    """An asset of a published product, with its product (one query)."""
    return (ProductAsset.objects.filter(product__in=products_published(), pk=asset_id)
            .select_related("product").first())


def published_asset_by_name(*, product_id: uuid.UUID, asset_type: str, name: str) -> ProductAsset | None:
    """A published product's asset of this type by file name, e.g. a quicklook image (one query)."""
    return (ProductAsset.objects.filter(product__in=products_published(), product_id=product_id, type=asset_type,
                                        name=name)
            .select_related("product").first())


def product_attribute_of(*, product_ids: Iterable[uuid.UUID], name: str) -> dict[uuid.UUID, object]:
    """Used by production: one attribute of several products, product id → value (one query on the
    (product, name) key; products without it are absent)."""
    from rs.catalog.models import ProductAttribute

    rows = ProductAttribute.objects.filter(product_id__in=list(product_ids), name=name)
    return {a.product_id: a.value for a in rows}
