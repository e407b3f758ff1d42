"""rs.urls with views that fail outside any API's own error translation, one under each prefix and one page."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from rs import urls as project


def fail(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("secret internals: /srv/rs/settings.py line 42")


handler400 = project.handler400
handler403 = project.handler403
handler404 = project.handler404
handler500 = project.handler500

urlpatterns = [
    path("api/v1/failing", fail),
    path("odata/v1/failing", fail),
    path("stac/failing", fail),
    path("failing", fail),
    *project.urlpatterns,
]
