"""The offline front end: the built static files, the GeoDjango map widget and the web client's map module.

Needs the frontend build (scripts/setup.sh, or `cd frontend && npm ci && npm run build`). The browser tests open the
pages in headless Chromium with every host but 127.0.0.1 unresolvable, and read back from the page itself which
resources it requested. The web client's pages themselves are tested against a live server in tests/test_web_*.py.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from html import unescape
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from django.contrib.admin import AdminSite
from django.contrib.auth.models import Group
from django.contrib.gis.db import models as gis_models
from django.contrib.gis.geos import LineString, MultiPolygon, Polygon
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.test import RequestFactory

from rs.map_widgets import OfflineGISModelAdmin, OfflineMapWidget

BASEMAP = "rs/basemap/countries-50m.geojson"
WEB_MODULES = ("search-page", "ops-page", "ops-panels", "ops-ingestion", "ops-monitoring", "map", "geometry", "odata",
               "search-form", "results", "details", "dom", "format", "http")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"

# A footprint already split at the antimeridian (as the catalogue stores them), plus a line and a small polygon.
SPLIT_FOOTPRINT = MultiPolygon(
    Polygon(((170, -25), (180, -25), (180, -10), (170, -10), (170, -25))),
    Polygon(((-180, -25), (-170, -25), (-170, -10), (-180, -10), (-180, -25))),
    srid=4326,
)
FOOTPRINTS: dict[str, Any] = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "geometry": json.loads(SPLIT_FOOTPRINT.geojson),
            "properties": {"id": 1, "name": "S1A_IW_GRDH_1SDV_20240101T101010_20240101T101035_051234_062F5A_1A2B",
                           "product_type": "IW_GRDH_1S", "mission": "S1", "start": "2024-01-01T10:10:10Z"},
        },
        {
            "type": "Feature",
            "geometry": {"type": "LineString", "coordinates": [[0, 40], [20, 50], [40, 45]]},
            "properties": {"id": 2, "name": "S3A_OL_1_EFR____</script><b>bold</b>",
                           "product_type": "OL_1_EFR___", "mission": "S3", "start": "2024-01-02T00:00:00Z"},
        },
        {
            "type": "Feature",
            "geometry": {"type": "Polygon", "coordinates": [[[5, 45], [10, 45], [10, 50], [5, 50], [5, 45]]]},
            "properties": {"id": 3, "name": "S2B_MSIL1C_20240103T103309_N0510_R108_T32TLQ_20240103T112233",
                           "product_type": "S2MSI1C", "mission": "S2", "start": "2024-01-03T10:33:09Z"},
        },
    ],
}

def static_file(path: str) -> Path:
    found = finders.find(path)
    assert found, f"static file {path} missing: build the frontend (cd frontend && npm ci && npm run build)"
    return Path(found)


def home_page() -> str:
    request = RequestFactory().get("/")
    context = {"collections": ["SENTINEL-1", "SENTINEL-2", "SENTINEL-3"], "tile_url": "", "tile_attribution": "",
               "client": {"authenticated": False, "staff": False, "loginUrl": "/login/"}}
    return render_to_string("home.html", context, request=request)


# --- Build output ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["vendor/ol/ol.js", "vendor/ol/ol.css", "vendor/leaflet/leaflet.js", "vendor/leaflet/leaflet.css",
     "vendor/leaflet/images/marker-icon.png", BASEMAP, "rs/rs.css", *(f"rs/web/{m}.js" for m in WEB_MODULES)],
)
def test_the_build_puts_the_file_among_the_static_files(path):
    assert static_file(path).stat().st_size > 0


def test_the_basemap_is_a_feature_collection_of_natural_earth_countries():
    countries = json.loads(static_file(BASEMAP).read_text())
    assert countries["type"] == "FeatureCollection"
    assert len(countries["features"]) >= 170
    names = {f["properties"]["name"] for f in countries["features"]}
    assert {"Russia", "Fiji", "Antarctica", "France", "Brazil"} <= names


def test_no_basemap_ring_jumps_across_the_antimeridian_except_along_a_pole():
    countries = json.loads(static_file(BASEMAP).read_text())
    jumps = []
    for country in countries["features"]:
        geometry = country["geometry"]
        polygons = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
        for ring in (ring for polygon in polygons for ring in polygon):
            for (lon0, lat0), (lon1, lat1) in pairwise(ring):
                if abs(lon1 - lon0) > 180 and not (abs(lat0) == abs(lat1) == 90):
                    jumps.append((country["properties"]["name"], (lon0, lat0), (lon1, lat1)))
    assert jumps == []


def test_our_own_scripts_and_styles_fetch_nothing_from_the_internet():
    for path in ("rs/rs.css", *(f"rs/web/{m}.js" for m in WEB_MODULES)):
        assert re.findall(r"https?://", static_file(path).read_text()) == [], path


# --- Map widget ------------------------------------------------------------------------------------------------------


def test_the_widget_media_are_local_static_files():
    media = str(OfflineMapWidget().media)
    assert "http" not in media and "//" not in media
    for path in ("vendor/ol/ol.js", "vendor/ol/ol.css", "gis/js/OLMapWidget.js", "gis/css/ol3.css"):
        assert f'"/static/{path}"' in media
        static_file(path)


@pytest.mark.parametrize(
    ("geom_type", "value", "geom_name"),
    [
        ("GEOMETRY", SPLIT_FOOTPRINT, "Geometry"),
        ("MULTIPOLYGON", SPLIT_FOOTPRINT, "MultiPolygon"),
        ("POLYGON", Polygon(((0, 0), (10, 0), (10, 10), (0, 0)), srid=4326), "Polygon"),
        ("LINESTRING", LineString((0, 40), (20, 50), srid=4326), "LineString"),
        ("GEOMETRY", LineString((0, 40), (20, 50), srid=4326), "Geometry"),
        ("GEOMETRY", None, "Geometry"),
    ],
)
def test_the_widget_draws_on_the_bundled_basemap(geom_type, value, geom_name):
    html = OfflineMapWidget(attrs={"geom_type": geom_type}).render("footprint", value, attrs={"id": "id_footprint"})
    assert '"/static/rs/basemap/countries-50m.geojson"' in html
    assert 'featureProjection: "EPSG:3857"' in html
    assert f"geom_name: '{geom_name}'" in html
    assert "http" not in html
    if value is not None:
        assert f"&quot;type&quot;: &quot;{value.geom_type}&quot;" in html  # the value, in the map's projection


def test_the_offline_admin_edits_geometry_fields_on_a_400_px_map():
    model_admin = OfflineGISModelAdmin(Group, AdminSite())
    field = model_admin.formfield_for_dbfield(gis_models.GeometryField(srid=4326), request=None)
    assert isinstance(field.widget, OfflineMapWidget)
    assert field.widget.attrs["map_height"] == 400
    assert "/static/vendor/ol/ol.js" in str(field.widget.media)


# --- Search page ------------------------------------------------------------------------------------------------------


def test_the_search_page_loads_openlayers_and_the_web_client_modules_only_from_static_files():
    html = home_page()
    assert '<div id="map"' in html
    assert 'data-basemap-url="/static/rs/basemap/countries-50m.geojson"' in html
    assert '<script src="/static/vendor/ol/ol.js" defer></script>' in html
    assert '<script type="module" src="/static/rs/web/search-page.js"></script>' in html
    for href in ("/admin/", "/api/v1/", "/api/v1/schema/", "/odata/v1/"):
        assert f'href="{href}"' in html
    assert re.findall(r"https?://", html) == []


# --- In a real browser -----------------------------------------------------------------------------------------------

# Injected first into each test page: records script errors, and once the page has settled, every resource it
# requested (Resource Timing lists failed requests too) and what the page's own `probe()` reports.
PROBE = """<script>
window.rsErrors = [];
addEventListener("error", (e) => rsErrors.push(String(e.message || e.target.src || e.target.href)), true);
addEventListener("load", () => setTimeout(() => {
  const root = document.documentElement;
  root.dataset.requests = JSON.stringify(performance.getEntriesByType("resource").map((r) => r.name));
  root.dataset.errors = JSON.stringify(rsErrors);
  root.dataset.probe = JSON.stringify(window.probe ? window.probe() : null);
}, 2000));
</script>"""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """A directory served over HTTP on 127.0.0.1 with /static/ made of the built files and Django's gis files."""
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed (scripts/setup.sh installs it)")
    root = tmp_path_factory.mktemp("site")
    (root / "static").mkdir()
    for prefix, marker in (("vendor", "vendor/ol/ol.js"), ("rs", "rs/rs.css"), ("gis", "gis/js/OLMapWidget.js")):
        source_root = Path(str(static_file(marker)).removesuffix(marker))
        (root / "static" / prefix).symlink_to(source_root / prefix)
    server = subprocess.Popen(
        [sys.executable, "-u", "-m", "http.server", "0", "--bind", "127.0.0.1", "--directory", str(root)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    try:
        assert server.stdout is not None
        port = re.search(r"port (\d+)", server.stdout.readline()).group(1)  # type: ignore[union-attr]
        yield root, f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=5)


def open_in_chromium(site: tuple[Path, str], name: str, html: str) -> tuple[dict[str, Any], Path]:
    """Load the page, return what the probe wrote on <html> and the path of a 1000 x 600 screenshot."""
    root, base_url = site
    (root / name).write_text(html.replace("<head>", "<head>" + PROBE, 1))
    shot = root / f"{name}.png"
    result = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={root / 'profile'}",
         "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",  # nothing but our server is reachable
         "--virtual-time-budget=10000",  # run the page's timers; network fetches hold virtual time back
         f"--screenshot={shot}", "--window-size=1000,600", "--dump-dom", f"{base_url}/{name}"],
        capture_output=True, text=True, timeout=30,
    )
    root_tag = re.search(r"<html[^>]*>", result.stdout)
    assert root_tag, result.stderr[-2000:]
    found = dict(re.findall(r'data-(requests|errors|probe)="([^"]*)"', root_tag.group(0)))
    assert set(found) == {"requests", "errors", "probe"}, "the page never settled:\n" + result.stderr[-2000:]
    return {key: json.loads(unescape(value)) for key, value in found.items()}, shot


