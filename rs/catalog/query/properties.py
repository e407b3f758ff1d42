"""The OData properties each queryable entity set offers: type, column, nullability, whether it can be ordered."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Entity(enum.Enum):
    PRODUCTS = "Products"
    DELETED_PRODUCTS = "DeletedProducts"


class Kind(enum.Enum):
    STRING = "Edm.String"
    GUID = "Edm.Guid"
    INT64 = "Edm.Int64"
    DATETIME = "Edm.DateTimeOffset"
    BOOLEAN = "Edm.Boolean"
    COLLECTION = "OData.CSC.Collection"  # Collection/Name: derived from the mission, compared case-insensitively
    PRODUCTION_TYPE = "OData.CSC.ProductionType"


@dataclass(frozen=True)
class PropertySpec:
    name: str
    kind: Kind
    column: str
    nullable: bool = False
    # EvictionDate: null is stored for "kept forever" and shown as 9999-12-31T23:59:59.999999Z; filters and ordering
    # treat it as that largest instant so that they agree with the JSON.
    null_is_max: bool = False
    orderable: bool = False


_COMMON = (
    PropertySpec("Id", Kind.GUID, "id", orderable=True),
    PropertySpec("Name", Kind.STRING, "name", orderable=True),
    PropertySpec("ContentType", Kind.STRING, "content_type"),
    PropertySpec("ContentLength", Kind.INT64, "content_length", orderable=True),
    PropertySpec("OriginDate", Kind.DATETIME, "origin_date", nullable=True, orderable=True),
    PropertySpec("PublicationDate", Kind.DATETIME, "publication_date", orderable=True),
    PropertySpec("ModificationDate", Kind.DATETIME, "modification_date", nullable=True, orderable=True),
    PropertySpec("EvictionDate", Kind.DATETIME, "eviction_date", nullable=True, null_is_max=True, orderable=True),
    PropertySpec("ContentDate/Start", Kind.DATETIME, "content_start", nullable=True, orderable=True),
    PropertySpec("ContentDate/End", Kind.DATETIME, "content_end", nullable=True, orderable=True),
    PropertySpec("Collection/Name", Kind.COLLECTION, "mission"),
    PropertySpec("ProductionType", Kind.PRODUCTION_TYPE, "production_type"),
)

PRODUCT_PROPERTIES: dict[str, PropertySpec] = {
    p.name: p
    for p in (
        *_COMMON,
        PropertySpec("Online", Kind.BOOLEAN, "online"),
        PropertySpec("S3Path", Kind.STRING, "storage_key"),
    )
}

DELETED_PRODUCT_PROPERTIES: dict[str, PropertySpec] = {
    p.name: p
    for p in (
        *_COMMON,
        PropertySpec("DeletionDate", Kind.DATETIME, "deletion_date", orderable=True),
        PropertySpec("DeletionCause", Kind.STRING, "deletion_cause"),
    )
}

DEFAULT_ORDER_PROPERTY = {Entity.PRODUCTS: "PublicationDate", Entity.DELETED_PRODUCTS: "DeletionDate"}


def entity_properties(entity: Entity) -> dict[str, PropertySpec]:
    return PRODUCT_PROPERTIES if entity is Entity.PRODUCTS else DELETED_PRODUCT_PROPERTIES
