from django.contrib import admin
from django.urls import include, path

from rs import views
from rs.catalog.api.storage_views import signed_object_download

urlpatterns = [
    path("auth/", include("rs.access.urls")),
    path("", views.home, name="home"),
    path("", include("rs.web.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("rs.api.urls")),
    path("odata/v1/", include("rs.prip.urls")),
    path("stac/", include("rs.stac.urls")),
    path("storage/<str:token>", signed_object_download, name="storage-signed-download"),
    path("healthz", views.healthz, name="healthz"),
    path("", include("rs.monitoring.urls")),
]

# Errors no view answered: in the format of the API the path belongs to, Django's pages elsewhere.
handler400 = "rs.error_pages.bad_request"
handler403 = "rs.error_pages.permission_denied"
handler404 = "rs.error_pages.page_not_found"
handler500 = "rs.error_pages.server_error"
