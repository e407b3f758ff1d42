"""Selectors of the query layer: pages in a stable order, keyset tokens that page without a depth limit, exact
counts, one entry, entries by name."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core import signing

from rs.catalog import services
from rs.catalog.query.errors import InvalidSkipToken
from rs.catalog.query.filter_parser import parse_filter
from rs.catalog.query.orderby import parse_orderby
from rs.catalog.query.properties import Entity
from rs.catalog.query.selectors import PageRequest, catalog_count, catalog_entry, catalog_page, products_by_names
from rs.catalog.tests import factories

pytestmark = pytest.mark.django_db
P = Entity.PRODUCTS
T0 = datetime(2024, 1, 1, tzinfo=UTC)


@pytest.fixture
def products():
    """Nine products: content starts in three groups of equal values, publication instants in pairs."""
    rows = []
    for i in range(9):
        product = factories.product(publish=False, content_start=T0 + timedelta(hours=i % 3), content_length=i)
        services.product_publish(product_id=product.id, at=T0 + timedelta(days=i // 2))
        rows.append(product)
    return rows


def walk(request: PageRequest) -> list[str]:
    names: list[str] = []
    page = catalog_page(request=request)
    names += [e.name for e in page.entries]
    while page.next_skiptoken is not None:
        page = catalog_page(request=PageRequest(entity=request.entity, filter=request.filter, order=request.order,
                                                top=request.top, skiptoken=page.next_skiptoken))
        names += [e.name for e in page.entries]
    return names


@pytest.mark.parametrize("order", ["PublicationDate", "ContentDate/Start desc", "ContentDate/Start,Name desc",
                                   "ContentLength desc", "Id desc", "Name"])
def test_keyset_pages_give_the_same_sequence_as_one_page(products, order):
    keys = parse_orderby(order, entity=P)
    everything = [e.name for e in catalog_page(request=PageRequest(entity=P, order=keys, top=100)).entries]
    assert len(everything) == 9
    for top in (1, 2, 4):
        assert walk(PageRequest(entity=P, order=keys, top=top)) == everything


def test_offset_and_keyset_agree_and_the_token_remembers_the_offset(products):
    first = catalog_page(request=PageRequest(entity=P, top=3, skip=2))
    assert (first.next_offset, len(first.entries)) == (5, 3)
    second = catalog_page(request=PageRequest(entity=P, top=3, skiptoken=first.next_skiptoken))
    by_offset = catalog_page(request=PageRequest(entity=P, top=3, skip=5))
    assert [e.id for e in second.entries] == [e.id for e in by_offset.entries]
    assert second.next_offset == 8  # rows 2-4, then 5-7: one row is left
    last = catalog_page(request=PageRequest(entity=P, top=3, skiptoken=second.next_skiptoken))
    assert (len(last.entries), last.next_offset, last.next_skiptoken) == (1, None, None)


def test_a_product_published_between_pages_is_neither_lost_nor_repeated(products):
    first = catalog_page(request=PageRequest(entity=P, top=4))
    late = factories.product(publish=False)
    services.product_publish(product_id=late.id, at=T0 + timedelta(days=30))
    rest = walk(PageRequest(entity=P, top=4, skiptoken=first.next_skiptoken))
    seen = [e.name for e in first.entries] + rest
    assert len(seen) == len(set(seen)) == 10 and seen[-1] == late.name


def test_the_count_ignores_paging_and_follows_the_filter(products):
    node = parse_filter("ContentLength ge 4", entity=P)
    order = parse_orderby("ContentLength", entity=P)
    page = catalog_page(request=PageRequest(entity=P, filter=node, order=order, top=2, skip=1, count=True))
    assert page.count == catalog_count(entity=P, filter=node) == 5
    assert [e.content_length for e in page.entries] == [5, 6]


def test_top_zero_reads_no_rows_but_still_counts(products, django_assert_num_queries):
    with django_assert_num_queries(1):
        page = catalog_page(request=PageRequest(entity=P, top=0, count=True))
    assert (page.entries, page.count, page.next_skiptoken) == ([], 9, None)


def test_tokens_of_another_query_or_altered_are_refused(products):
    token = catalog_page(request=PageRequest(entity=P, top=2)).next_skiptoken
    other = PageRequest(entity=P, top=2, skiptoken=token, filter=parse_filter("ContentLength gt 0", entity=P))
    with pytest.raises(InvalidSkipToken, match="another query"):
        catalog_page(request=other)
    with pytest.raises(InvalidSkipToken, match="malformed or altered"):
        catalog_page(request=PageRequest(entity=P, top=2, skiptoken=token[:-2] + "xx"))
    forged = signing.dumps({"f": "x", "v": [], "o": 0}, salt="someone-else")
    with pytest.raises(InvalidSkipToken):
        catalog_page(request=PageRequest(entity=P, top=2, skiptoken=forged))


def test_one_entry_is_found_only_while_visible():
    published = factories.product(attributes={"productType": "IW_GRDH_1S", "cloudCover": 3.5})
    hidden = factories.product(publish=False)
    entry = catalog_entry(entity=P, entry_id=published.id, with_attributes=True, with_assets=True)
    assert entry is not None and entry.assets == ()
    assert [(a.name, a.value_type, a.value) for a in entry.attributes] == [
        ("productType", "String", "IW_GRDH_1S"), ("cloudCover", "Double", 3.5)]
    assert catalog_entry(entity=P, entry_id=hidden.id) is None


def test_entries_by_name_keep_the_request_order_and_skip_the_unknown():
    a, b = factories.product(), factories.product()
    found = products_by_names(names=[b.name, "NOPE", a.name, b.name])
    assert [e.name for e in found] == [b.name, a.name]
    assert products_by_names(names=[]) == []


def test_an_offset_page_reads_the_ids_first_in_one_query_and_keeps_the_order(products, django_assert_num_queries):
    order = parse_orderby("ContentDate/Start desc", entity=P)
    everything = [e.id for e in catalog_page(request=PageRequest(entity=P, order=order, top=100)).entries]
    for skip in (1, 4, 8, 9):
        with django_assert_num_queries(1):
            page = catalog_page(request=PageRequest(entity=P, order=order, top=3, skip=skip))
        assert [e.id for e in page.entries] == everything[skip:skip + 3]
        assert page.next_offset == (skip + 3 if skip + 3 < 9 else None)


def test_entries_carry_the_footprint_as_wkb_and_build_the_geos_geometry_only_on_demand(products):
    product = products[0]
    entry = catalog_page(request=PageRequest(entity=P, top=1)).entries[0]
    assert entry.footprint_wkb is not None and "footprint" not in entry.__dict__
    stored = type(product).objects.get(pk=entry.id).footprint
    assert entry.footprint is not None and entry.footprint.equals_exact(stored, 0) and entry.footprint.srid == 4326
    assert catalog_entry(entity=P, entry_id=entry.id).footprint_wkb == entry.footprint_wkb


@pytest.mark.parametrize("order", ["Name", "Name desc", "PublicationDate desc,Name"])
def test_keyset_pages_follow_the_prip_name_convention_too(products, settings, order):
    settings.RS_PRIP_NAME_CONVENTION = "prip"
    keys = parse_orderby(order, entity=P)
    everything = [e.name for e in catalog_page(request=PageRequest(entity=P, order=keys, top=100)).entries]
    assert len(everything) == 9
    for top in (1, 4):
        assert walk(PageRequest(entity=P, order=keys, top=top)) == everything
