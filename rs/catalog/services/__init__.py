"""Every write to the catalog. Keyword-only, atomic, and each change emits its catalog event in the same transaction.

Other apps call these functions (`from rs.catalog import services`); they never save catalog models themselves.
The package is split by what is written: events (the outbox), products (registration, publication, updates,
assets, holds) and removal (eviction, deletion, retention changes, purge).
"""

from __future__ import annotations

from rs.catalog.services.events import (
    DELIVERY_CHUNK,
    delivery_retry,
    event_deliver,
    event_emit,
    events_deliver,
    events_purge,
    events_redispatch,
)
from rs.catalog.services.products import (
    MAX_NAME_LENGTH,
    UPDATABLE_FIELDS,
    AssetNotFound,
    Checksums,
    InvalidProduct,
    NewAsset,
    ProductAlreadyExists,
    ProductMetadata,
    ProductNotFound,
    ProductRegistration,
    asset_add,
    asset_remove,
    asset_replace,
    hold_create,
    hold_release,
    product_attributes_set,
    product_publish,
    product_register,
    product_update,
    products_register,
)
from rs.catalog.services.removal import (
    eviction_objects_delete,
    product_delete,
    product_evict,
    products_evict,
    products_evicted_record,
    products_eviction_dates_set,
    products_purge,
    scoped_products_remove,
)

__all__ = [
    "DELIVERY_CHUNK",
    "MAX_NAME_LENGTH",
    "UPDATABLE_FIELDS",
    "AssetNotFound",
    "Checksums",
    "InvalidProduct",
    "NewAsset",
    "ProductAlreadyExists",
    "ProductMetadata",
    "ProductNotFound",
    "ProductRegistration",
    "asset_add",
    "asset_remove",
    "asset_replace",
    "delivery_retry",
    "event_deliver",
    "event_emit",
    "events_deliver",
    "events_purge",
    "events_redispatch",
    "eviction_objects_delete",
    "hold_create",
    "hold_release",
    "product_attributes_set",
    "product_delete",
    "product_evict",
    "product_publish",
    "product_register",
    "product_update",
    "products_evict",
    "products_evicted_record",
    "products_eviction_dates_set",
    "products_purge",
    "products_register",
    "scoped_products_remove",
]
