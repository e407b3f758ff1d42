"""The search page in Chromium: the form builds the PRIP $filter, the URL holds the search, areas drawn on the map
or uploaded limit it, pages and sorting, and the map and the list highlight the same product."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from rs.web.tests import browser as browser_support
from rs.web.tests.browser import result_names, screenshot, searches_done, wait_for_results
from rs.web.tests.catalog import Catalog, build_catalog

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(120)]

# fixtures shared by the browser tests (assigned, not imported, so that test arguments may use their names)
site, web_browser, web_page = browser_support.site, browser_support.web_browser, browser_support.web_page


@pytest.fixture
def catalog() -> Catalog:
    return build_catalog()


def names(products: list[Any]) -> list[str]:
    return [p.name for p in products]


def search(page: Any) -> None:
    done = searches_done(page)
    page.get_by_role("button", name="Search", exact=True).click()
    wait_for_results(page, done)


def add_attribute(page: Any, index: int, name: str, op: str, value: str) -> None:
    page.get_by_role("button", name="Add attribute filter").click()
    page.select_option(f"#attr-name-{index}", name)
    page.select_option(f"#attr-op-{index}", op)
    value_field = page.locator(f"#attr-value-{index}")
    if value_field.evaluate("e => e.tagName") == "SELECT":
        value_field.select_option(value)
    else:
        value_field.fill(value)


def open_page(page: Any, url: str = "/") -> None:
    page.goto(url)
    wait_for_results(page)
    page.wait_for_selector("#map[data-state=ready]")
    page.wait_for_selector("#attribute-rows[data-loaded]:not([data-loaded=''])", state="attached")


def map_pixel(page: Any, lon: float, lat: float) -> tuple[float, float]:
    """Page coordinates of a map coordinate (the map's controller is on #map for tests)."""
    x, y = page.evaluate("c => document.getElementById('map').footprintMap.map.getPixelFromCoordinate(c)", [lon, lat])
    box = page.locator("#map").bounding_box()
    return box["x"] + x, box["y"] + y


def highlighted(page: Any) -> list[list[str]]:
    return page.evaluate("document.getElementById('map').footprintMap.highlighted()")


def center_map(page: Any, lon: float, lat: float, zoom: float) -> None:
    page.evaluate("([c, z]) => { const m = document.getElementById('map').footprintMap.map; const v = m.getView();"
                  " v.setCenter(c); v.setZoom(z); m.renderSync(); }", [[lon, lat], zoom])


def test_the_form_builds_the_prip_filter_and_the_url_keeps_the_search(web_page, catalog):
    page = web_page
    open_page(page)
    assert page.inner_text("#results-status") == "1\N{EN DASH}18 of 18"
    assert page.input_value("#odata-filter") == ""

    # when: SENTINEL-2 with a cloud cover of at most 30 %
    page.select_option("#f-collection", "SENTINEL-2")
    page.wait_for_selector("#attribute-rows[data-loaded='SENTINEL-2']", state="attached")
    add_attribute(page, 1, "cloudCover", "le", "30")
    search(page)

    # then: the two clear tiles, newest sensing first, and the exact PRIP filter
    assert result_names(page) == names([catalog.s2[1], catalog.s2[0]])
    assert page.input_value("#odata-filter") == (
        "Collection/Name eq 'SENTINEL-2' and Attributes/OData.CSC.DoubleAttribute/any(att:att/Name eq 'cloudCover'"
        " and att/OData.CSC.DoubleAttribute/Value le 30)")
    request = page.get_attribute("#odata-url", "href")
    assert request.startswith("/odata/v1/Products?$filter=Collection%2FName%20eq%20'SENTINEL-2'%20and%20")
    assert request.endswith("&$orderby=ContentDate%2FStart%20desc&$top=50&$skip=0&$count=true&$expand=Attributes")
    query = parse_qs(urlsplit(page.url).query)
    assert query == {"collection": ["SENTINEL-2"], "attr": ["Double:cloudCover:le:30"]}

    # a reload (or a shared link) gives the same search and the same form
    page.reload()
    wait_for_results(page)
    assert result_names(page) == names([catalog.s2[1], catalog.s2[0]])
    assert page.input_value("#f-collection") == "SENTINEL-2"
    assert page.input_value("#attr-name-1") == "cloudCover"
    assert page.input_value("#attr-value-1") == "30"
    screenshot(page, "search-sentinel-2-cloud-cover")


def test_product_type_sensing_time_direction_name_and_publication(web_page, catalog):
    page = web_page
    open_page(page)
    page.fill("#f-type", "IW_GRDH_1S")
    page.fill("#f-sensing-from", "2024-06-04T13:00:00")
    page.fill("#f-sensing-to", "2024-06-04T15:30:00")
    add_attribute(page, 1, "orbitDirection", "eq", "ASCENDING")
    search(page)
    assert result_names(page) == [catalog.s1_europe[3].name]
    assert page.input_value("#odata-filter") == (
        "Attributes/OData.CSC.StringAttribute/any(att:att/Name eq 'productType' and "
        "att/OData.CSC.StringAttribute/Value eq 'IW_GRDH_1S') and "
        "Attributes/OData.CSC.StringAttribute/any(att:att/Name eq 'orbitDirection' and "
        "att/OData.CSC.StringAttribute/Value eq 'ASCENDING') and "
        "ContentDate/End ge 2024-06-04T13:00:00.000Z and ContentDate/Start le 2024-06-04T15:30:00.000Z")

    page.get_by_role("button", name="New search").click()
    wait_for_results(page, 1)
    page.fill("#f-name", "T32TLB")
    search(page)
    assert result_names(page) == [catalog.s2[1].name]
    assert page.input_value("#odata-filter") == "contains(Name,'T32TLB')"

    page.fill("#f-name", "")
    page.fill("#f-published-from", "2999-01-01T00:00:00")
    search(page)
    assert result_names(page) == []
    assert page.inner_text("#results-status") == "No product matches"
    assert page.input_value("#odata-filter") == "PublicationDate ge 2999-01-01T00:00:00.000Z"


def test_a_filter_edited_by_hand_is_run_and_kept_in_the_url(web_page, catalog):
    page = web_page
    open_page(page)
    page.fill("#odata-filter", "startswith(Name,'S3A') or Name eq 'nothing'")
    page.get_by_role("button", name="Run this filter").click()
    wait_for_results(page, 1)
    assert result_names(page) == [catalog.across.name]
    assert parse_qs(urlsplit(page.url).query) == {"filter": ["startswith(Name,'S3A') or Name eq 'nothing'"]}
    assert page.is_visible("#form-note")
    page.reload()
    wait_for_results(page)
    assert result_names(page) == [catalog.across.name]

    # a filter the PRIP refuses: its message is shown
    page.fill("#odata-filter", "Foo eq 1")
    page.get_by_role("button", name="Run this filter").click()
    page.wait_for_selector("#results-panel[data-state=error]")
    assert page.inner_text("#results-status").startswith("The search failed: ")
    assert "Foo" in page.inner_text("#results-status")


def test_a_rectangle_drawn_on_the_map_limits_the_search(web_page, catalog):
    page = web_page
    open_page(page)
    center_map(page, 7.5, 44.5, 6)
    page.get_by_role("button", name="Draw rectangle").click()
    done = searches_done(page)
    page.mouse.click(*map_pixel(page, 5.5, 43.5))
    page.mouse.click(*map_pixel(page, 10, 46))
    wait_for_results(page, done)

    expected = [*catalog.s1_europe[5:8], *catalog.s2, catalog.l0]
    assert sorted(result_names(page)) == sorted(names(expected))
    area = re.fullmatch(r"OData\.CSC\.Intersects\(area=geography'SRID=4326;POLYGON \(\((.*)\)\)'\)",
                        page.input_value("#odata-filter"))
    assert area, page.input_value("#odata-filter")
    corners = [tuple(map(float, point.split())) for point in area.group(1).split(", ")]
    assert len(corners) == 5 and corners[0] == corners[-1]
    lons, lats = {round(lon, 1) for lon, _ in corners}, {round(lat, 1) for _, lat in corners}
    assert lons == {5.5, 10.0} and lats == {43.5, 46.0}
    assert page.inner_text("#aoi-summary").startswith("Polygon of 4 points, within 5.50, 43.50, 10.00, 46.00")
    assert "aoi" in parse_qs(urlsplit(page.url).query)
    screenshot(page, "search-rectangle")

    # the area stays with the search on reload, and "Clear area" removes it
    page.reload()
    wait_for_results(page)
    assert sorted(result_names(page)) == sorted(names(expected))
    done = searches_done(page)
    page.get_by_role("button", name="Clear area").click()
    wait_for_results(page, done)
    assert len(result_names(page)) == 18

    # the same box typed from the keyboard
    page.fill("#f-box", "5.5, 43.5, 10, 46")
    search(page)
    assert sorted(result_names(page)) == sorted(names(expected))
    assert page.input_value("#odata-filter") == (
        "OData.CSC.Intersects(area=geography'SRID=4326;POLYGON ((5.5 43.5, 10 43.5, 10 46, 5.5 46, 5.5 43.5))')")


def test_a_polygon_drawn_across_the_antimeridian_finds_the_split_footprint(web_page, catalog):
    page = web_page
    open_page(page)
    center_map(page, 180, -17, 4)
    page.get_by_role("button", name="Draw polygon").click()
    done = searches_done(page)
    corners = [(175, -30), (185, -30), (185, -5), (175, -5)]  # continuous longitudes, as drawn across 180°
    for lon, lat in corners:
        page.mouse.click(*map_pixel(page, lon, lat))
        page.wait_for_timeout(60)
    page.mouse.click(*map_pixel(page, *corners[0]))  # clicking the first corner again closes the ring
    wait_for_results(page, done)
    assert result_names(page) == [catalog.across.name]
    assert "185" in page.input_value("#odata-filter")  # sent unwrapped: the PRIP splits it at 180°
    screenshot(page, "search-antimeridian")


def test_an_uploaded_geojson_area(web_page, catalog, tmp_path):
    page = web_page
    open_page(page)
    area = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {}, "geometry": {
        "type": "Polygon", "coordinates": [[[10, -80], [50, -80], [50, -70], [10, -70], [10, -80]]]}}]}
    path = tmp_path / "antarctica.geojson"
    path.write_text(json.dumps(area))
    done = searches_done(page)
    page.set_input_files("#aoi-file", str(path))
    wait_for_results(page, done)
    assert result_names(page) == [catalog.polar.name]
    assert page.input_value("#odata-filter") == (
        "OData.CSC.Intersects(area=geography'SRID=4326;POLYGON ((10 -80, 50 -80, 50 -70, 10 -70, 10 -80))')")
    assert page.inner_text("#map-status") == "Area from antarctica.geojson."

    path.write_text('{"type": "Point", "coordinates": [1, 2]}')
    page.set_input_files("#aoi-file", str(path))
    page.wait_for_selector("#map-status[data-kind=error]")
    assert page.inner_text("#map-status") == "antarctica.geojson: the file has no Polygon or MultiPolygon"


