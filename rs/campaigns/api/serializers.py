"""Input and output shapes of /api/v1/campaigns/."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from rs.campaigns.models import DatasetProduct, ReferenceDataset


class DatasetInputSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=64)
    description = serializers.CharField(required=False, default="", allow_blank=True, max_length=10_000)
    input_filter = serializers.CharField(required=False, default="", allow_blank=True, max_length=20_000)
    input_names = serializers.ListField(child=serializers.CharField(max_length=255), required=False, default=list,
                                        max_length=2000)
    reference_filter = serializers.CharField(required=False, default="", allow_blank=True, max_length=20_000)
    reference_names = serializers.ListField(child=serializers.CharField(max_length=255), required=False,
                                            default=list, max_length=2000)


class DatasetItemOutputSerializer(serializers.ModelSerializer[DatasetProduct]):
    class Meta:
        model = DatasetProduct
        fields = ["product_id", "product_name", "product_type", "role"]


class DatasetOutputSerializer(serializers.ModelSerializer[ReferenceDataset]):
    input_count = serializers.IntegerField(read_only=True)
    reference_count = serializers.IntegerField(read_only=True)
    created_by = serializers.CharField(source="created_by.username", default=None, read_only=True)

    class Meta:
        model = ReferenceDataset
        fields = ["id", "name", "version", "description", "selection", "created_at", "created_by", "input_count",
                  "reference_count"]
