"""Products with chosen OriginDate and PublicationDate, built through the catalog services."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from rs.catalog import services as catalog_services
from rs.catalog.tests import factories

T0 = datetime(2025, 3, 1, 10, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


def product_published_after(latency: timedelta | None, *, timeliness: str = "NRT", **kwargs):
    """A product with OriginDate T0, published `latency` later (None: never published)."""
    product = factories.product(publish=False, origin_date=T0, timeliness=timeliness, **kwargs)
    if latency is not None:
        product = catalog_services.product_publish(product_id=product.id, at=T0 + latency)
    return product
