"""Reference datasets: picked by PRIP filter or by name, versioned, immutable, pinned against eviction; through the
service, the API and the admin, with precise refusals that write nothing."""

from __future__ import annotations

import io
import uuid
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from rs.campaigns import services
from rs.campaigns.errors import InvalidDataset
from rs.campaigns.models import DatasetProduct, ReferenceDataset
from rs.catalog import services as catalog_services
from rs.catalog.models import Product
from rs.catalog.storage import object_store
from rs.catalog.tests import factories
from rs.lifecycle import services as lifecycle_services

pytestmark = pytest.mark.django_db

URL = "/api/v1/campaigns/datasets/"


@pytest.fixture
def catalog():
    """Two S1 GRDs (one unpublished: an intermediate is a fine test input), one SLC, one S2 L1C reference."""
    grd_a = factories.product(name="S1A_IW_GRDH_1SDV_20240604T110100_20240604T110131_054172_069691_0001.SAFE")
    grd_b = factories.product(name="S1A_IW_GRDH_1SDV_20240604T110131_20240604T110202_054172_069691_0002.SAFE",
                              publish=False)
    slc = factories.product(name="S1A_IW_SLC__1SDV_20240604T110100_20240604T110131_054172_069691_0003.SAFE",
                            product_type="IW_SLC__1S", attributes={"productType": "IW_SLC__1S"})
    ref = factories.product(name="S1A_IW_GRDH_1SDV_20240604T110100_20240604T110131_054172_069691_REF1.SAFE")
    return {"grd_a": grd_a, "grd_b": grd_b, "slc": slc, "ref": ref}


def test_a_dataset_picked_by_filter_pins_every_matching_operational_product_in_name_order(catalog):
    dataset = services.dataset_create(request=services.DatasetRequest(
        name="s1-iw-grd", description="two slices",
        input_filter="Attributes/OData.CSC.StringAttribute/any(att:att/Name eq 'productType' and "
                     "att/OData.CSC.StringAttribute/Value eq 'IW_GRDH_1S') and not contains(Name,'REF')",
        reference_names=(catalog["ref"].name,)))
    items = list(DatasetProduct.objects.filter(dataset=dataset).values_list("product_name", "role"))
    assert (dataset.name, dataset.version) == ("s1-iw-grd", 1)
    assert items == [(catalog["grd_a"].name, "input"), (catalog["grd_b"].name, "input"),
                     (catalog["ref"].name, "reference_output")]


def test_the_same_name_again_makes_the_next_version_and_leaves_the_first_untouched(catalog):
    first = services.dataset_create(request=services.DatasetRequest(name="set", input_names=(catalog["slc"].name,)))
    second = services.dataset_create(request=services.DatasetRequest(
        name="set", input_names=(catalog["slc"].name, catalog["grd_a"].name)))
    assert (first.version, second.version) == (1, 2)
    assert DatasetProduct.objects.filter(dataset=first).count() == 1
    assert DatasetProduct.objects.filter(dataset=second).count() == 2


@pytest.mark.parametrize(("request_kwargs", "message"), [
    ({"name": "-bad"}, "name '-bad': letters, digits"),
    ({"name": "ok"}, "a dataset needs inputs: give input_filter or input_names"),
    ({"name": "ok", "input_names": ("S1A_NOPE.SAFE", "S1B_NOPE.SAFE")},
     "2 input product(s) not in the catalogue: S1A_NOPE.SAFE, S1B_NOPE.SAFE"),
    ({"name": "ok", "input_filter": "Name eq"}, "input_filter: "),
    ({"name": "ok", "input_filter": "contains(Name,'NOTHING-LIKE-THIS')"}, "the input selection matches no product"),
])
def test_refusals_are_precise_and_write_nothing(catalog, request_kwargs, message):
    with pytest.raises(InvalidDataset) as refused:
        services.dataset_create(request=services.DatasetRequest(**request_kwargs))
    assert str(refused.value).startswith(message)
    assert ReferenceDataset.objects.count() == 0 and DatasetProduct.objects.count() == 0


def test_a_product_cannot_be_input_and_reference(catalog):
    with pytest.raises(InvalidDataset, match="both input and reference output: " + catalog["slc"].name):
        services.dataset_create(request=services.DatasetRequest(
            name="x", input_names=(catalog["slc"].name,), reference_names=(catalog["slc"].name,)))


