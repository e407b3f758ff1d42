from __future__ import annotations

from django.conf import settings
from django.contrib.gis.db import models
from django.db.models import Q

from rs.catalog.choices import DeletionCause


class DeletedProduct(models.Model):
    """What remains of an evicted or deleted product: its PRIP properties, the date and the cause (PRIP §12)."""

    id = models.UUIDField(primary_key=True, help_text="The Id the product had.")
    name = models.CharField(max_length=255)
    scope = models.CharField(max_length=64)
    mission = models.CharField(max_length=2)
    platform = models.CharField(max_length=1)
    family = models.CharField(max_length=32)
    product_type = models.CharField(max_length=32)
    production_type = models.CharField(max_length=32)
    content_type = models.CharField(max_length=64)
    content_length = models.BigIntegerField()
    origin_date = models.DateTimeField(null=True, blank=True)
    publication_date = models.DateTimeField(null=True, blank=True)
    modification_date = models.DateTimeField(null=True, blank=True)
    eviction_date = models.DateTimeField(null=True, blank=True)
    content_start = models.DateTimeField(null=True, blank=True)
    content_end = models.DateTimeField(null=True, blank=True)
    storage_key = models.CharField(max_length=1024, blank=True, default="")
    md5 = models.CharField(max_length=32, blank=True, default="")
    md5_date = models.DateTimeField(null=True, blank=True)
    blake3 = models.CharField(max_length=64, blank=True, default="")
    blake3_date = models.DateTimeField(null=True, blank=True)
    footprint = models.GeometryField(srid=4326, null=True, blank=True, spatial_index=True)
    attributes = models.JSONField(default=list, blank=True, help_text="[{name, type, value}] as they were.")
    deletion_date = models.DateTimeField()
    deletion_cause = models.CharField(max_length=32, choices=DeletionCause.choices)

    class Meta:
        indexes = [
            models.Index(fields=["deletion_date", "id"], name="deleted_date"),
            models.Index(fields=["product_type", "content_start"], name="deleted_type_start"),
            models.Index(fields=["content_start", "id"], name="deleted_start_id"),
            models.Index(fields=["name"], name="deleted_name"),
        ]

    def __str__(self) -> str:
        return self.name


class Hold(models.Model):
    """A pin that keeps products from eviction: one product, every product of a type, or the products of an order."""

    product = models.ForeignKey(
        "catalog.Product", null=True, blank=True, on_delete=models.CASCADE, related_name="holds"
    )
    product_type = models.CharField(max_length=32, blank=True, default="")
    order_ref = models.CharField(max_length=64, blank=True, default="", help_text="Production order reference.")
    reason = models.CharField(max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(product__isnull=False, product_type="", order_ref="")
                    | Q(product__isnull=True, product_type__gt="", order_ref="")
                    | Q(product__isnull=True, product_type="", order_ref__gt="")
                ),
                name="hold_exactly_one_target",
            )
        ]
        indexes = [
            models.Index(fields=["product_type"], name="hold_type", condition=~Q(product_type="")),
            models.Index(fields=["order_ref"], name="hold_order", condition=~Q(order_ref="")),
        ]

    def __str__(self) -> str:
        target = self.product_id or self.product_type or self.order_ref
        return f"hold on {target}: {self.reason}"
