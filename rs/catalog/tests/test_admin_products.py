from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model

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
