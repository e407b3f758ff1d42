"""Operator API of the campaigns app under /api/v1/campaigns/: reference datasets (list, create, detail) and
campaigns (list, start, detail, report as JSON or a downloadable HTML document)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponse
from django.template.loader import render_to_string
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from rs.api.permissions import IsOperator
from rs.campaigns import selectors, services
from rs.campaigns.api.serializers import (
    CampaignInputSerializer,
    CampaignOutputSerializer,
    CampaignRunOutputSerializer,
    CampaignVersionOutputSerializer,
    DatasetInputSerializer,
    DatasetItemOutputSerializer,
    DatasetOutputSerializer,
)
from rs.campaigns.models import Campaign, ReferenceDataset
from rs.campaigns.rendering import report_context
from rs.campaigns.report import campaign_report
from rs.errors import NotFound
from rs.production.api.views import StaffForWrites


class DatasetViewSet(viewsets.ReadOnlyModelViewSet[ReferenceDataset]):
    """Reference datasets, newest first; POST pins a new version (version 1 for a new name)."""

    serializer_class = DatasetOutputSerializer
    permission_classes = [StaffForWrites]

    def get_queryset(self) -> QuerySet[ReferenceDataset]:
        return selectors.datasets()

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        try:
            dataset_id = int(kwargs["pk"])
        except ValueError:
            raise NotFound(f"no reference dataset {kwargs['pk']!r}") from None
        dataset = selectors.dataset_get(dataset_id=dataset_id)
        body = dict(DatasetOutputSerializer(dataset).data)
        body["products"] = DatasetItemOutputSerializer(selectors.dataset_items(dataset_id=dataset_id), many=True).data
        return Response(body)

    @extend_schema(request=DatasetInputSerializer, responses=DatasetOutputSerializer)
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        params = DatasetInputSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        dataset = services.dataset_create(request=services.DatasetRequest(
            name=data["name"], description=data["description"], input_filter=data["input_filter"],
            input_names=tuple(data["input_names"]), reference_filter=data["reference_filter"],
            reference_names=tuple(data["reference_names"])), created_by_id=request.user.pk)
        return Response(DatasetOutputSerializer(selectors.dataset_get(dataset_id=dataset.pk)).data,
                        status=status.HTTP_201_CREATED)


class CampaignViewSet(viewsets.ReadOnlyModelViewSet[Campaign]):
    """Validation campaigns, newest first; POST starts one (its jobs run at once, isolated from operations), DELETE
    starts the deletion of a finished one (done by a worker)."""

    serializer_class = CampaignOutputSerializer
    permission_classes = [IsOperator]
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self) -> QuerySet[Campaign]:
        return selectors.campaigns()

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        campaign = selectors.campaign_get(campaign_id=int(kwargs["pk"]))
        body = dict(CampaignOutputSerializer(campaign).data)
        body["versions"] = CampaignVersionOutputSerializer(
            campaign.versions.select_related("processor_version__processor"), many=True).data
        body["runs"] = CampaignRunOutputSerializer(selectors.campaign_runs(campaign_id=campaign.pk), many=True).data
        return Response(body)

    @extend_schema(request=CampaignInputSerializer, responses=CampaignOutputSerializer)
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        params = CampaignInputSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        campaign = services.campaign_start(request=services.CampaignRequest(
            name=data["name"], dataset_id=data["dataset"], versions=data["versions"], rule_name=data["rule"],
            repetitions=data["repetitions"], tolerances=data["tolerances"], created_by_id=request.user.pk))
        return Response(CampaignOutputSerializer(selectors.campaign_get(campaign_id=campaign.pk)).data,
                        status=status.HTTP_201_CREATED)

    @extend_schema(responses={202: CampaignOutputSerializer, 404: OpenApiTypes.OBJECT,
                              409: OpenApiTypes.OBJECT},
                   description="Start the deletion of a finished campaign with its outputs, rules and jobs (the "
                               "dataset stays): the campaign is marked `deleting` and a worker deletes it; 202 with "
                               "the campaign (state `deleting`), then GET answers 404 once it is gone. 409 while a "
                               "job is unfinished; deleting again while it is being deleted changes nothing (202).")
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Start the deletion of a finished campaign (in the background); 409 while a job is unfinished."""
        campaign = services.campaign_delete_request(campaign_id=int(kwargs["pk"]))
        return Response(CampaignOutputSerializer(campaign).data, status=status.HTTP_202_ACCEPTED)

    @action(detail=True, methods=["get"])
    def report(self, request: Request, pk: str | None = None) -> Response:
        """The report as JSON (`?download=1`: as a file)."""
        body = campaign_report(campaign_id=int(str(pk)))
        response = Response(body)
        if request.query_params.get("download"):
            response["Content-Disposition"] = f'attachment; filename="campaign-{pk}-report.json"'
        return response

    @action(detail=True, methods=["get"], url_path="report/html")
    def report_html(self, request: Request, pk: str | None = None) -> HttpResponse:
        """The report as one self-contained HTML document, to download and keep."""
        body = campaign_report(campaign_id=int(str(pk)))
        html = render_to_string("campaigns/report.html", report_context(body))
        response = HttpResponse(html, content_type="text/html; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="campaign-{pk}-report.html"'
        return response
