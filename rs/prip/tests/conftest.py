from __future__ import annotations

import pytest

from rs.catalog.models import Product
from rs.prip.tests import catalog as reference


@pytest.fixture
def catalog(db: None) -> dict[str, Product]:
    """The reference catalog (rs/prip/tests/catalog.py): ten visible products, one unpublished, one in a campaign."""
    return reference.build()
