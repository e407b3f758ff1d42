from django.urls import URLResolver, include, path

from rs.urls import urlpatterns as project_urlpatterns

_mounted = any(isinstance(p, URLResolver) and p.app_name == "stac" for p in project_urlpatterns)
urlpatterns = [*project_urlpatterns, *([] if _mounted else [path("stac/", include("rs.stac.urls"))])]
