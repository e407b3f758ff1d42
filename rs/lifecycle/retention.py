"""Retention policies compiled once per process and matched against products (first match wins).

Processes notice a policy change through a version stamp in the shared cache, so a publication costs one cache
read, not a query of the policy table.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.core.cache import cache
from django.utils import timezone

if TYPE_CHECKING:
    from rs.catalog.selectors import Product

VERSION_KEY = "lifecycle-retention-version"


@dataclass(frozen=True)
class CompiledPolicy:
    id: int
    name: str
    position: int
    mission: str
    family: str
    product_type: re.Pattern[str] | None
    name_pattern: re.Pattern[str] | None
    timeliness: str
    retention_days: int | None
    action: str

    def matches(self, *, name: str, mission: str, family: str, product_type: str, timeliness: str) -> bool:
        return (
            (not self.mission or self.mission == mission)
            and (not self.family or self.family == family)
            and (not self.timeliness or self.timeliness == timeliness)
            and (self.product_type is None or self.product_type.match(product_type) is not None)
            and (self.name_pattern is None or self.name_pattern.match(name) is not None)
        )


_compiled: tuple[str, list[CompiledPolicy]] | None = None


def policies_compiled() -> list[CompiledPolicy]:
    global _compiled
    version = cache.get(VERSION_KEY) or "initial"
    if _compiled is not None and _compiled[0] == version:
        return _compiled[1]
    from rs.lifecycle.models import RetentionPolicy

    compiled = [
        CompiledPolicy(
            id=p.pk, name=p.name, position=p.position, mission=p.mission, family=p.family,
            product_type=re.compile(p.product_type_regex) if p.product_type_regex else None,
            name_pattern=re.compile(p.name_regex) if p.name_regex else None,
            timeliness=p.timeliness, retention_days=p.retention_days, action=p.action,
        )
        for p in RetentionPolicy.objects.filter(enabled=True).order_by("position", "id")
    ]
    _compiled = (version, compiled)
    return compiled


def policies_version_bump() -> None:
    cache.set(VERSION_KEY, uuid.uuid4().hex, None)


def policy_of_product(product: Product, policies: list[CompiledPolicy] | None = None) -> CompiledPolicy | None:
    """The first matching rule; pass `policies` (from policies_compiled()) when matching many products at once."""
    return next(
        (p for p in (policies if policies is not None else policies_compiled())
         if p.matches(name=product.name, mission=product.mission, family=product.family,
                      product_type=product.product_type, timeliness=product.timeliness)),
        None,
    )


def eviction_date_for(product: Product, policies: list[CompiledPolicy] | None = None) -> datetime | None:
    """Publication + the matching policy's days; None (kept for ever) without a policy or with empty days."""
    policy = policy_of_product(product, policies)
    if policy is None or policy.retention_days is None:
        return None
    return (product.publication_date or timezone.now()) + timedelta(days=policy.retention_days)


def eviction_dates_for(products: Sequence[Product]) -> list[datetime | None]:
    """eviction_date_for of each product, the policies (and their version in the cache) read once for them all."""
    policies = policies_compiled()
    return [eviction_date_for(product, policies) for product in products]
