from __future__ import annotations

import uuid

from django.contrib.gis.db import models
from django.db.models import Q

from rs.catalog.choices import (
    OPERATIONAL_SCOPE,
    AssetType,
    AttributeType,
    Mission,
    ProcessingLevel,
    ProductFamily,
    ProductionType,
)


class Product(models.Model):
    """One Sentinel product or auxiliary file: the catalogue entry of one stored object.

    Rows are written only through `rs.catalog.services`. A product is visible to PRIP and STAC when it is in the
    operational scope and has a publication date; validation campaigns keep their outputs in their own scope.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=255, help_text="Product name, CDSE convention (no archive suffix).")
    scope = models.CharField(
        max_length=64, default=OPERATIONAL_SCOPE, help_text="'operational' or the id of a validation campaign."
    )

    mission = models.CharField(max_length=2, choices=Mission.choices)
    platform = models.CharField(max_length=1, help_text="Satellite unit A-D, or '_' for files valid for every unit.")
    family = models.CharField(max_length=32, choices=ProductFamily.choices)
    product_type = models.CharField(max_length=32)
    level = models.CharField(max_length=8, choices=ProcessingLevel.choices)
    mode = models.CharField(max_length=16, blank=True, default="")
    instrument_configuration_id = models.IntegerField(null=True, blank=True)
    timeliness = models.CharField(max_length=16, blank=True, default="")
    production_type = models.CharField(
        max_length=32, choices=ProductionType.choices, default=ProductionType.SYSTEMATIC
    )

    content_type = models.CharField(max_length=64, default="application/octet-stream")
    content_length = models.BigIntegerField(help_text="Bytes of the downloadable object.")
    storage_key = models.CharField(
        max_length=1024, blank=True, default="", help_text="Object key; '' if metadata only."
    )
    online = models.BooleanField(default=True)

    origin_date = models.DateTimeField(null=True, blank=True, help_text="t0: all inputs available at the pickup point.")
    generation_date = models.DateTimeField(null=True, blank=True)
    publication_date = models.DateTimeField(null=True, blank=True, help_text="Null while unpublished (invisible).")
    modification_date = models.DateTimeField(auto_now=True)
    eviction_date = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, help_text="When the entry was catalogued.")

    content_start = models.DateTimeField(null=True, blank=True, help_text="Sensing start (ContentDate/Start).")
    content_end = models.DateTimeField(null=True, blank=True, help_text="Sensing stop (ContentDate/End).")
    validity_start = models.DateTimeField(null=True, blank=True, help_text="Validity start of an aux file.")
    validity_stop = models.DateTimeField(null=True, blank=True, help_text="Validity stop of an aux file.")

    md5 = models.CharField(max_length=32, blank=True, default="")
    md5_date = models.DateTimeField(null=True, blank=True)
    blake3 = models.CharField(max_length=64, blank=True, default="")
    blake3_date = models.DateTimeField(null=True, blank=True)

    # (Multi)Polygon split at the antimeridian and counter-clockwise, LineString for WV/RF L0 nadir lines, null for
    # files without geometry. Planar geometry on lon/lat keeps the GiST index usable (a geography cast would not).
    footprint = models.GeometryField(srid=4326, null=True, blank=True, spatial_index=True)
    # The cloudCover attribute again, typed, so that the most common optical search (type + period + cloud cover)
    # is one index range on the product table instead of a probe of millions of attribute rows. Written by
    # rs.catalog.services and the bulk load from the attribute itself; null when the product has none.
    cloud_cover = models.FloatField(null=True, blank=True, help_text="Value of the cloudCover attribute (percent).")

    job_id = models.BigIntegerField(null=True, blank=True, help_text="Production job that made this product.")
    inputs: models.ManyToManyField[Product, ProductInput] = models.ManyToManyField(
        "self", through="ProductInput", symmetrical=False, related_name="outputs", blank=True
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scope", "name"], name="product_unique_name_in_scope"),
            models.CheckConstraint(condition=Q(content_length__gte=0), name="product_content_length_not_negative"),
            models.CheckConstraint(
                condition=(
                    Q(content_start__isnull=True)
                    | Q(content_end__isnull=True)
                    | Q(content_end__gte=models.F("content_start"))
                ),
                name="product_content_dates_ordered",
            ),
        ]
        indexes = [
            models.Index(fields=["product_type", "content_start"], name="product_type_start"),
            models.Index(fields=["product_type", "validity_start", "validity_stop"], name="product_type_validity"),
            # Selection policies that bound the validity stop first (LatestValCover, ClosestStopValidity).
            models.Index(fields=["product_type", "validity_stop", "validity_start"], name="product_type_validity_stop"),
            models.Index(fields=["product_type", "created_at"], name="product_type_created"),
            # Keyset paging of the PRIP: published operational products by publication date, id as tie-breaker.
            models.Index(
                fields=["publication_date", "id"],
                name="product_published",
                condition=Q(publication_date__isnull=False, scope=OPERATIONAL_SCOPE),
            ),
            models.Index(fields=["content_start", "id"], name="product_start_id"),
            # What PRIP and STAC see (published, operational): counts of a period are index-only, and the newest
            # products of a type are one index range.
            models.Index(fields=["content_start", "id"], name="product_published_start",
                         condition=Q(publication_date__isnull=False, scope=OPERATIONAL_SCOPE)),
            models.Index(fields=["product_type", "publication_date", "id"], name="product_type_published",
                         condition=Q(publication_date__isnull=False, scope=OPERATIONAL_SCOPE)),
            # Optical searches: a type, a sensing period and a cloud-cover bound, all three index conditions.
            models.Index(fields=["product_type", "content_start", "cloud_cover"], name="product_type_start_cloud",
                         condition=Q(publication_date__isnull=False, scope=OPERATIONAL_SCOPE,
                                     cloud_cover__isnull=False)),
            # Every other date a PRIP client filters or orders on (eodag's `updated` is ModificationDate).
            models.Index(fields=["content_end", "id"], name="product_end_id"),
            models.Index(fields=["modification_date", "id"], name="product_modified_id"),
            models.Index(fields=["origin_date", "id"], name="product_origin_id"),
            models.Index(fields=["eviction_date"], name="product_eviction", condition=Q(online=True)),
            models.Index(fields=["job_id"], name="product_job", condition=Q(job_id__isnull=False)),
            # Storage pressure: the online products of a family, oldest first, and their total size.
            models.Index(fields=["family", "created_at", "content_length"], name="product_family_online",
                         condition=Q(online=True)),
            # Consistency check: which product owns a listed object.
            models.Index(fields=["storage_key"], name="product_storage_key", condition=~Q(storage_key="")),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_published(self) -> bool:
        return self.publication_date is not None


class ProductInput(models.Model):
    """Lineage edge: `output` was made from `input`."""

    output = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="input_links")
    input = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="output_links")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["output", "input"], name="product_input_unique")]
        indexes = [models.Index(fields=["input"], name="product_input_input")]


class ProductAttribute(models.Model):
    """A typed metadata attribute (OData.CSC.<Type>Attribute). Exactly one value column is set, the one of its type."""

    # No index of its own: the unique (product, name) index serves lookups by product (one index less per row,
    # which bulk loads feel).
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="attributes", db_index=False)
    name = models.CharField(max_length=64)
    value_type = models.CharField(max_length=16, choices=AttributeType.choices)
    value_string = models.TextField(null=True, blank=True)
    value_integer = models.BigIntegerField(null=True, blank=True)
    value_double = models.FloatField(null=True, blank=True)
    value_boolean = models.BooleanField(null=True, blank=True)
    value_datetime = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["product", "name"], name="attribute_unique_name"),
            models.CheckConstraint(
                condition=(
                    Q(value_type=AttributeType.STRING, value_string__isnull=False)
                    | Q(value_type=AttributeType.INTEGER, value_integer__isnull=False)
                    | Q(value_type=AttributeType.DOUBLE, value_double__isnull=False)
                    | Q(value_type=AttributeType.BOOLEAN, value_boolean__isnull=False)
                    | Q(value_type=AttributeType.DATETIME, value_datetime__isnull=False)
                ),
                name="attribute_value_matches_type",
            ),
        ]
        # Filters on an attribute (Attributes/…/any(att: att/Name eq … and att/Value op …)) probe (name, value),
        # then join to the product; one partial index per value column keeps each small.
        indexes = [
            models.Index(fields=["name", "value_string", "product"], name="attr_string",
                         condition=Q(value_string__isnull=False)),
            models.Index(fields=["name", "value_integer", "product"], name="attr_integer",
                         condition=Q(value_integer__isnull=False)),
            models.Index(fields=["name", "value_double", "product"], name="attr_double",
                         condition=Q(value_double__isnull=False)),
            models.Index(fields=["name", "value_datetime", "product"], name="attr_datetime",
                         condition=Q(value_datetime__isnull=False)),
            models.Index(fields=["name", "value_boolean", "product"], name="attr_boolean",
                         condition=Q(value_boolean__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"{self.name}={self.value!r}"

    @property
    def value(self) -> object:
        return {
            AttributeType.STRING: self.value_string,
            AttributeType.INTEGER: self.value_integer,
            AttributeType.DOUBLE: self.value_double,
            AttributeType.BOOLEAN: self.value_boolean,
            AttributeType.DATETIME: self.value_datetime,
        }[AttributeType(self.value_type)]


class ProductAsset(models.Model):
    """A file that belongs to a product but is served on its own (quicklook image, report)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="assets")
    type = models.CharField(max_length=16, choices=AssetType.choices)
    name = models.CharField(max_length=255, help_text="File name of the asset, e.g. quick-look.png.")
    storage_key = models.CharField(max_length=1024)
    content_type = models.CharField(max_length=64)
    content_length = models.BigIntegerField()
    md5 = models.CharField(max_length=32, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["product", "name"], name="asset_unique_name")]
        indexes = [models.Index(fields=["storage_key"], name="asset_storage_key")]

    def __str__(self) -> str:
        return f"{self.product_id}/{self.name}"
