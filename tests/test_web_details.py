"""Product details in Chromium: every property and attribute, the quicklook, lineage for signed-in users, and the
download (/odata/v1/Products(<id>)/$value), which needs a session: the browser gets the product's bytes with its
session cookie, never a token in a URL."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest
from django.contrib.auth import get_user_model

from rs.catalog import services as catalog_services
from rs.catalog.storage import object_store
from rs.ingestion.demo.writing import png
from rs.web.tests import browser as browser_support
from rs.web.tests.browser import screenshot, sign_in, wait_for_results
from rs.web.tests.catalog import PRODUCT_BYTES, Catalog, build_catalog

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(120)]

# fixtures shared by the browser tests (assigned, not imported, so that test arguments may use their names)
site, web_browser, web_page = browser_support.site, browser_support.web_browser, browser_support.web_page
PASSWORD = "a-user-password-for-tests"


@pytest.fixture
def catalog() -> Catalog:
    return build_catalog()


@pytest.fixture
def user() -> Any:
    return get_user_model().objects.create_user("ada", password=PASSWORD)


def open_details(page: Any, product: Any) -> None:
    page.goto(f"/?product={product.id}")
    wait_for_results(page)
    page.wait_for_selector(f"#details[data-id='{product.id}'][data-state=ready]")


def table(page: Any, selector: str) -> dict[str, str]:
    rows = page.locator(f"{selector} tbody tr").all()
    return {row.locator("th").inner_text(): row.locator("td").first.inner_text() for row in rows}


def test_the_details_show_every_property_and_attribute(web_page, catalog):
    page = web_page
    product = catalog.stored
    open_details(page, product)

    assert page.inner_text("#details-title") == product.name
    properties = table(page, "#details table.props:not(.attributes)")
    assert list(properties)[:11] == ["Id", "Name", "ContentType", "ContentLength", "OriginDate", "PublicationDate",
                                     "ModificationDate", "Online", "EvictionDate", "ContentDate/Start",
                                     "ContentDate/End"]
    assert properties["Id"] == str(product.id)
    assert properties["ContentLength"] == f"{len(PRODUCT_BYTES)} B ({len(PRODUCT_BYTES)} bytes)"
    assert properties["Online"] == "yes"
    assert properties["Checksum MD5"].startswith(product.md5)
    assert properties["Footprint"] == "WKT"  # folded; the WKT is inside
    attributes = table(page, "#details table.attributes")
    assert attributes == {"cloudCover": "5", "productType": "S2MSI1C", "tileId": "32TLA"}
    assert page.inner_text("#details .quicklook, #details p.muted >> nth=0") == "No quicklook."

    # signed out: no download, no lineage, but a way to sign in that comes back here
    back = quote(f"/?product={product.id}", safe="")
    assert page.get_attribute("#download-sign-in", "href") == f"/login/?next={back}"
    assert page.locator("#download").count() == 0
    assert page.inner_text("#details .lineage") == "Sign in to see the inputs and outputs of this product."
    screenshot(page, "details-signed-out")
    assert page.log.errors == []


def test_signed_in_users_see_the_lineage_and_download_with_their_session(web_page, catalog, user):
    page = web_page
    sign_in(page, "ada", PASSWORD, next_url=quote(f"/?product={catalog.stored.id}", safe=""))
    page.wait_for_selector(f"#details[data-id='{catalog.stored.id}'][data-state=ready]")
    assert page.inner_text(".account .who") == "Signed in as ada"

    # lineage from /api/v1/products/<id>/: the L0 input, which links to its own details and outputs
    page.wait_for_selector("#details .lineage h4")
    assert page.locator("#details .lineage a").all_inner_texts() == [catalog.l0.name]
    page.click(f"#details .lineage a[data-product='{catalog.l0.id}']")
    page.wait_for_selector(f"#details[data-id='{catalog.l0.id}'][data-state=ready]")
    page.wait_for_selector("#details .lineage h4")
    assert page.locator("#details .lineage a").all_inner_texts() == [catalog.stored.name]
    page.click(f"#details .lineage a[data-product='{catalog.stored.id}']")
    page.wait_for_selector(f"#details[data-id='{catalog.stored.id}'][data-state=ready]")

    # the download link is the PRIP's $value, fetched with the session cookie (never a token in the URL)
    link = page.locator("#download")
    href = f"/odata/v1/Products({catalog.stored.id})/$value"
    assert link.get_attribute("href") == href
    with page.expect_download() as started:
        link.click()
    download = started.value
    assert download.path().read_bytes() == PRODUCT_BYTES
    assert "token" not in page.url and "token" not in download.url
    screenshot(page, "details-signed-in")
    problems = page.evaluate(
        "import('/static/rs/web/details.js').then(m => [401, 404, 410, 429, 0].map(m.downloadProblem))")
    assert problems == [
        "The server did not accept your session for downloads (HTTP 401). Sign in again.",
        "Download is not available on this server yet (HTTP 404).",
        "This product is offline: it was evicted from storage.",
        "Too many downloads at once (HTTP 429). Try again in a moment.",
        "The server could not be reached.",
    ]
    assert [e for e in page.log.errors if "404" not in e] == []


def test_offline_products_and_unknown_ids(web_page, catalog, user):
    page = web_page
    sign_in(page, "ada", PASSWORD)
    wait_for_results(page)
    open_details(page, catalog.s2[1])  # metadata only: no bytes, so Online is false
    assert page.inner_text("#details .actions span.muted") == "Offline: evicted from storage"
    assert page.locator("#download").count() == 0

    page.goto("/?product=00000000-0000-0000-0000-000000000000")
    page.wait_for_selector("#details[data-state=error]")
    assert page.inner_text("#details-title") == "Product not found"
    assert "00000000-0000-0000-0000-000000000000" in page.inner_text("#details p.error")


def test_signed_in_users_see_the_quicklook(web_page, catalog, user):
    image = png(width=80, height=60, seed="details")
    put = object_store().put_stream(key=f"assets/{catalog.stored.id}/ql.png", stream=[image])
    catalog_services.asset_add(product_id=catalog.stored.id, name="ql.png", storage_key=put.key,
                               content_type="image/png", content_length=put.size, md5=put.md5)
    page = web_page
    open_details(page, catalog.stored)
    assert page.inner_text("#details .quicklook-sign-in") == "Sign in to see the quicklook."

    sign_in(page, "ada", PASSWORD, next_url=quote(f"/?product={catalog.stored.id}", safe=""))
    page.wait_for_selector(f"#details[data-id='{catalog.stored.id}'][data-state=ready]")
    quicklook = page.locator("#details figure.quicklook img")
    assert quicklook.get_attribute("alt") == f"Quicklook of {catalog.stored.name}"
    page.wait_for_function("() => { const i = document.querySelector('#details figure.quicklook img');"
                           " return i && i.complete && i.naturalWidth > 0; }")
    assert quicklook.evaluate("i => [i.naturalWidth, i.naturalHeight]") == [80, 60]
    assert page.locator("#details figure.quicklook").count() == 1
    screenshot(page, "details-quicklook")
