"""Project-level monitoring endpoints that are not part of the operator API: readiness and Prometheus metrics."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST

from rs.monitoring.exposition import metrics_text
from rs.monitoring.readiness import OK, readiness


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness: 200 when the database, the broker and the storage answer, else 503 with each one's status."""
    checks = readiness()
    ready = all(check.status == OK for check in checks.values())
    payload = {
        "status": "ready" if ready else "not ready",
        "checks": {name: check.as_dict() for name, check in checks.items()},
    }
    return JsonResponse(payload, status=200 if ready else 503)


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus exposition. Unauthenticated like /healthz: restrict /metrics to the scraper at the proxy."""
    return HttpResponse(metrics_text(), content_type=CONTENT_TYPE_LATEST)
