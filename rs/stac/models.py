from __future__ import annotations

from django.db import models


class CollectionExtent(models.Model):
    """One STAC collection (a mission and a product type) and the extent of its published products.

    Grown by the catalog-event consumer as products are published or modified, rebuilt from the catalogue by
    `manage.py stac rebuild-extents`: the collection endpoints never scan the catalogue. Extents only grow between
    rebuilds (an evicted product's area stays covered), which STAC allows: an extent may be larger than the data.
    """

    id = models.CharField(primary_key=True, max_length=64, help_text="Collection id, e.g. sentinel-2-s2msi2a.")
    mission = models.CharField(max_length=2)
    product_type = models.CharField(max_length=32)
    west = models.FloatField(null=True, blank=True)
    south = models.FloatField(null=True, blank=True)
    east = models.FloatField(null=True, blank=True)
    north = models.FloatField(null=True, blank=True)
    start = models.DateTimeField(null=True, blank=True, help_text="Earliest sensing start.")
    end = models.DateTimeField(null=True, blank=True, help_text="Latest sensing stop.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["mission", "product_type"], name="stac_collection_unique")]

    def __str__(self) -> str:
        return self.id
