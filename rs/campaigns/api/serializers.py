"""Input and output shapes of /api/v1/campaigns/."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from rs.campaigns.choices import CampaignState
from rs.campaigns.models import Campaign, CampaignRun, CampaignVersion, DatasetProduct, ReferenceDataset


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


class CampaignInputSerializer(serializers.Serializer[Any]):
    """Types only: the service checks the values and names the field of each refusal."""

    name = serializers.CharField(max_length=200)
    dataset = serializers.IntegerField()
    versions = serializers.ListField(child=serializers.DictField(), min_length=1, max_length=20)
    rule = serializers.CharField(required=False, default="", allow_blank=True, max_length=64)
    repetitions = serializers.IntegerField(required=False, default=1)
    tolerances = serializers.DictField(required=False, default=dict)


class CampaignOutputSerializer(serializers.ModelSerializer[Campaign]):
    dataset = serializers.SerializerMethodField()
    created_by = serializers.CharField(source="created_by.username", default=None, read_only=True)
    jobs_total = serializers.IntegerField(read_only=True)
    jobs_open = serializers.IntegerField(read_only=True)
    jobs_failed = serializers.IntegerField(read_only=True)
    state = serializers.SerializerMethodField()
    report = serializers.SerializerMethodField()

    class Meta:
        model = Campaign
        fields = ["id", "name", "dataset", "template_rule", "repetitions", "tolerances", "created_at", "created_by",
                  "state", "jobs_total", "jobs_open", "jobs_failed", "report"]

    def get_dataset(self, campaign: Campaign) -> dict[str, Any]:
        return {"id": campaign.dataset_id, "name": campaign.dataset.name, "version": campaign.dataset.version}

    def get_state(self, campaign: Campaign) -> str:
        if campaign.state == CampaignState.DELETING:
            return "deleting"
        return "running" if getattr(campaign, "jobs_open", 0) else "finished"

    def get_report(self, campaign: Campaign) -> str:
        return f"/api/v1/campaigns/{campaign.pk}/report/"


class CampaignRunOutputSerializer(serializers.ModelSerializer[CampaignRun]):
    version = serializers.CharField(source="version.label")
    rule = serializers.CharField(source="rule.name", default=None)
    jobs_total = serializers.IntegerField(read_only=True)
    jobs_open = serializers.IntegerField(read_only=True)

    class Meta:
        model = CampaignRun
        fields = ["id", "version", "repetition", "scope", "rule", "jobs_total", "jobs_open", "skipped"]


class CampaignVersionOutputSerializer(serializers.ModelSerializer[CampaignVersion]):
    processor = serializers.CharField(source="processor_version.processor.name")
    version = serializers.CharField(source="processor_version.version")

    class Meta:
        model = CampaignVersion
        fields = ["position", "label", "processor_version_id", "processor", "version", "parameters"]
