"""Operator API of the campaigns app under /api/v1/campaigns/: reference datasets (list, create, detail)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from rs.campaigns import selectors, services
from rs.campaigns.api.serializers import (
    DatasetInputSerializer,
    DatasetItemOutputSerializer,
    DatasetOutputSerializer,
)
from rs.campaigns.models import ReferenceDataset
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
