"""The search page draws 1,000 footprints and stays responsive while the map pans across the antimeridian and zooms
(behaviour only; the timings are a benchmark: bench/web)."""

from __future__ import annotations

import pytest

from rs.web.tests import browser as browser_support
from rs.web.tests.browser import wait_for_results
from rs.web.tests.catalog import many_products

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(180)]

site, web_browser, web_page = browser_support.site, browser_support.web_browser, browser_support.web_page

MARKS = """() => ["rs:map-ready", "rs:first-results"].map((name) => performance.getEntriesByName(name).length)"""

PAN = """() => new Promise((resolve) => {
  const view = document.getElementById("map").footprintMap.map.getView();
  view.animate({ center: [210, -20], zoom: 3, duration: 300 }, () => resolve(view.getCenter()[0]));
})"""


def test_a_thousand_footprints_are_drawn_and_the_map_still_pans_across_the_antimeridian(web_page):
    page = web_page
    assert many_products(1000) == 1000
    page.goto("/?top=1000")
    wait_for_results(page)
    page.wait_for_selector("#map[data-state=ready]")
    assert page.get_attribute("#map", "data-footprints") == "1000"
    assert page.evaluate(MARKS) == [1, 1]  # the marks the benchmark reads are recorded once each
    assert page.evaluate(PAN) == 210
    assert page.get_attribute("#map", "data-footprints") == "1000"