def assert_drew_offline(report: dict[str, Any], shot: Path, base_url: str) -> None:
    assert report["errors"] == []
    assert f"{base_url}/static/{BASEMAP}" in report["requests"]
    assert [url for url in report["requests"] if not url.startswith(base_url + "/")] == []
    assert shot.stat().st_size > 30_000  # a blank page is a few KB; the drawn map about 100 KB


# The web client's map module alone, with the split footprint and a line: probe() reads what it drew.
MAP_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<link rel="stylesheet" href="/static/vendor/ol/ol.css"><script src="/static/vendor/ol/ol.js"></script></head>
<body><div id="map" style="width:1000px;height:560px"></div><script type="module">
import { createFootprintMap } from "/static/rs/web/map.js";
const map = createFootprintMap(document.getElementById("map"), {
  basemapUrl: "/static/rs/basemap/countries-50m.geojson", onHover() {}, onSelect() {} });
const features = %s;
const drawn = map.setFootprints(features.map((f) => ({ id: String(f.properties.id), mission: f.properties.mission,
                                                       geometry: f.geometry })));
map.basemapReady.then((countries) => { window.probe = () => ({ countries, drawn,
  outline: map.map.getLayers().item(3).getSource().getFeatureById("1").get("outline").getLineStrings().length,
  extent: map.map.getLayers().item(3).getSource().getFeatureById("1").get("extent") }); });
