"""Where a product's EvictionDate comes from, without the catalog depending on the lifecycle app.

The lifecycle app registers the provider (its retention policies) when Django starts; the catalog asks it when a
product is published, so the `published` event and the PRIP entry carry the date from the first moment.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rs.catalog.models import Product

# The dates of a batch of products, in their order: one look at the policies for the whole batch.
EvictionDateProvider = Callable[[Sequence["Product"]], "list[datetime | None]"]

_provider: EvictionDateProvider | None = None


def eviction_date_provider_register(provider: EvictionDateProvider) -> None:
    global _provider
    _provider = provider


def eviction_date_of(product: Product) -> datetime | None:
    """None means kept for ever (and no provider means no retention is configured)."""
    return eviction_dates_of([product])[0]


def eviction_dates_of(products: Sequence[Product]) -> list[datetime | None]:
    """The EvictionDate of each product (see eviction_date_of), for a batch published together."""
    if _provider is None or not products:
        return [None] * len(products)
    return _provider(products)
