from __future__ import annotations

import pytest

from rs.catalog.models import Product
from rs.stac import services
from rs.stac.tests import catalog as stac_catalog


@pytest.fixture
def catalog(db: None) -> dict[str, Product]:
    """The STAC suite's catalogue (rs/stac/tests/catalog.py) with its collections rebuilt."""
    products = stac_catalog.build()
    services.collection_extents_rebuild()
    return products
