from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from rs.catalog import services
from rs.catalog.admin import EVENTS_SHOWN
from rs.catalog.models import Product
from rs.catalog.tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_logged(client):
    get_user_model().objects.create_superuser("root", "root@example.org", "x-root-password")
    client.login(username="root", password="x-root-password")
    return client


def test_the_product_list_filters_by_mission_and_publication(admin_client_logged):
    published = factories.product()
    unpublished = factories.product(publish=False)
    page = admin_client_logged.get("/admin/catalog/product/", {"published": "no", "mission__exact": "S1"})
    assert page.status_code == 200
    html = page.content.decode()
    assert unpublished.name in html and published.name not in html


def test_the_product_list_filters_by_product_type(admin_client_logged):
    grd = factories.product()
    slc = factories.product(product_type="IW_SLC__1S")
    page = admin_client_logged.get("/admin/catalog/product/", {"product_type": "IW_SLC__1S"}).content.decode()
    assert slc.name in page and grd.name not in page
    assert 'href="?product_type=IW_GRDH_1S"' in page  # the filter lists the types present


def test_the_change_page_draws_the_footprint_on_the_bundled_map(admin_client_logged):
    product = factories.product()
    page = admin_client_logged.get(f"/admin/catalog/product/{product.id}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "vendor/ol/ol.js" in html
    assert "orbitNumber" in html  # attributes inline
    external = re.findall(r'(?:src|href)="(https?://[^"]+)"', html)
    assert external == []


def test_the_publish_action_goes_through_the_service(admin_client_logged):
    product = factories.product(publish=False)
    response = admin_client_logged.post(
        "/admin/catalog/product/", {"action": "publish_selected", "_selected_action": [str(product.id)]}, follow=True
    )
    assert response.status_code == 200
    assert Product.objects.get(pk=product.id).publication_date is not None


def test_products_cannot_be_added_or_edited_in_the_admin(admin_client_logged):
    product = factories.product()
    assert admin_client_logged.get("/admin/catalog/product/add/").status_code == 403
    admin_client_logged.post(f"/admin/catalog/product/{product.id}/change/", {"footprint": ""})
    assert Product.objects.get(pk=product.id).footprint is not None


def readonly_value(html: str, field: str) -> str:
    """The rendered value of a read-only field (the admin writes it on one line, closed by its </div>)."""
    found = re.search(rf'<div class="form-row field-{field}">.*?<div class="readonly">([^\n]*)</div>\n', html, re.S)
    assert found, field
    return found[1].strip()


def listed(html: str, *products: Product) -> list[bool]:
    return [p.name in html for p in products]


def test_the_product_list_filters_by_publication_date(admin_client_logged):
    published = factories.product()
    unpublished = factories.product(publish=False)
    page = admin_client_logged.get("/admin/catalog/product/").content.decode()
    assert '<details data-filter-title="publication date" open>' in page
    assert 'href="?publication_date__isnull=True">No date</a>' in page
    today = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
    on_today = admin_client_logged.get("/admin/catalog/product/", {
        "publication_date__gte": today.isoformat(), "publication_date__lt": (today + timedelta(days=1)).isoformat()})
    assert listed(on_today.content.decode(), published, unpublished) == [True, False]
    never = admin_client_logged.get("/admin/catalog/product/", {"publication_date__isnull": "True"})
    assert listed(never.content.decode(), published, unpublished) == [False, True]


def test_the_product_list_filters_by_eviction_date(admin_client_logged):
    due, kept = factories.product(), factories.product()
    services.product_update(product_id=due.id, changes={"eviction_date": datetime(2024, 7, 1, 8, tzinfo=UTC)})
    services.product_update(product_id=kept.id, changes={"eviction_date": None})
    page = admin_client_logged.get("/admin/catalog/product/").content.decode()
    assert '<details data-filter-title="eviction date" open>' in page
    assert 'href="?eviction_date__isnull=False">Has date</a>' in page
    in_july = admin_client_logged.get("/admin/catalog/product/", {
        "eviction_date__gte": "2024-07-01 00:00:00+00:00", "eviction_date__lt": "2024-08-01 00:00:00+00:00"})
    assert listed(in_july.content.decode(), due, kept) == [True, False]
    forever = admin_client_logged.get("/admin/catalog/product/", {"eviction_date__isnull": "True"})
    assert listed(forever.content.decode(), due, kept) == [False, True]


def test_the_change_page_shows_when_each_checksum_was_computed(admin_client_logged):
    product = factories.product(checksums=services.Checksums(md5="a" * 32, blake3="b" * 64,
                                                             computed_at=datetime(2024, 6, 4, 12, tzinfo=UTC)))
    html = admin_client_logged.get(f"/admin/catalog/product/{product.id}/change/").content.decode()
    heading = 'class="fieldset-heading">{}</h2>'
    storage = html[html.index(heading.format("Storage")):html.index(heading.format("Footprint"))]
    assert re.findall(r'<div class="form-row field-([a-z0-9_]+)">', storage) == [
        "online", "storage_key", "content_type", "content_length", "md5", "md5_date", "blake3", "blake3_date",
        "job_id"]
    assert (readonly_value(html, "md5"), readonly_value(html, "md5_date")) == ("a" * 32, "4 Jun 2024, noon")
    assert (readonly_value(html, "blake3"), readonly_value(html, "blake3_date")) == ("b" * 64, "4 Jun 2024, noon")


def test_the_change_page_lists_the_newest_events_with_a_link_to_all_of_them(admin_client_logged):
    # given a product with more events than the page shows: created, published and 21 attribute changes
    product = factories.product()
    traces = [uuid.uuid4() for _ in range(21)]
    for number, trace in enumerate(traces):
        services.product_attributes_set(product_id=product.id, attributes={"orbitNumber": number}, trace_id=trace)
    # when
    html = admin_client_logged.get(f"/admin/catalog/product/{product.id}/change/").content.decode()
    # then the labelled field lists the 20 newest, newest first, and links to the event list of this product
    assert EVENTS_SHOWN == 20
    assert "<label>Catalog events (newest 20):</label>" in html
    events = readonly_value(html, "event_list")
    shown = re.findall(r"<div>[^<]* · ([a-z]+) · trace ([0-9a-f-]+) · (pending|dispatched)</div>", events)
    assert [(kind, trace) for kind, trace, _state in shown] == [
        ("modified", str(trace)) for trace in reversed(traces[1:])]
    link = f"/admin/catalog/catalogevent/?product_id={product.id}"
    assert f'<a href="{link}">All events of this product</a>' in html
    others = factories.product()
    listing = admin_client_logged.get(link)
    assert listing.status_code == 200
    rows = re.findall(r'<tr>.*?</tr>', listing.content.decode(), re.S)
    listed_products = set(re.findall(r'<td class="field-product_id">([0-9a-f-]+)</td>', "".join(rows)))
    assert listed_products == {str(product.id)} and str(others.id) not in listing.content.decode()
    assert "23 catalog events" in listing.content.decode()


def test_a_product_without_events_shows_a_dash(admin_client_logged):
    from rs.catalog.models import CatalogEvent

    product = factories.product()
    CatalogEvent.objects.filter(product_id=product.id).delete()
    html = admin_client_logged.get(f"/admin/catalog/product/{product.id}/change/").content.decode()
    assert readonly_value(html, "event_list") == "-"
