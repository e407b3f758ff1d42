"""DeletedProducts (prip-odata.md §12, §20 case 25): every eviction or deletion is one entry, queryable with the
options of Products — $filter on DeletionDate and DeletionCause, $orderby on ContentDate/Start, ContentDate/End and
DeletionDate, $top/$skip and nextLinks, $count — and it survives the purge of the product's metadata."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote

import pytest
from django.utils import timezone

from rs.catalog import services
from rs.catalog.choices import DeletionCause
from rs.catalog.models import DeletedProduct, Product
from rs.prip.tests.requests import ROOT

pytestmark = pytest.mark.django_db

GONE = ["P1", "P2", "P3", "P4", "P5"]


@pytest.fixture
def gone(catalog):
    """P1, P3, P5 deleted (three causes), P2 and P4 evicted, one second apart in DeletionDate, newest last."""
    start = timezone.now() - timedelta(hours=1)
    for n, label in enumerate(GONE):
        if label in ("P2", "P4"):
            services.product_evict(product_id=catalog[label].id)
        else:
            cause = {"P1": DeletionCause.DUPLICATED, "P3": DeletionCause.CORRUPTED, "P5": DeletionCause.OBSOLETE}
            services.product_delete(product_id=catalog[label].id, cause=cause[label])
        DeletedProduct.objects.filter(pk=catalog[label].id).update(deletion_date=start + timedelta(seconds=n))
    return start


def names(client, query: str) -> list[str]:
    response = client.get(f"{ROOT}/DeletedProducts?{query}")
    assert response.status_code == 200, response.content
    return [item["Name"] for item in response.json()["value"]]


def stamp(moment) -> str:
    return quote(moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ"))


@pytest.mark.parametrize("order", ["ContentDate/Start", "ContentDate/End", "DeletionDate"])
def test_every_allowed_order_in_both_directions(client, catalog, gone, order):
    column = {"ContentDate/Start": "content_start", "ContentDate/End": "content_end",
              "DeletionDate": "deletion_date"}[order]
    expected = list(DeletedProduct.objects.order_by(column, "id").values_list("name", flat=True))
    assert len(expected) == 5
    assert names(client, f"$orderby={quote(order)}%20asc") == expected
    assert names(client, f"$orderby={quote(order)}%20desc") == list(
        DeletedProduct.objects.order_by(f"-{column}", "-id").values_list("name", flat=True))


def test_filters_on_deletion_date_and_cause_with_count(client, catalog, gone):
    window = f"DeletionDate%20ge%20{stamp(gone + timedelta(seconds=1))}%20and%20DeletionDate%20lt%20" \
             f"{stamp(gone + timedelta(seconds=4))}"
    assert names(client, f"$filter={window}&$orderby=DeletionDate") == [catalog[x].name for x in ("P2", "P3", "P4")]
    evicted = client.get(f"{ROOT}/DeletedProducts?$count=true&$filter=DeletionCause%20eq%20'Obsolete%20product%20or"
                         "%20Other'&$orderby=DeletionDate").json()
    assert evicted["@odata.count"] == 3
    assert [i["Name"] for i in evicted["value"]] == [catalog[x].name for x in ("P2", "P4", "P5")]
    assert client.get(f"{ROOT}/DeletedProducts/$count?$filter={window}").content == b"3"


def test_paging_by_skip_and_by_following_next_links(client, catalog, gone):
    everything = names(client, "$orderby=DeletionDate")
    assert everything == [catalog[label].name for label in GONE]
    assert names(client, "$orderby=DeletionDate&$skip=3") == everything[3:]
    seen, link, count = [], f"{ROOT}/DeletedProducts?$top=2&$count=true&$orderby=DeletionDate&$expand=Attributes", None
    while link:
        page = client.get(link.removeprefix("http://testserver")).json()
        assert page["@odata.context"] == "$metadata#DeletedProducts(Attributes())"
        count = page["@odata.count"]
        seen += [item["Name"] for item in page["value"]]
        assert all(item["Attributes"] for item in page["value"])
        link = page.get("@odata.nextLink")
    assert (seen, count) == (everything, 5)


def test_an_entry_survives_the_purge_of_the_products_metadata(client, catalog, gone, settings):
    from rs.lifecycle import services as lifecycle

    settings.RS_METADATA_PURGE_AFTER_DAYS = 30
    evicted = catalog["P2"]
    DeletedProduct.objects.filter(pk=evicted.id).update(deletion_date=timezone.now() - timedelta(days=31))
    assert lifecycle.metadata_purge() == 1
    assert not Product.objects.filter(pk=evicted.id).exists()
    assert client.get(f"{ROOT}/Products({evicted.id})").status_code == 404
    entry = client.get(f"{ROOT}/DeletedProducts({evicted.id})").json()
    assert (entry["Name"], entry["DeletionCause"], entry["Online"]) == (
        evicted.name, "Obsolete product or Other", False)


def test_a_campaign_output_removed_with_its_scope_is_recorded_but_never_listed(client, catalog, gone):
    # given P11, a campaign's output under the name of the published P1, removed with its campaign's scope
    removed = catalog["P11"]
    assert services.scoped_products_remove(product_ids=[removed.id]) == 1
    record = DeletedProduct.objects.get(pk=removed.id)
    assert (record.scope, record.deletion_cause) == ("campaign-42", "Campaign scope removed")
    # then the PRIP lists the five operational deletions only, by name, by cause, one by one and in the count
    assert names(client, "$orderby=DeletionDate") == [catalog[label].name for label in GONE]
    assert names(client, f"$filter=Name%20eq%20'{removed.name}'") == [catalog["P1"].name]  # P1's own deletion
    assert names(client, "$filter=DeletionCause%20eq%20'Campaign%20scope%20removed'") == []
    assert client.get(f"{ROOT}/DeletedProducts/$count").content == b"5"
    assert client.get(f"{ROOT}/DeletedProducts({removed.id})").status_code == 404
