"""The STAC API (read-only): plain Django views over rs.catalog.query, the PRIP's query layer.

Parsing (search_params, cql2_text, cql2_filter), query building (search_query) and serialising (items, documents)
live in their own modules; a view reads the request, asks the selectors and writes the JSON. Searches follow the
PRIP's access rules (credentials, the requests-per-minute quota, the caller's visibility; anonymous when configured);
downloads go through the PRIP's $value (its authentication)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from rs.access.errors import AccessError
from rs.access.selectors import visibility_filter, visibility_q
from rs.catalog.query.errors import InvalidSkipToken, QueryError
from rs.catalog.query.selectors import catalog_page, products_by_names
from rs.stac import selectors
from rs.stac.constants import MAX_BODY_BYTES, MEDIA_GEOJSON, MEDIA_JSON, MEDIA_OPENAPI, MEDIA_SCHEMA, PAGE_TOKEN
from rs.stac.documents import (
    collection_json,
    collections_json,
    conformance_json,
    item_collection_json,
    landing_json,
    next_link_get,
    next_link_post,
    openapi_json,
)
from rs.stac.errors import StacError, from_query_error, json_response, not_found, stac_endpoint
from rs.stac.fields import projected, wanted
from rs.stac.items import PARTS, Roots, item_collection, item_json
from rs.stac.models import CollectionExtent
from rs.stac.queryables import queryables_schema
from rs.stac.search_params import GET_PARAMETERS, SearchParameters, search_from_body, search_from_query
from rs.stac.search_query import page_request
from rs.subscriptions.errors import QuotaExceeded
from rs.subscriptions.quotas import caller_admit

COLLECTION_ITEMS_PARAMETERS = tuple(p for p in GET_PARAMETERS if p != "collections")


def roots(request: HttpRequest) -> Roots:
    return Roots(stac=request.build_absolute_uri(reverse("stac:landing")).rstrip("/"),
                 odata=request.build_absolute_uri(reverse("prip:root")).rstrip("/"))


def _collection(identifier: str, visibility: Q) -> CollectionExtent:
    """The collection, if the caller may see it (a hidden one is as unknown as a missing one)."""
    extent = selectors.collection_get(identifier=identifier, visibility=visibility)
    if extent is None:
        raise not_found(f"No collection {identifier!r}: see /stac/collections")
    return extent


def _visibility(request: HttpRequest) -> Q:
    """What the caller may see, under the PRIP's rules: its credentials checked (401), its requests counted in the
    requests-per-minute quota (429), anonymous only when RS_PRIP_ANONYMOUS_SEARCH allows it."""
    try:
        principal = caller_admit(request=request)
    except (AccessError, QuotaExceeded) as exc:
        raise StacError(exc.status, exc.code, str(exc), headers=exc.headers) from None
    return visibility_q(visibility_filter(principal))


def _features(request: HttpRequest, params: SearchParameters, *, visibility: Q, collection: str | None = None
              ) -> tuple[list[dict[str, Any]], str | None]:
    """One page of items (one SQL query, lineage included when links are returned) and the next page's token."""
    try:
        page = catalog_page(request=replace(page_request(params, collection=collection), visibility=visibility))
    except InvalidSkipToken as exc:
        raise from_query_error(exc, parameter=PAGE_TOKEN) from None
    except QueryError as exc:
        raise from_query_error(exc, parameter="filter") from None
    base = roots(request)
    parts = frozenset(part for part in PARTS if wanted(params.fields, part))
    features = [projected(item_json(entry, base, sources=selectors.sources_of(entry), parts=parts), params.fields)
                for entry in page.entries]
    return features, page.next_skiptoken


def _page_links(request: HttpRequest, *, parent: str | None = None) -> list[dict[str, Any]]:
    base = roots(request)
    links = [{"rel": "self", "href": request.build_absolute_uri(), "type": MEDIA_GEOJSON},
             {"rel": "root", "href": f"{base.stac}/", "type": MEDIA_JSON}]
    if parent is not None:
        links += [{"rel": "parent", "href": parent, "type": MEDIA_JSON},
                  {"rel": "collection", "href": parent, "type": MEDIA_JSON}]
    return links


