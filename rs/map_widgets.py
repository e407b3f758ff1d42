"""GeoDjango map widgets that work without internet access.

Django's stock ``OpenLayersWidget`` loads OpenLayers from a CDN and draws its base layer from NASA's tile servers; on
an offline deployment the admin then shows an empty box. ``OfflineMapWidget`` uses the copies that ``npm run build``
puts in frontend/dist/ (served as static files): OpenLayers under ``vendor/ol/`` and the Natural Earth countries under
``rs/basemap/``.
"""

from __future__ import annotations

from typing import Any

from django.contrib.gis import admin as gis_admin
from django.contrib.gis.forms import widgets as gis_widgets
from django.forms.renderers import BaseRenderer, TemplatesSetting
from django.utils.safestring import SafeString

# rs/templates/ is a project template directory (settings.TEMPLATES DIRS). Django's default form renderer searches
# only the templates of installed apps, so the widget renders with the project's template settings instead.
_PROJECT_TEMPLATES = TemplatesSetting()


class OfflineMapWidget(gis_widgets.OpenLayersWidget):
    """OpenLayers editing widget over the bundled Natural Earth basemap (EPSG:3857), for any geometry type."""

    template_name = "gis/rs_openlayers.html"
    # Sizes in pixels; the admin's own CSS makes maps 600 x 400.
    map_width = 600
    map_height = 400
    # An empty field shows the whole world rather than MapWidget's default zoom 12 on (0, 0), which is open sea.
    default_lon = 0
    default_lat = 20
    default_zoom = 1

    class Media:
        extend = False  # the parent's Media are the CDN copies
        css = {"all": ("vendor/ol/ol.css", "gis/css/ol3.css")}
        js = ("vendor/ol/ol.js", "gis/js/OLMapWidget.js")

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__()
        for key in ("map_width", "map_height", "default_lon", "default_lat", "default_zoom"):
            self.attrs[key] = getattr(self, key)
        if attrs:
            self.attrs.update(attrs)

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: BaseRenderer | None = None
    ) -> SafeString:
        return super().render(name, value, attrs, _PROJECT_TEMPLATES)


class OfflineGISModelAdmin(gis_admin.GISModelAdmin):
    """Base admin for models with geometry fields: edits them on the offline map."""

    gis_widget = OfflineMapWidget  # type: ignore[assignment]  # django-stubs types this as an instance, Django uses a class
    gis_widget_kwargs = {"attrs": {"map_width": 800, "map_height": 400}}
