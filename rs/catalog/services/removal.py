"""Products leaving the catalogue: eviction (one or a batch), deletion, removal of a campaign's scope, retention
changes and the metadata purge."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone

from rs.catalog import selectors
from rs.catalog.choices import (
    OPERATIONAL_SCOPE,
    PRIP_DELETION_CAUSES,
    DeletionCause,
    EventKind,
)
from rs.catalog.events import consumers_for
from rs.catalog.models import (
    DeletedProduct,
    Product,
    ProductAsset,
)
from rs.catalog.services.events import _deliveries_enqueue_many, _events_emit_many, event_emit
from rs.catalog.services.products import InvalidProduct, ProductNotFound, _event_payload, _locked

logger = logging.getLogger(__name__)


def _json_value(value: object) -> object:
    return value.isoformat() if isinstance(value, datetime) else value


def _deleted_product_record(product: Product, *, cause: str, at: datetime) -> DeletedProduct:
    DeletedProduct.objects.filter(id=product.id).delete()  # a product evicted and later deleted keeps one record
    record = _deleted_product_row(product, cause=cause, at=at)
    record.save(force_insert=True)
    return record


def _stored_objects_delete(product: Product, *, with_assets: bool) -> None:
    """Delete the bytes first: a crash after this and before the catalog commit is repaired by the next run, because
    the product is still online and deleting a missing object is a no-op."""
    from rs.catalog.storage import object_store

    store = object_store()
    if product.storage_key:
        store.delete(product.storage_key)
    if with_assets:
        for key in product.assets.values_list("storage_key", flat=True):
            store.delete(key)


def _cause_check(cause: str) -> None:
    if cause not in PRIP_DELETION_CAUSES:
        raise InvalidProduct(f"unknown deletion cause {str(cause)!r}: use one of "
                             f"{', '.join(sorted(repr(str(c)) for c in PRIP_DELETION_CAUSES))}")


def _removal_target(*, product_id: uuid.UUID, cause: str) -> Product:
    _cause_check(cause)
    try:
        return Product.objects.get(pk=product_id)
    except Product.DoesNotExist:
        raise ProductNotFound(f"no product {product_id}") from None


def product_evict(
    *, product_id: uuid.UUID, cause: str = DeletionCause.OBSOLETE, trace_id: uuid.UUID | None = None
) -> Product:
    """Remove the stored object of a product and keep its catalogue entry offline; records a DeletedProduct."""
    product = _removal_target(product_id=product_id, cause=cause)
    if not product.online:
        return product
    _stored_objects_delete(product, with_assets=False)
    with transaction.atomic():
        product = _locked(product_id)
        if not product.online:
            return product
        now = timezone.now()
        product.online = False
        product.save(update_fields=["online", "modification_date"])
        _deleted_product_record(product, cause=cause, at=now)
        event_emit(kind=EventKind.EVICTED, product_id=product.id, trace_id=trace_id,
                   payload={**_event_payload(product), "cause": cause})
    return product


def product_delete(
    *, product_id: uuid.UUID, cause: str = DeletionCause.OBSOLETE, trace_id: uuid.UUID | None = None
) -> DeletedProduct:
    """Remove a product entirely (object, assets, entry); what remains is its DeletedProduct record."""
    product = _removal_target(product_id=product_id, cause=cause)
    _stored_objects_delete(product, with_assets=True)
    with transaction.atomic():
        product = _locked(product_id)
        record = _deleted_product_record(product, cause=cause, at=timezone.now())
        payload = {**_event_payload(product), "cause": cause}
        product.delete()
        event_emit(kind=EventKind.DELETED, product_id=record.id, trace_id=trace_id, payload=payload)
    return record


# --- bulk lifecycle operations (eviction batches, retention changes, metadata purge) ----------------------------------


def products_evict(*, product_ids: Sequence[uuid.UUID], cause: str = DeletionCause.OBSOLETE) -> int:
    """Evict a batch: bulk-delete the objects, then in one transaction record the DeletedProducts of those whose
    object is gone, mark them offline and emit their events, a few statements per batch. Returns how many were
    evicted by this call.

    Deleting first is what makes a crash harmless: entries still online whose objects are gone are evicted by the
    next run (deleting a missing object is a no-op); nothing is ever offline with its bytes left behind. An object
    the store could not delete keeps its product online (and out of the records) for a later run; the others go.
    Products another worker is evicting (locked) are skipped, so several workers can run at once.
    """
    _cause_check(cause)
    candidates = selectors.products_online_keys(product_ids=product_ids)
    return products_evicted_record(product_ids=eviction_objects_delete(candidates=candidates), cause=cause)


def eviction_objects_delete(*, candidates: Sequence[tuple[uuid.UUID, str]]) -> list[uuid.UUID]:
    """The first half of `products_evict`, which touches only the object store (a thread may run it while the
    database records the previous batch): delete the objects of (id, storage_key) candidates, return the ids whose
    object is gone (or who had none)."""
    from rs.catalog.storage import object_store

    left = object_store().delete_each(key for _pid, key in candidates if key) if candidates else {}
    if left:
        key, reason = next(iter(left.items()))
        logger.warning("eviction: %d object(s) could not be deleted, their products stay online (e.g. %r: %s)",
                       len(left), key, reason)
    return [pid for pid, key in candidates if not key or key not in left]


def products_evicted_record(*, product_ids: Sequence[uuid.UUID], cause: str = DeletionCause.OBSOLETE) -> int:
    """The second half of `products_evict`, for products whose objects are gone: in one transaction, the
    DeletedProducts (INSERT … SELECT), the `evicted` events and their deliveries, the products offline. Returns how
    many were evicted (online, and not locked by another worker)."""
    _cause_check(cause)
    if not product_ids:
        return 0
    if connection.vendor != "postgresql":
        return _products_evicted_record_portable(product_ids=product_ids, cause=cause)
    from rs.catalog.eviction_records import deleted_records_write, evicted_events_write, products_offline

    with transaction.atomic():
        now = timezone.now()
        evicted = deleted_records_write(product_ids=product_ids, cause=cause, at=now)
        if not evicted:
            return 0
        consumers = consumers_for(EventKind.EVICTED)
        event_ids = evicted_events_write(product_ids=evicted, kind=EventKind.EVICTED, cause=cause, at=now,
                                         consumers=[c.name for c in consumers])
        products_offline(product_ids=evicted, at=now)
        if consumers:
            transaction.on_commit(lambda: _deliveries_enqueue_many(event_ids, consumers))
    return len(evicted)


def _products_evicted_record_portable(*, product_ids: Sequence[uuid.UUID], cause: str) -> int:
    """`products_evicted_record` on a database without PostgreSQL's SQL (the embedded SpatiaLite default): the same
    rows, built in Python."""
    with transaction.atomic():
        products = list(Product.objects.select_for_update(skip_locked=True)
                        .filter(id__in=list(product_ids), online=True).prefetch_related("attributes"))
        if not products:
            return 0
        now = timezone.now()
        ids = [p.id for p in products]
        Product.objects.filter(id__in=ids).update(online=False, modification_date=now)
        DeletedProduct.objects.filter(id__in=ids).delete()  # a re-eviction replaces its record
        DeletedProduct.objects.bulk_create([_deleted_product_row(p, cause=cause, at=now) for p in products])
        _events_emit_many(kind=EventKind.EVICTED,
                          payloads={p.id: {**_event_payload(p), "cause": cause} for p in products})
    return len(products)


def _deleted_product_row(product: Product, *, cause: str, at: datetime) -> DeletedProduct:
    return DeletedProduct(
        id=product.id, name=product.name, scope=product.scope, mission=product.mission, platform=product.platform,
        family=product.family, product_type=product.product_type, production_type=product.production_type,
        content_type=product.content_type, content_length=product.content_length, origin_date=product.origin_date,
        publication_date=product.publication_date, modification_date=product.modification_date,
        eviction_date=product.eviction_date, content_start=product.content_start, content_end=product.content_end,
        storage_key=product.storage_key, md5=product.md5, md5_date=product.md5_date, blake3=product.blake3,
        blake3_date=product.blake3_date, footprint=product.footprint,
        # in the order registered (as the PRIP lists a product's attributes), whatever order the database returns
        attributes=[{"name": a.name, "type": a.value_type, "value": _json_value(a.value)}
                    for a in sorted(product.attributes.all(), key=lambda a: a.pk)],
        deletion_date=at, deletion_cause=cause,
    )


def scoped_products_remove(*, product_ids: Sequence[uuid.UUID]) -> int:
    """Remove products of a scope other than the operational one entirely (objects, assets, entries), e.g. a
    deleted campaign's outputs, and emit `deleted`. Each removal is recorded like any deletion: a DeletedProduct of
    the product's scope with the cause SCOPE_REMOVED (replacing the record an earlier eviction left), which the PRIP
    and the subscriptions never show since they read the operational scope only. A product whose entry the metadata
    purge already removed keeps the record of its eviction. Objects go first, so a crash before the commit leaves
    entries whose objects are gone, which the next call removes (deleting a missing object is a no-op). Returns how
    many entries were removed."""
    candidates = list(Product.objects.filter(id__in=list(product_ids)).only("id", "scope", "storage_key"))
    operational = [str(p.id) for p in candidates if p.scope == OPERATIONAL_SCOPE]
    if operational:
        raise InvalidProduct(f"operational products are evicted or deleted, not removed: {', '.join(operational)}")
    if not candidates:
        return 0
    from rs.catalog.storage import object_store

    ids = [p.id for p in candidates]
    keys = [p.storage_key for p in candidates if p.storage_key]
    keys += [k for k in ProductAsset.objects.filter(product_id__in=ids).values_list("storage_key", flat=True) if k]
    object_store().delete_many(keys)
    cause = DeletionCause.SCOPE_REMOVED
    with transaction.atomic():
        products = list(Product.objects.select_for_update(skip_locked=True).filter(id__in=ids)
                        .prefetch_related("attributes"))
        removed = [p.id for p in products]
        now = timezone.now()
        DeletedProduct.objects.filter(id__in=removed).delete()  # the record of an earlier eviction is replaced
        DeletedProduct.objects.bulk_create([_deleted_product_row(p, cause=cause, at=now) for p in products])
        payloads = {p.id: {**_event_payload(p), "cause": str(cause)} for p in products}
        Product.objects.filter(id__in=removed).delete()
        _events_emit_many(kind=EventKind.DELETED, payloads=payloads)
    return len(payloads)


def products_eviction_dates_set(*, dates: Mapping[uuid.UUID, datetime | None]) -> int:
    """Store recomputed eviction dates (after a retention-policy change). EvictionDate is lifecycle bookkeeping,
    so no `modified` event is emitted for it."""
    rows = [Product(id=pid, eviction_date=date) for pid, date in dates.items()]
    return Product.objects.bulk_update(rows, ["eviction_date"], batch_size=1000)


def products_purge(*, product_ids: Sequence[uuid.UUID]) -> int:
    """Remove the entries of evicted products (their DeletedProduct records stay) and emit `deleted`."""
    with transaction.atomic():
        products = list(Product.objects.select_for_update(skip_locked=True)
                        .filter(id__in=list(product_ids), online=False))
        payloads = {p.id: {**_event_payload(p), "cause": "purged"} for p in products}
        Product.objects.filter(id__in=list(payloads)).delete()
        _events_emit_many(kind=EventKind.DELETED, payloads=payloads)
    return len(payloads)