def _get_params(request: HttpRequest) -> list[tuple[str, str]]:
    return [(name, value) for name, values in request.GET.lists() for value in values]


@stac_endpoint("GET")
def landing(request: HttpRequest) -> HttpResponse:
    return json_response(landing_json(roots(request), selectors.collections_all(visibility=_visibility(request))))


@stac_endpoint("GET")
def conformance(request: HttpRequest) -> HttpResponse:
    return json_response(conformance_json())


@stac_endpoint("GET")
def service_description(request: HttpRequest) -> HttpResponse:
    return json_response(openapi_json(roots(request)), content_type=MEDIA_OPENAPI)


@stac_endpoint("GET")
def queryables(request: HttpRequest, collection: str | None = None) -> HttpResponse:
    if collection is not None:
        _collection(collection, _visibility(request))
    return json_response(queryables_schema(url=request.build_absolute_uri(request.path)), content_type=MEDIA_SCHEMA)


@stac_endpoint("GET")
def collections(request: HttpRequest) -> HttpResponse:
    return json_response(collections_json(selectors.collections_all(visibility=_visibility(request)), roots(request)))


@stac_endpoint("GET")
def collection(request: HttpRequest, collection: str) -> HttpResponse:
    return json_response(collection_json(_collection(collection, _visibility(request)), roots(request)))


@stac_endpoint("GET")
def collection_items(request: HttpRequest, collection: str) -> HttpResponse:
    visibility = _visibility(request)
    _collection(collection, visibility)
    params = search_from_query(request.GET, allowed=COLLECTION_ITEMS_PARAMETERS)
    features, token = _features(request, params, visibility=visibility, collection=collection)
    links = _page_links(request, parent=roots(request).collection(collection))
    if token is not None:
        links.append(next_link_get(request.build_absolute_uri(request.path), _get_params(request), token))
    return json_response(item_collection_json(features, links), content_type=MEDIA_GEOJSON)


@stac_endpoint("GET")
def collection_item(request: HttpRequest, collection: str, item: str) -> HttpResponse:
    visibility = _visibility(request)
    _collection(collection, visibility)
    entries = [e for e in products_by_names(names=[item], with_attributes=True, with_assets=True, with_sources=True,
                                            visibility=visibility)
               if item_collection(e) == collection]
    if not entries:
        raise not_found(f"No item {item!r} in collection {collection!r}")
    entry = entries[0]
    return json_response(item_json(entry, roots(request), sources=selectors.sources_of(entry)),
                         content_type=MEDIA_GEOJSON)


@stac_endpoint("GET", "POST")
def search(request: HttpRequest) -> HttpResponse:
    url = request.build_absolute_uri(request.path)
    if request.method == "POST":
        try:
            body = request.body
        except RequestDataTooBig:
            body = b"x" * (MAX_BODY_BYTES + 1)
        if len(body) > MAX_BODY_BYTES:
            raise StacError(413, "RequestTooLarge", f"The body exceeds {MAX_BODY_BYTES} bytes")
        params, data = search_from_body(body)
        features, token = _features(request, params, visibility=_visibility(request))
        links = _page_links(request)
        if token is not None:
            links.append(next_link_post(url, data, token))
    else:
        params = search_from_query(request.GET)
        features, token = _features(request, params, visibility=_visibility(request))
        links = _page_links(request)
        if token is not None:
            links.append(next_link_get(url, _get_params(request), token))
    return json_response(item_collection_json(features, links), content_type=MEDIA_GEOJSON)


@stac_endpoint("GET", "POST", "PUT", "PATCH", "DELETE")
def unknown(request: HttpRequest, rest: str = "") -> HttpResponse:
    raise not_found(f"No resource {request.path!r} in this API")