def test_pages_and_sorting(web_page, catalog):
    page = web_page
    open_page(page, "/?top=10&orderby=Name+asc")
    every = sorted(p.name for p in catalog.all)
    assert result_names(page) == every[:10]
    assert page.inner_text("#results-status") == "1\N{EN DASH}10 of 18"
    assert page.inner_text("#page-info") == "Page 1 of 2"
    assert page.is_disabled("#page-prev")

    page.click("#page-next")
    wait_for_results(page, 1)
    assert result_names(page) == every[10:]
    assert page.inner_text("#results-status") == "11\N{EN DASH}18 of 18"
    assert page.is_disabled("#page-next")
    assert parse_qs(urlsplit(page.url).query) == {"orderby": ["Name asc"], "top": ["10"], "skip": ["10"]}

    page.go_back()
    wait_for_results(page, 2)
    assert result_names(page) == every[:10]

    page.select_option("#f-order", "ContentLength desc")
    wait_for_results(page, 3)
    assert result_names(page)[0] == catalog.stored.name or page.inner_text("#results-status") == "1\N{EN DASH}10 of 18"
    page.select_option("#f-top", "20")
    wait_for_results(page, 4)
    assert page.inner_text("#results-status") == "1\N{EN DASH}18 of 18"


def test_the_map_and_the_list_highlight_the_same_product(web_page, catalog):
    page = web_page
    open_page(page)
    center_map(page, 180, -17, 4)
    # hovering the footprint on the map marks its entry in the list, on both sides of the antimeridian
    for lon in (175, 185):
        page.mouse.move(*map_pixel(page, lon, -17))
        page.wait_for_selector(f"#results-list li.hovered[data-id='{catalog.across.id}']")
        page.mouse.move(*map_pixel(page, 165, -40))
        page.wait_for_selector("#results-list li.hovered", state="detached")

    # clicking it selects it in the list and opens its details
    page.mouse.click(*map_pixel(page, 185, -17))
    page.wait_for_selector("#details[data-state=ready]")
    assert page.inner_text("#details-title") == catalog.across.name
    assert page.get_attribute(f"#result-{catalog.across.id}", "aria-current") == "true"
    assert parse_qs(urlsplit(page.url).query) == {"product": [str(catalog.across.id)]}
    page.wait_for_timeout(300)  # the map's zoom animation
    screenshot(page, "search-selected-across-antimeridian")

    # hovering an entry of the list highlights its footprint; the keyboard moves through the list
    page.hover(f"#result-{catalog.polar.id}")
    assert highlighted(page) == [[str(catalog.across.id), "selected"], [str(catalog.polar.id), "hovered"]]
    first = catalog.polar  # newest sensing first
    page.focus(f"#result-{first.id}")
    page.keyboard.press("ArrowDown")
    assert page.evaluate("document.activeElement.dataset.id") == str(catalog.across.id)
    page.keyboard.press("Enter")
    page.wait_for_selector(f"#details[data-id='{catalog.across.id}'][data-state=ready]")
    assert page.evaluate("document.activeElement.id") == "details-title"
    page.keyboard.press("Escape")
    page.wait_for_selector("#details", state="hidden")
    assert page.evaluate("document.activeElement.dataset.id") == str(catalog.across.id)
    assert page.log.errors == []
