"""The operator API under /api/v1/: every app contributes its router entries here."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import DefaultRouter

from rs.campaigns.api.views import CampaignViewSet, DatasetViewSet
from rs.catalog.api.views import CatalogEventViewSet, ProductViewSet
from rs.ingestion.api.views import InboxStatusViewSet, QuarantineViewSet, SessionViewSet
from rs.production.api.orders import OrderViewSet
from rs.production.api.views import JobViewSet, PlanViewSet, ProcessorVersionViewSet, RuleViewSet

router = DefaultRouter()
router.register("products", ProductViewSet, basename="product")
router.register("events", CatalogEventViewSet, basename="catalog-event")
router.register("production/processors", ProcessorVersionViewSet, basename="production-processor")
router.register("production/rules", RuleViewSet, basename="production-rule")
router.register("production/jobs", JobViewSet, basename="production-job")
router.register("production/plan", PlanViewSet, basename="production-plan")
router.register("production/orders", OrderViewSet, basename="production-order")
router.register("campaigns/datasets", DatasetViewSet, basename="campaign-dataset")
router.register("campaigns", CampaignViewSet, basename="campaign")  # after datasets: its own URLs come first
router.register("ingestion/inboxes", InboxStatusViewSet, basename="ingestion-inbox")
router.register("ingestion/sessions", SessionViewSet, basename="ingestion-session")
router.register("ingestion/quarantine", QuarantineViewSet, basename="ingestion-quarantine")

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("monitoring/", include("rs.monitoring.api.urls")),
    path("", include(router.urls)),
]
