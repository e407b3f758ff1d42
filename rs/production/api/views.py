"""Operator API of production under /api/v1/production/: processors (import, diff), rules, jobs ("why is this job
waiting?", JobOrder, cancel, retry) and the dry-run plan. Views validate and call selectors and services."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from rs.errors import NotFound
from rs.production import planning, selectors, services
from rs.production.api.serializers import (
    DiffInputSerializer,
    JobFilterInputSerializer,
    JobOutputSerializer,
    LogFilterInputSerializer,
    LogLineOutputSerializer,
    PlanInputSerializer,
    ProcessorImportInputSerializer,
    ProcessorVersionOutputSerializer,
    RuleOutputSerializer,
    TaskRunOutputSerializer,
    tasktable_json,
)
from rs.production.models import Job, ProcessorVersion, ProductionRule


class StaffForWrites(permissions.BasePermission):
    """Reading needs an account; importing processors and acting on jobs needs a staff account."""

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        return request.method in permissions.SAFE_METHODS or bool(user.is_staff)


class ProcessorVersionViewSet(viewsets.ReadOnlyModelViewSet[ProcessorVersion]):
    """Imported Task Tables, newest first; POST a Task Table file to add a version."""

    serializer_class = ProcessorVersionOutputSerializer
    permission_classes = [StaffForWrites]

    def get_queryset(self) -> QuerySet[ProcessorVersion]:
        return selectors.processor_versions()

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        version = selectors.processor_version_by_id(version_id=_id(kwargs["pk"], "processor version"))
        body = dict(ProcessorVersionOutputSerializer(version).data)
        body["tasktable"] = tasktable_json(selectors.processor_tasktable(version=version))
        return Response(body)

    @extend_schema(request=ProcessorImportInputSerializer, responses=ProcessorVersionOutputSerializer)
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        params = ProcessorImportInputSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        version = services.processor_import(data=params.validated_data["file"].read(),
                                            dialect=params.validated_data["dialect"],
                                            imported_by_id=request.user.pk)
        return Response(ProcessorVersionOutputSerializer(version).data, status=status.HTTP_201_CREATED)

    @extend_schema(parameters=[DiffInputSerializer], responses={200: OpenApiTypes.OBJECT})
    @action(detail=True, methods=["get"])
    def diff(self, request: Request, pk: str) -> Response:
        params = DiffInputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        after = selectors.processor_version_by_id(version_id=_id(pk, "processor version"))
        before = selectors.processor_version_by_id(version_id=params.validated_data["against"])
        changes = selectors.processor_diff(before=before, after=after)
        return Response({
            "before": ProcessorVersionOutputSerializer(before).data,
            "after": ProcessorVersionOutputSerializer(after).data,
            "changes": [{"section": c.section, "key": c.key, "kind": c.kind, "before": c.before, "after": c.after,
                         "text": str(c)} for c in changes],
        })


class RuleFilterInputSerializer(serializers.Serializer[Any]):
    include_orders = serializers.BooleanField(required=False, default=False,
                                              help_text="Also list the rules ad-hoc orders own (order-<id>).")


class RuleViewSet(viewsets.ReadOnlyModelViewSet[ProductionRule]):
    """Production rules (edited in the admin)."""

    serializer_class = RuleOutputSerializer

    def get_queryset(self) -> QuerySet[ProductionRule]:
        if self.action != "list":  # an order's rule is still readable by its id
            return selectors.rules(include_orders=True)
        params = RuleFilterInputSerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        return selectors.rules(**params.validated_data)

    @extend_schema(parameters=[RuleFilterInputSerializer])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)


class JobViewSet(viewsets.ReadOnlyModelViewSet[Job]):
    """Production jobs, newest first; `?state=waiting_inputs` lists the waiting ones."""

    serializer_class = JobOutputSerializer
    permission_classes = [StaffForWrites]

    def get_queryset(self) -> QuerySet[Job]:
        params = JobFilterInputSerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        return selectors.jobs(**params.validated_data)

    @extend_schema(parameters=[JobFilterInputSerializer])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(JobOutputSerializer(selectors.job_get(job_id=_job_id(kwargs["pk"]))).data)

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    @action(detail=True, methods=["get"])
    def why(self, request: Request, pk: str) -> Response:
        """Why is this job waiting: per input the query, the candidates found, what is missing, when it gives up."""
        return Response(selectors.job_why(job_id=_job_id(pk)))

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    @action(detail=True, methods=["get"])
    def joborder(self, request: Request, pk: str) -> Response:
        job = selectors.job_get(job_id=_job_id(pk))
        return Response({"job": job.pk, "state": job.state, "joborder": job.joborder})

    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str) -> Response:
        return Response(JobOutputSerializer(services.job_cancel(job_id=_job_id(pk))).data)

    @action(detail=True, methods=["post"])
    def retry(self, request: Request, pk: str) -> Response:
        """A failed job prepared and run again; a job waiting for its automatic retry sent at once."""
        return Response(JobOutputSerializer(services.job_retry(job_id=_job_id(pk))).data)

    @action(detail=True, methods=["post"])
    def resubmit(self, request: Request, pk: str) -> Response:
        """A new job over the same products as a finished one (201, the new job)."""
        job = services.job_resubmit(job_id=_job_id(pk))
        return Response(JobOutputSerializer(selectors.job_get(job_id=job.pk)).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: TaskRunOutputSerializer(many=True)})
    @action(detail=True, methods=["get"])
    def runs(self, request: Request, pk: str) -> Response:
        """Every task of every run: exit code, outcome, wall and CPU time, peak memory."""
        runs = selectors.job_task_runs(job_id=_job_id(pk))
        return Response(TaskRunOutputSerializer(runs, many=True).data)

    @extend_schema(parameters=[LogFilterInputSerializer], responses={200: OpenApiTypes.OBJECT})
    @action(detail=True, methods=["get"])
    def log(self, request: Request, pk: str) -> Response:
        """One page of a run's log (latest run by default); continue with ?after=<next_after>."""
        params = LogFilterInputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        lines = list(selectors.job_log(job_id=_job_id(pk), **params.validated_data))
        return Response({"lines": LogLineOutputSerializer(lines, many=True).data,
                         "next_after": lines[-1].seq if lines else None})

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    @action(detail=True, methods=["get"])
    def outputs(self, request: Request, pk: str) -> Response:
        """Registered outputs (product ids, keys, checksums) and, for a failed job, the missing output types."""
        return Response(selectors.job_outputs(job_id=_job_id(pk)))


def _id(value: str, what: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise NotFound(f"no {what} {value!r}") from None


def _job_id(value: str) -> int:
    return _id(value, "job")


class PlanViewSet(viewsets.ViewSet):
    """Dry run: POST {"product_id": …} or {"start": …, "stop": …} → the jobs it would create, nothing created."""

    serializer_class = PlanInputSerializer

    @extend_schema(request=PlanInputSerializer, responses={200: OpenApiTypes.OBJECT})
    def create(self, request: Request) -> Response:
        params = PlanInputSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        if "product_id" in data:
            plan = planning.plan_for_product(product_id=data["product_id"])
        else:
            plan = planning.plan_for_window(start=data["start"], stop=data["stop"])
        return Response(plan.as_json())
