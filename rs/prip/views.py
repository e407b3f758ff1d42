"""The OData v4 catalogue API (read-only part): plain Django views over rs.catalog.query.

Parsing, query building and serialising live elsewhere (rs/prip/odata/, rs/catalog/query/); a view reads the
options, asks a selector and writes the JSON. Every view first admits its caller (rs.prip.odata.admission:
credentials, the requests-per-minute quota) and shows only what the caller may see; a refusal is answered by
`odata_endpoint`, like every other error.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from rs.catalog.attribute_registry import COLLECTIONS, attributes_of_collection
from rs.catalog.query.entries import CatalogEntry
from rs.catalog.query.errors import InvalidSkipToken, QueryError
from rs.catalog.query.names import name_convention
from rs.catalog.query.properties import Entity
from rs.catalog.query.selectors import PageRequest, catalog_count, catalog_entry, catalog_page, products_by_names
from rs.prip.constants import MAX_FILTERLIST_BODY_BYTES, MAX_FILTERLIST_NAMES
from rs.prip.odata.admission import catalogue_reader
from rs.prip.odata.errors import ODataError, RangeError, json_response, not_found, odata_endpoint, query_error
from rs.prip.odata.metadata import metadata_document
from rs.prip.odata.nextlink import next_link
from rs.prip.odata.options import QueryOptions, query_options
from rs.prip.odata.serializers import context_url, entry_json, navigation_json
from rs.subscriptions.quotas import caller_admit

_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def service_root_url(request: HttpRequest) -> str:
    """Absolute service root as the client reached us, without the trailing '/' (B in the contract)."""
    return request.build_absolute_uri(reverse("prip:root")).rstrip("/")


def _options(request: HttpRequest, entity: Entity) -> QueryOptions:
    return query_options(request.META.get("QUERY_STRING", ""), entity=entity)


def _key(raw: str, what: str = "product") -> uuid.UUID:
    """Products(<uuid>) and Products('<uuid>'); anything else is a 400."""
    text = raw.strip()
    if len(text) >= 2 and text[0] == text[-1] == "'":
        text = text[1:-1]
    if _UUID.fullmatch(text) is None:
        raise ODataError(400, "InvalidKey", f"{raw!r} is not a valid {what} Id (a UUID such as "
                         "3fa85f64-5717-4562-b3fc-2c963f66afa6)", target="Id")
    return uuid.UUID(text)


def _entry_payload(entry: CatalogEntry, options: QueryOptions, *, root: str, entity: Entity) -> dict[str, Any]:
    return entry_json(entry, root=root, convention=name_convention(), select=options.select, expand=options.expand)


@odata_endpoint("GET")
def service_root(request: HttpRequest) -> HttpResponse:
    caller_admit(request=request)
    root = service_root_url(request)
    sets = [{"name": name, "kind": "EntitySet", "url": name}
            for name in ("Products", "DeletedProducts", "Attributes", "Subscriptions")]
    return json_response({"@odata.context": f"{root}/$metadata", "value": sets})


@odata_endpoint("GET")
def metadata(request: HttpRequest) -> HttpResponse:
    caller_admit(request=request)
    response = HttpResponse(metadata_document(), content_type="application/xml; charset=utf-8")
    response["OData-Version"] = "4.0"
    return response


def _collection(request: HttpRequest, entity: Entity) -> HttpResponse:
    reader = catalogue_reader(request)
    options = _options(request, entity)
    try:
        page = catalog_page(request=PageRequest(
            entity=entity, filter=options.filter, order=options.order, top=options.top, skip=options.skip,
            skiptoken=options.skiptoken, count=options.count, with_attributes=options.expands_attributes(),
            with_assets=options.expands_assets(), visibility=reader.visibility,
        ))
    except InvalidSkipToken as exc:
        raise query_error(exc, target="$skiptoken", code="InvalidSkipToken") from None
    except QueryError as exc:
        raise query_error(exc, target="$filter", code="InvalidFilter") from None
    root = service_root_url(request)
    payload: dict[str, Any] = {
        "@odata.context": context_url(entity.value, select=options.select, expand=options.expand, entity=False)
    }
    if page.count is not None:
        payload["@odata.count"] = page.count
    payload["value"] = [_entry_payload(e, options, root=root, entity=entity) for e in page.entries]
    if page.next_offset is not None and page.next_skiptoken is not None:
        payload["@odata.nextLink"] = next_link(base_url=request.build_absolute_uri(request.path),
                                               params=options.params, next_offset=page.next_offset,
                                               skiptoken=page.next_skiptoken)
    return json_response(payload)


def _count(request: HttpRequest, entity: Entity) -> HttpResponse:
    reader = catalogue_reader(request)
    options = _options(request, entity)
    try:
        total = catalog_count(entity=entity, filter=options.filter, visibility=reader.visibility)
    except QueryError as exc:
        raise query_error(exc, target="$filter", code="InvalidFilter") from None
    response = HttpResponse(str(total), content_type="text/plain; charset=utf-8")
    response["OData-Version"] = "4.0"
    return response


def _entity(request: HttpRequest, entity: Entity, key: str) -> HttpResponse:
    reader = catalogue_reader(request)
    entry_id = _key(key)
    options = _options(request, entity)
    entry = catalog_entry(entity=entity, entry_id=entry_id, with_attributes=options.expands_attributes(),
                          with_assets=options.expands_assets(), visibility=reader.visibility)
    if entry is None:
        raise not_found(f"No {'product' if entity is Entity.PRODUCTS else 'deleted product'} with Id {entry_id}")
    context = context_url(entity.value, select=options.select, expand=options.expand, entity=True)
    return json_response({"@odata.context": context,
                          **_entry_payload(entry, options, root=service_root_url(request), entity=entity)})


@odata_endpoint("GET")
def products(request: HttpRequest) -> HttpResponse:
    return _collection(request, Entity.PRODUCTS)


@odata_endpoint("GET")
def products_count(request: HttpRequest) -> HttpResponse:
    return _count(request, Entity.PRODUCTS)


@odata_endpoint("GET")
def product(request: HttpRequest, key: str) -> HttpResponse:
    return _entity(request, Entity.PRODUCTS, key)


@odata_endpoint("GET")
def product_navigation(request: HttpRequest, key: str, navigation: str) -> HttpResponse:
    """Products(<id>)/Attributes and Products(<id>)/Quicklooks."""
    reader = catalogue_reader(request)
    entry_id = _key(key)
    _options(request, Entity.PRODUCTS)  # validated like everywhere; a navigation list has no paging here
    entry = catalog_entry(entity=Entity.PRODUCTS, entry_id=entry_id, with_attributes=navigation == "Attributes",
                          with_assets=navigation == "Quicklooks", visibility=reader.visibility)
    if entry is None:
        raise not_found(f"No product with Id {entry_id}")
    values = navigation_json(entry, navigation, root=service_root_url(request))
    return json_response({"@odata.context": f"$metadata#Products({entry_id})/{navigation}", "value": values})


@odata_endpoint("POST")
def filter_list(request: HttpRequest) -> HttpResponse:
    """POST Products/OData.CSC.FilterList {"FilterProducts": [{"Name": …}, …]}: the known ones, in that order."""
    reader = catalogue_reader(request)
    options = _options(request, Entity.PRODUCTS)
    try:
        body = request.body
    except RequestDataTooBig:
        body = b"x" * (MAX_FILTERLIST_BODY_BYTES + 1)
    if len(body) > MAX_FILTERLIST_BODY_BYTES:
        raise ODataError(413, "RequestTooLarge", f"The body exceeds {MAX_FILTERLIST_BODY_BYTES} bytes")
    names = _filter_list_names(body)
    entries = products_by_names(names=names, with_attributes=options.expands_attributes(),
                                with_assets=options.expands_assets(), visibility=reader.visibility)
    root = service_root_url(request)
    return json_response({
        "@odata.context": context_url("Products", select=options.select, expand=options.expand, entity=False),
        "value": [_entry_payload(e, options, root=root, entity=Entity.PRODUCTS) for e in entries],
    })


def _filter_list_names(body: bytes) -> list[str]:
    def invalid(message: str) -> ODataError:
        return ODataError(400, "InvalidRequestBody", message, target="FilterProducts")

    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise invalid('The body is not JSON: send {"FilterProducts": [{"Name": "…"}, …]}') from None
    items = data.get("FilterProducts") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise invalid('The body needs "FilterProducts": a list of {"Name": "…"}')
    if len(items) > MAX_FILTERLIST_NAMES:
        raise RangeError({"type": "too_long", "loc": ["body", "FilterProducts"],
                          "msg": f"List should have at most {MAX_FILTERLIST_NAMES} items after validation, "
                                 f"not {len(items)}",
                          "ctx": {"field_type": "List", "max_length": MAX_FILTERLIST_NAMES,
                                  "actual_length": len(items)}})
    names = []
    for index, item in enumerate(items):
        name = item.get("Name") if isinstance(item, dict) else None
        if not isinstance(name, str) or not name or "\x00" in name:
            raise invalid(f"FilterProducts[{index}] needs a non-empty string Name")
        names.append(name)
    return names


@odata_endpoint("GET")
def deleted_products(request: HttpRequest) -> HttpResponse:
    return _collection(request, Entity.DELETED_PRODUCTS)


@odata_endpoint("GET")
def deleted_products_count(request: HttpRequest) -> HttpResponse:
    return _count(request, Entity.DELETED_PRODUCTS)


@odata_endpoint("GET")
def deleted_product(request: HttpRequest, key: str) -> HttpResponse:
    return _entity(request, Entity.DELETED_PRODUCTS, key)


def _attribute_types(collection: str) -> list[dict[str, str]]:
    return [{"Name": name, "ValueType": str(value_type)}
            for name, value_type in attributes_of_collection(collection).items()]


@odata_endpoint("GET")
def attributes(request: HttpRequest) -> HttpResponse:
    """Attribute names and types of every collection, keyed by collection (§14)."""
    caller_admit(request=request)
    return json_response({collection: _attribute_types(collection) for collection in COLLECTIONS})


@odata_endpoint("GET")
def collection_attributes(request: HttpRequest, collection: str) -> HttpResponse:
    caller_admit(request=request)
    name = collection.strip().strip("'").upper()
    if name not in COLLECTIONS:
        raise not_found(f"Collection {collection!r} not found: use one of {', '.join(COLLECTIONS)}")
    return json_response(_attribute_types(name))


@odata_endpoint("GET", "POST", "PUT", "PATCH", "DELETE")
def unknown(request: HttpRequest, rest: str = "") -> HttpResponse:
    raise not_found(f"No resource {request.path!r} in this service")


