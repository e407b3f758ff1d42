"""GET /api/v1/monitoring/kpis/?from=&to=&pi_type= — timeliness and completeness per PI type (JSON, or CSV with
format=csv), failure rates per processor and the job backlog. Operators only."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from rs.monitoring import jobs_source
from rs.monitoring.api.csv_renderer import KpiCsvRenderer
from rs.monitoring.kpis import COMPLETENESS_DAYS, ESTIMATED_MISSING_SOURCE, PiTypeKpis, kpis_by_pi_type
from rs.monitoring.permissions import IsOperator
from rs.monitoring.pi_types import THRESHOLDS_S


class KpiQuery(serializers.Serializer[dict[str, Any]]):
    # "from" is a Python keyword: the field is declared under its public name below
    to = serializers.DateTimeField(required=False)
    pi_type = serializers.ChoiceField(choices=sorted(THRESHOLDS_S), required=False)

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        fields = super().get_fields()
        fields["from"] = serializers.DateTimeField(required=False)
        return fields

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        end = attrs.get("to") or timezone.now()
        start = attrs.get("from") or end - timedelta(days=1)
        if start >= end:
            raise serializers.ValidationError({"from": "must be before 'to'"})
        return {"start": start, "end": end, "pi_type": attrs.get("pi_type")}


def pi_type_payload(kpis: PiTypeKpis) -> dict[str, Any]:
    return {
        "pi_type": kpis.pi_type,
        "threshold_s": kpis.threshold_s,
        "generated": kpis.generated,
        "duplicates": kpis.duplicates,
        "published": kpis.published,
        "not_on_prip": kpis.not_on_prip,
        "on_time": kpis.on_time,
        "without_origin": kpis.without_origin,
        "estimated_missing": kpis.estimated_missing,
        "timeliness": kpis.timeliness,
        "completeness": {str(days): kpis.completeness(days) for days in COMPLETENESS_DAYS},
    }


def _outcomes_payload(outcomes: dict[str, dict[str, int]]) -> dict[str, dict[str, Any]]:
    payload = {}
    for processor, counts in sorted(outcomes.items()):
        succeeded, failed = counts.get("succeeded", 0), counts.get("failed", 0)
        payload[processor] = {"succeeded": succeeded, "failed": failed,
                              "failure_rate": failed / (succeeded + failed)}
    return payload


class KpiView(APIView):
    permission_classes = [IsOperator]
    renderer_classes = [JSONRenderer, KpiCsvRenderer]

    def get(self, request: Request) -> Response:
        query = KpiQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        start, end = query.validated_data["start"], query.validated_data["end"]
        rows = kpis_by_pi_type(start=start, end=end, pi_type=query.validated_data["pi_type"])
        return Response({
            "from": start.isoformat(),
            "to": end.isoformat(),
            "period_of": "catalogue date (created_at) of the products",
            "estimated_missing": ESTIMATED_MISSING_SOURCE,
            "pi_types": [pi_type_payload(row) for row in rows],
            "production": {
                "outcomes": _outcomes_payload(jobs_source.job_outcomes_by_processor(start=start, end=end)),
                "backlog": jobs_source.jobs_backlog(),
            },
        })