</script></body></html>"""


@pytest.mark.timeout(60)
def test_the_web_client_map_draws_the_basemap_and_joins_a_footprint_split_at_the_antimeridian(site):
    html = MAP_PAGE % json.dumps(FOOTPRINTS["features"]).replace("</", "<\\/")  # a name holds "</script>"
    report, shot = open_in_chromium(site, "map.html", html)
    assert_drew_offline(report, shot, site[1])
    assert report["probe"]["countries"] >= 170
    assert report["probe"]["drawn"] == 3
    # the two halves' outlines without their edges on ±180°: one open line each
    assert report["probe"]["outline"] == 2
    assert report["probe"]["extent"] == [170, -25, 190, -10]


@pytest.mark.timeout(60)
def test_openlayers_widget_draws_the_basemap_and_the_footprint(site):
    widget = OfflineMapWidget(attrs={"geom_type": "GEOMETRY"})
    html = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        "<script>window.probe = () => ({countries: geodjango_footprint.map.getLayers().item(0).getSource()"
        ".getFeatures().length, footprints: geodjango_footprint.featureCollection.getLength()});</script>"
        f"{widget.media}</head><body>{widget.render('footprint', SPLIT_FOOTPRINT, attrs={'id': 'id_footprint'})}"
        "</body></html>"
    )
    report, shot = open_in_chromium(site, "widget.html", html)
    assert_drew_offline(report, shot, site[1])
    assert report["probe"]["countries"] >= 170
    assert report["probe"]["footprints"] == 1
