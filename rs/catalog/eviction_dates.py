"""Where a product's EvictionDate comes from, without the catalog depending on the lifecycle app.

The lifecycle app registers the provider (its retention policies) when Django starts; the catalog asks it when a
product is published, so the `published` event and the PRIP entry carry the date from the first moment.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rs.catalog.models import Product

EvictionDateProvider = Callable[["Product"], "datetime | None"]

_provider: EvictionDateProvider | None = None


def eviction_date_provider_register(provider: EvictionDateProvider) -> None:
    global _provider
    _provider = provider


def eviction_date_of(product: Product) -> datetime | None:
    """None means kept for ever (and no provider means no retention is configured)."""
    return _provider(product) if _provider is not None else None
