from rs.catalog.models.events import CatalogEvent, EventDelivery
from rs.catalog.models.lifecycle import DeletedProduct, Hold
from rs.catalog.models.products import Product, ProductAsset, ProductAttribute, ProductInput

__all__ = [
    "CatalogEvent",
    "DeletedProduct",
    "EventDelivery",
    "Hold",
    "Product",
    "ProductAsset",
    "ProductAttribute",
    "ProductInput",
]
