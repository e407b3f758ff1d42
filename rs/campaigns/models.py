"""Reference datasets: a named, versioned, immutable set of catalog products (inputs, and optionally reference
outputs) on which processor versions are tested. A change makes a new version, so a campaign always says exactly
which products it ran on."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from rs.campaigns.choices import DatasetRole


class ReferenceDataset(models.Model):
    name = models.CharField(max_length=64)
    version = models.PositiveIntegerField()
    description = models.TextField(blank=True, default="")
    selection = models.TextField(blank=True, default="",
                                 help_text="The OData $filter the inputs were picked with (empty: listed by name).")
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        ordering = ["name", "-version"]
        constraints = [models.UniqueConstraint(fields=["name", "version"], name="dataset_unique_name_version")]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"


class DatasetProduct(models.Model):
    dataset = models.ForeignKey(ReferenceDataset, on_delete=models.CASCADE, related_name="items")
    # PROTECT: a pinned product cannot be deleted under a dataset (the eviction guard keeps its bytes too); the
    # foreign key's own index serves the guard's lookup by product
    product = models.ForeignKey("catalog.Product", on_delete=models.PROTECT, related_name="+")
    role = models.CharField(max_length=16, choices=DatasetRole.choices)
    product_name = models.CharField(max_length=255, help_text="The name when pinned (kept for the reports).")
    product_type = models.CharField(max_length=32)

    class Meta:
        ordering = ["dataset", "role", "product_name"]
        constraints = [models.UniqueConstraint(fields=["dataset", "product"], name="dataset_product_unique")]

    def __str__(self) -> str:
        return f"{self.product_name} ({self.role})"
