"""What may not be evicted yet. Other apps register guards (production: inputs of unfinished jobs) so that the
lifecycle app does not depend on them; holds of the catalog are always applied."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from rs.catalog import selectors as catalog_selectors

if TYPE_CHECKING:
    from rs.catalog.selectors import Product

# A guard receives candidate products and returns the protected ones with the reason, in one query or a few.
EvictionGuard = Callable[[Sequence["Product"], datetime], Mapping[uuid.UUID, str]]

_guards: dict[str, EvictionGuard] = {}


def eviction_guard_register(name: str, guard: EvictionGuard) -> None:
    _guards[name] = guard


def eviction_guard_remove(name: str) -> None:
    _guards.pop(name, None)


def products_protected(products: Sequence[Product], *, now: datetime) -> dict[uuid.UUID, str]:
    """id → reason for every candidate that must stay (holds first, then the registered guards)."""
    if not products:
        return {}
    protected = catalog_selectors.product_ids_held(
        product_ids=[p.id for p in products], product_types={p.product_type for p in products}, now=now
    )
    for guard in _guards.values():
        for pid, reason in guard(products, now).items():
            protected.setdefault(pid, reason)
    return protected
