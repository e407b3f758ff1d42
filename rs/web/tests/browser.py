"""Browser tests of the web client: Debian's Chromium driven by Playwright against pytest-django's live server.

Import the fixtures into a test module (`from rs.web.tests.browser import site, web_browser, web_page  # noqa: F401`).
Chromium is started with every host but 127.0.0.1 unresolvable, so a page that reached for the internet would fail
visibly. Screenshots go to test-artifacts/web/ (gitignored).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[3]
ARTIFACTS = ROOT / "test-artifacts" / "web"
CHROMIUM = os.environ.get("RS_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost"]
LAPTOP = {"width": 1366, "height": 768}


_shared: dict[str, Any] = {}  # one Chromium for the whole run, whichever test modules import the fixture


@pytest.fixture(scope="session")
def web_browser() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed")
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed (scripts/setup.sh installs it)")
    if "browser" in _shared:  # another module's copy of this fixture started it
        yield _shared["browser"]
        return
    with sync_api.sync_playwright() as playwright:
        _shared["browser"] = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield _shared["browser"]
        _shared.pop("browser").close()


@dataclass
class PageLog:
    """What went wrong in the page: uncaught errors, console errors, failed requests outside the expected ones."""

    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)


@pytest.fixture
def site(live_server: Any, settings: Any) -> str:
    """Base URL of the live server, with the web client's URLs routed even before rs/urls.py includes them."""
    settings.ROOT_URLCONF = "rs.web.tests.urls"
    return str(live_server.url)


@pytest.fixture
def web_page(web_browser: Any, site: str) -> Iterator[Any]:
    context = web_browser.new_context(viewport=LAPTOP, base_url=site, accept_downloads=True)
    context.set_default_timeout(15_000)
    tab = context.new_page()
    log = PageLog()
    tab.on("pageerror", lambda error: log.errors.append(f"pageerror: {error}"))
    tab.on("console", lambda m: log.errors.append(f"console: {m.text}") if m.type == "error" else None)
    tab.on("request", lambda r: log.requests.append(r.url))
    tab.log = log  # type: ignore[attr-defined]
    yield tab
    context.close()


def screenshot(page: Any, name: str, *, full_page: bool = False) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def wait_for_results(page: Any, after: int = 0) -> None:
    """Wait until the page finished its search number `after + 1` (or a later one)."""
    page.wait_for_function(
        "n => { const p = document.getElementById('results-panel');"
        " return p.dataset.state !== 'loading' && Number(p.dataset.searches || 0) > n; }", arg=after)


def searches_done(page: Any) -> int:
    return int(page.get_attribute("#results-panel", "data-searches") or 0)


def result_names(page: Any) -> list[str]:
    return page.locator("#results-list .result-name").all_inner_texts()


def sign_in(page: Any, username: str, password: str, next_url: str = "/") -> None:
    page.goto(f"/login/?next={next_url}")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state("domcontentloaded")
