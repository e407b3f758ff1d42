"""The eviction guard of the campaigns app: products pinned by a reference dataset stay online."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from rs.campaigns import selectors

if TYPE_CHECKING:
    from rs.catalog.selectors import Product


def dataset_products_protected(products: Sequence[Product], now: datetime) -> Mapping[uuid.UUID, str]:
    pinned = selectors.datasets_pinning(product_ids=[p.id for p in products])
    return {pid: "pinned by reference dataset " + ", ".join(names) for pid, names in pinned.items()}
