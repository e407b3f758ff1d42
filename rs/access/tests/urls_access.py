"""rs.urls plus the access endpoints (the line for rs/urls.py: path("auth/", include("rs.access.urls")))."""

from django.urls import include, path

from rs.urls import urlpatterns as project_urlpatterns

urlpatterns = [path("auth/", include("rs.access.urls")), *project_urlpatterns]
