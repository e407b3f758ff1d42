"""One SQL query per page whatever is expanded, plus one for $count (house style §15). The visibility rules and the
user limits are read from the Django cache in the steady state: each test warms it first."""

from __future__ import annotations

import pytest

from rs.access.selectors import visibility_filter
from rs.catalog import services
from rs.prip.tests.requests import ROOT
from rs.subscriptions.tests.support import (  # noqa: F401 - fixtures
    alice_fixture,
    bearer,
    fast_passwords_fixture,
    public_client_fixture,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _rules_cached(db):
    visibility_filter(None)

FILTER = ("$filter=Collection/Name%20eq%20'SENTINEL-1'%20and%20Attributes/OData.CSC.StringAttribute/any(att:att/"
          "Name%20eq%20'productType'%20and%20att/Value%20eq%20'GRD')%20and%20OData.CSC.Intersects(area=geography"
          "'SRID=4326;POINT(115%20-28.5)')")


@pytest.mark.parametrize(("path", "queries"), [
    ("Products?$top=100", 1),
    ("Products?$top=100&$expand=Attributes", 1),
    ("Products?$top=100&$expand=Attributes&$expand=Assets&$expand=Locations&$expand=Quicklooks", 1),
    ("Products?$top=100&$expand=StringAttributes,DoubleAttributes", 1),
    ("Products?$top=100&$expand=Attributes&$count=true", 2),
    (f"Products?$top=3&$skip=2&$expand=Attributes,Assets&{FILTER}", 1),
    ("Products/$count", 1),
    ("DeletedProducts?$top=100&$expand=Attributes", 1),
    ("Attributes(SENTINEL-1)", 0),
    ("$metadata", 0),
])
def test_a_page_costs_one_query_whatever_it_expands(client, catalog, django_assert_num_queries, path, queries):
    with django_assert_num_queries(queries):
        response = client.get(f"{ROOT}/{path}")
    assert response.status_code == 200


def test_following_a_skiptoken_link_costs_one_query(client, catalog, django_assert_num_queries):
    link = client.get(f"{ROOT}/Products?$top=2&$expand=Attributes").json()["@odata.nextLink"]
    with django_assert_num_queries(1):
        page = client.get(link.removeprefix("http://testserver")).json()
    assert len(page["value"]) == 2 and all(item["Attributes"] for item in page["value"])


def test_one_entity_its_attributes_and_a_filterlist_cost_one_query_each(client, catalog, django_assert_num_queries):
    p6 = catalog["P6"]
    with django_assert_num_queries(1):
        assert client.get(f"{ROOT}/Products({p6.id})?$expand=Attributes,Assets,Quicklooks").status_code == 200
    with django_assert_num_queries(1):
        assert client.get(f"{ROOT}/Products({p6.id})/Attributes").status_code == 200
    with django_assert_num_queries(1):
        response = client.post(f"{ROOT}/Products/OData.CSC.FilterList?$expand=Attributes",
                               data={"FilterProducts": [{"Name": p6.name}, {"Name": catalog["P1"].name}]},
                               content_type="application/json")
    assert len(response.json()["value"]) == 2


def test_the_page_query_does_not_grow_with_the_number_of_attributes(client, catalog, django_assert_num_queries):
    services.product_update(product_id=catalog["P1"].id, attributes={f"extra{i}": f"v{i}" for i in range(40)})
    with django_assert_num_queries(1):
        page = client.get(f"{ROOT}/Products?$top=100&$expand=Attributes").json()
    assert max(len(item["Attributes"]) for item in page["value"]) == 49


def test_an_authenticated_search_costs_the_same_one_query(client, catalog, alice, public_client,
                                                          django_assert_num_queries):
    headers = bearer(alice)
    assert client.get(f"{ROOT}/Products?$top=1", **headers).status_code == 200  # the user's limits now cached
    with django_assert_num_queries(1):
        response = client.get(f"{ROOT}/Products?$top=100&$expand=Attributes", **headers)
    assert len(response.json()["value"]) == 10
