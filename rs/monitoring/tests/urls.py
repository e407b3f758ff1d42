"""The project's URLs plus the monitoring routes, as rs/urls.py and rs/api/urls.py will have them once wired."""

from django.urls import include, path

from rs.urls import urlpatterns as project_urlpatterns

urlpatterns = [
    path("", include("rs.monitoring.urls")),
    path("api/v1/monitoring/", include("rs.monitoring.api.urls")),
    *project_urlpatterns,
]
