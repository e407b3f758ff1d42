from __future__ import annotations

import json
from typing import Any

from rest_framework import serializers

from rs.catalog.models import CatalogEvent, Product, ProductAsset, ProductAttribute


class AttributeOutputSerializer(serializers.ModelSerializer[ProductAttribute]):
    value = serializers.SerializerMethodField(method_name="attribute_value")

    class Meta:
        model = ProductAttribute
        fields = ("name", "value_type", "value")

    def attribute_value(self, obj: ProductAttribute) -> Any:
        return obj.value


class AssetOutputSerializer(serializers.ModelSerializer[ProductAsset]):
    class Meta:
        model = ProductAsset
        fields = ("id", "type", "name", "content_type", "content_length", "md5")


class ProductListOutputSerializer(serializers.ModelSerializer[Product]):
    footprint = serializers.SerializerMethodField()

    class Meta:
        model = Product
        fields: tuple[str, ...] = (
            "id", "name", "scope", "mission", "platform", "family", "product_type", "level", "mode", "timeliness",
            "production_type", "content_length", "online", "origin_date", "publication_date", "modification_date",
            "eviction_date", "content_start", "content_end", "validity_start", "validity_stop", "md5", "blake3",
            "footprint", "job_id",
        )

    def get_footprint(self, obj: Product) -> dict[str, Any] | None:
        return json.loads(obj.footprint.json) if obj.footprint is not None else None


class ProductDetailOutputSerializer(ProductListOutputSerializer):
    attributes = AttributeOutputSerializer(many=True)
    assets = AssetOutputSerializer(many=True)
    inputs = serializers.SerializerMethodField()
    outputs = serializers.SerializerMethodField()

    class Meta(ProductListOutputSerializer.Meta):
        fields: tuple[str, ...] = (
            *ProductListOutputSerializer.Meta.fields, "attributes", "assets", "inputs", "outputs"
        )

    def get_inputs(self, obj: Product) -> list[dict[str, str]]:
        return [{"id": str(p.id), "name": p.name} for p in obj.inputs.all()]

    def get_outputs(self, obj: Product) -> list[dict[str, str]]:
        return [{"id": str(p.id), "name": p.name} for p in obj.outputs.all()]


class EventOutputSerializer(serializers.ModelSerializer[CatalogEvent]):
    class Meta:
        model = CatalogEvent
        fields = ("id", "kind", "product_id", "trace_id", "created_at", "payload", "dispatched_at")


class ProductFilterInputSerializer(serializers.Serializer[Any]):
    mission = serializers.ChoiceField(choices=["S1", "S2", "S3"], required=False)
    product_type = serializers.CharField(required=False, max_length=32)
    sensing_from = serializers.DateTimeField(required=False)
    sensing_to = serializers.DateTimeField(required=False)
    name_startswith = serializers.CharField(required=False, max_length=255)
    bbox = serializers.CharField(required=False, help_text="west,south,east,north in degrees")

    def validate_bbox(self, value: str) -> tuple[float, float, float, float]:
        try:
            west, south, east, north = (float(v) for v in value.split(","))
        except ValueError:
            raise serializers.ValidationError("bbox is four comma-separated numbers: west,south,east,north") from None
        if not (-180 <= west <= 180 and -180 <= east <= 180 and -90 <= south < north <= 90):
            raise serializers.ValidationError("bbox is out of range (lon -180..180, lat -90..90, south < north)")
        return west, south, east, north
