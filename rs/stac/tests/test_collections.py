"""Collections and their extents: kept current by the catalog-event consumer as products are published, rebuilt
from the catalogue by `manage.py stac rebuild-extents`; the collection endpoints read only the small table."""

from __future__ import annotations

from datetime import UTC, datetime
from io import StringIO
from typing import Any

from django.core.management import call_command

from rs.catalog import services as catalog_services
from rs.catalog.models import EventDelivery, Product
from rs.stac.consumers import EXTENTS_CONSUMER
from rs.stac.models import CollectionExtent
from rs.stac.tests.stac_requests import get_json


def deliver_pending() -> int:
    """Run the consumer on its pending deliveries, as the maintenance worker does (one transaction each)."""
    pending = list(EventDelivery.objects.filter(consumer=EXTENTS_CONSUMER, delivered_at__isnull=True)
                   .order_by("event_id").values_list("event_id", flat=True))
    for event_id in pending:
        catalog_services.event_deliver(event_id=event_id, consumer_name=EXTENTS_CONSUMER)
    return len(pending)


def extent_of(identifier: str) -> tuple[Any, ...]:
    e = CollectionExtent.objects.get(pk=identifier)
    return e.west, e.south, e.east, e.north, e.start, e.end


def test_publications_grow_the_extents_through_the_event_consumer(db: None) -> None:
    # given the catalogue registered and published through the catalog services (events written, not delivered)
    from rs.stac.tests import catalog as stac_catalog

    stac_catalog.build()
    assert CollectionExtent.objects.count() == 0
    # when the maintenance worker delivers the events to the STAC consumer
    assert deliver_pending() > 0
    # then every collection covers its published products, and unpublished or campaign products count for nothing
    assert extent_of("sentinel-1-iw_grdh_1s") == (
        -4.5, -29.713636, 116.147186, 48.5, datetime(2024, 6, 4, 11, 1, 0, 494767, tzinfo=UTC),
        datetime(2024, 7, 2, 6, 0, 25, tzinfo=UTC))
    assert extent_of("sentinel-3-ol_1_efr___")[:4] == (-180.0, 50.0, 180.0, 53.0)
    assert extent_of("sentinel-1-aux_cal") == (None, None, None, None, None, None)
    # and the consumer's extents are those the rebuild computes from the catalogue
    by_events = {e.id: extent_of(e.id) for e in CollectionExtent.objects.all()}
    out = StringIO()
    call_command("stac", "rebuild-extents", stdout=out)
    assert out.getvalue() == "9 collections\n"
    assert {e.id: extent_of(e.id) for e in CollectionExtent.objects.all()} == by_events


def test_a_delivery_runs_once_and_ignores_unpublished_products(db: None) -> None:
    from rs.prip.tests import catalog as reference

    spec = reference.SPECS[1]  # P2, an EW GRD over Paris
    product = reference.register(spec, index=2, publish=False)
    assert deliver_pending() == 0  # `created` is not for us, and nothing was published yet
    catalog_services.product_update(product_id=product.id, changes={"online": True})
    assert deliver_pending() == 1
    assert CollectionExtent.objects.count() == 0  # modified but unpublished: invisible, so no collection
    catalog_services.product_publish(product_id=product.id)
    assert deliver_pending() == 1
    assert extent_of("sentinel-1-ew_grdm_1s")[:4] == (2.0, 48.0, 3.0, 49.0)
    assert deliver_pending() == 0


def test_a_collection_document_shows_the_extent(client: Any, catalog: dict[str, Product]) -> None:
    collection = get_json(client, "collections/sentinel-2-s2msi2a")
    assert collection["extent"] == {
        "spatial": {"bbox": [[-4.5, 45.2, 10.8, 48.5]]},
        "temporal": {"interval": [["2024-06-10T10:00:00.000000Z", "2024-07-03T11:00:25.000000Z"]]},
    }
    assert [link["rel"] for link in collection["links"]] == [
        "self", "root", "parent", "items", "http://www.opengis.net/def/rel/ogc/1.0/queryables", "license"]


def test_the_collection_pages_read_one_small_table(client: Any, catalog: dict[str, Product],
                                                   django_assert_num_queries: Any) -> None:
    client.get("/stac/collections")  # the visibility rules are read once, then served from the cache
    with django_assert_num_queries(1):
        client.get("/stac/collections")
    with django_assert_num_queries(1):
        client.get("/stac/")