def test_too_broad_a_selection_is_refused(catalog, monkeypatch):
    monkeypatch.setattr("rs.campaigns.services.MAX_DATASET_PRODUCTS", 2)
    with pytest.raises(InvalidDataset, match="matches more than 2 products: narrow it"):
        services.dataset_create(request=services.DatasetRequest(name="x", input_filter="startswith(Name,'S1A')"))


def test_a_pinned_product_survives_its_eviction_date_with_the_reason_and_cannot_be_deleted(catalog):
    key = f"products/S1/L1_SLICE/test-{uuid.uuid4().hex}.zip"
    object_store().put_stream(key=key, stream=io.BytesIO(b"x" * 10))
    pinned = factories.product(storage_key=key, content_length=10)
    services.dataset_create(request=services.DatasetRequest(name="keep", input_names=(pinned.name,)))
    catalog_services.products_eviction_dates_set(dates={pinned.id: timezone.now() - timedelta(days=1)})
    report = lifecycle_services.eviction_run()
    assert report.evicted == 0
    assert report.protected == [{"id": str(pinned.id), "name": pinned.name,
                                 "reason": "pinned by reference dataset keep v1"}]
    assert Product.objects.get(pk=pinned.id).online and object_store().exists(key)


@pytest.fixture
def operator():
    return get_user_model().objects.create_user("olga", password="pw-olga-123", is_staff=True)


def test_the_api_creates_lists_and_shows_a_dataset(client, catalog, operator):
    client.force_login(operator)
    created = client.post(URL, {"name": "api-set", "input_names": [catalog["grd_a"].name, catalog["slc"].name],
                                "reference_names": [catalog["ref"].name]}, content_type="application/json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["name"], body["version"], body["input_count"], body["reference_count"], body["created_by"]) == (
        "api-set", 1, 2, 1, "olga")
    listed = client.get(URL).json()
    assert [(d["name"], d["version"]) for d in listed["results"]] == [("api-set", 1)]
    detail = client.get(f"{URL}{body['id']}/").json()
    assert [(p["product_name"], p["role"]) for p in detail["products"]] == [
        (catalog["grd_a"].name, "input"), (catalog["slc"].name, "input"), (catalog["ref"].name, "reference_output")]


def test_the_api_answers_bad_input_with_4xx_in_the_one_error_format(client, catalog, operator):
    client.force_login(operator)
    bad_filter = client.post(URL, {"name": "x", "input_filter": "Name eq"}, content_type="application/json")
    assert bad_filter.status_code == 400
    assert bad_filter.json()["error"]["code"] == "invalid_dataset"
    assert bad_filter.json()["error"]["message"].startswith("input_filter: ")
    wrong_type = client.post(URL, {"name": "x", "input_names": "not-a-list"}, content_type="application/json")
    assert wrong_type.status_code == 400
    assert client.get(f"{URL}abc/").status_code == 404
    assert client.get(f"{URL}999999/").json()["error"]["message"] == "no reference dataset 999999"
    assert ReferenceDataset.objects.count() == 0


def test_only_staff_may_create_and_only_accounts_may_read(client, catalog):
    reader = get_user_model().objects.create_user("rita", password="pw-rita-123")
    assert client.get(URL).status_code in (401, 403)
    client.force_login(reader)
    assert client.get(URL).status_code == 200
    assert client.post(URL, {"name": "x", "input_names": [catalog["slc"].name]},
                       content_type="application/json").status_code == 403


def test_the_admin_form_creates_through_the_service_and_shows_refusals(admin_client, catalog):
    add = "/admin/campaigns/referencedataset/add/"
    refused = admin_client.post(add, {"name": "adm", "description": "", "input_names": "S1A_NOPE.SAFE"})
    assert refused.status_code == 200
    assert "1 input product(s) not in the catalogue: S1A_NOPE.SAFE" in refused.content.decode()
    assert ReferenceDataset.objects.count() == 0
    created = admin_client.post(add, {"name": "adm", "description": "from the admin",
                                      "input_names": f"{catalog['grd_a'].name}\n{catalog['slc'].name}\n"})
    assert created.status_code == 302
    dataset = ReferenceDataset.objects.get()
    assert (dataset.name, dataset.version, dataset.description, dataset.items.count()) == (
        "adm", 1, "from the admin", 2)
    page = admin_client.get(f"/admin/campaigns/referencedataset/{dataset.pk}/change/").content.decode()
    assert catalog["slc"].name in page
