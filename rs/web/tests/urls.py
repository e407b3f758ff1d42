"""The project's URLs plus the web client's, for tests run before rs/urls.py includes rs.web.urls."""

from django.urls import URLResolver, include, path

from rs.urls import urlpatterns as project_urlpatterns


def _includes_web(patterns: list) -> bool:  # type: ignore[type-arg]
    return any(isinstance(p, URLResolver) and getattr(p, "app_name", None) == "web" for p in patterns)


urlpatterns = list(project_urlpatterns)
if not _includes_web(urlpatterns):
    urlpatterns.append(path("", include("rs.web.urls")))
