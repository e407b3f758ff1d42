"""Query-string decoding (prip-odata.md §8) and the nextLink builder (§7), without the database."""

from __future__ import annotations

import pytest

from rs.catalog.query.properties import Entity
from rs.prip.odata.errors import ODataError
from rs.prip.odata.nextlink import next_link
from rs.prip.odata.options import decode_query_string, query_options


def test_the_query_is_split_on_ampersands_before_decoding():
    raw = "$filter=polarisationChannels%20eq%20'VV%26VH'&token=abc&%24top=5&$expand=Attributes&$expand=Assets"
    assert decode_query_string(raw) == [("$filter", "polarisationChannels eq 'VV&VH'"), ("token", "abc"),
                                        ("$top", "5"), ("$expand", "Attributes"), ("$expand", "Assets")]


def test_plus_is_a_space_and_percent_decoding_happens_once():
    assert decode_query_string("%24filter=Name+eq+%27a%2Bb%2525%27&x") == [("$filter", "Name eq 'a+b%25'"),
                                                                          ("x", "")]


def test_raw_utf8_bytes_arrive_as_latin1_text_and_are_read_as_utf8():
    raw = "$filter=Name eq 'é'".encode().decode("latin-1")
    assert decode_query_string(raw) == [("$filter", "Name eq 'é'")]


def test_options_are_merged_validated_and_non_dollar_parameters_ignored():
    options = query_options("$expand=Attributes,assets&$expand=Attributes&$select=Name,%20Id&token=x&$count=True"
                            "&$top=7&$skip=3&$format=json", entity=Entity.PRODUCTS)
    assert (options.expand, options.select, options.count, options.top, options.skip) == (
        ("Attributes", "Assets"), ("Id", "Name"), True, 7, 3)


def test_unknown_and_unsupported_options_are_errors_with_their_name():
    with pytest.raises(ODataError) as caught:
        query_options("$levels=2", entity=Entity.PRODUCTS)
    assert (caught.value.status, caught.value.target, caught.value.message) == (400, "$levels",
                                                                                "$levels is not supported")


def test_deleted_products_expand_only_attributes():
    with pytest.raises(ODataError):
        query_options("$expand=Assets", entity=Entity.DELETED_PRODUCTS)


PARAMS = [("$filter", "Collection/Name eq 'SENTINEL-1'"), ("$top", "10"), ("$count", "true"),
          ("$expand", "Attributes"), ("$expand", "Assets"), ("$orderby", "ContentDate/Start asc")]


def test_the_link_is_form_encoded_with_skip_appended_and_the_token_last():
    link = next_link(base_url="https://h/odata/v1/Products", params=PARAMS, next_offset=10, skiptoken="t:o/k")
    assert link == ("https://h/odata/v1/Products?%24filter=Collection%2FName+eq+%27SENTINEL-1%27&%24top=10"
                    "&%24count=true&%24expand=Attributes&%24expand=Assets&%24orderby=ContentDate%2FStart+asc"
                    "&%24skip=10&%24skiptoken=t%3Ao%2Fk")


def test_skip_and_token_are_replaced_in_place_and_skip_dropped_beyond_10000():
    params = [("$skip", "0"), ("$top", "2"), ("$skiptoken", "old")]
    assert next_link(base_url="b", params=params, next_offset=2, skiptoken="new") == (
        "b?%24skip=2&%24top=2&%24skiptoken=new")
    assert next_link(base_url="b", params=params, next_offset=10_000, skiptoken="n") == (
        "b?%24skip=10000&%24top=2&%24skiptoken=n")
    assert next_link(base_url="b", params=params, next_offset=10_001, skiptoken="n") == "b?%24top=2&%24skiptoken=n"
