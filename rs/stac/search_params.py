"""The parameters of an item search, read from a GET query string or a POST body and validated: every value that
is not understood is a 400 naming the parameter, never a silent default or cap."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.http import QueryDict

from rs.catalog.query.errors import QueryError
from rs.stac.constants import DEFAULT_LIMIT, MAX_IDS, MAX_LIMIT, PAGE_TOKEN
from rs.stac.cql2_text import parse_cql2_text
from rs.stac.errors import bad_request, from_query_error

CRS84 = ("http://www.opengis.net/def/crs/OGC/1.3/CRS84", "https://www.opengis.net/def/crs/OGC/1.3/CRS84")
FILTER_LANGS = ("cql2-text", "cql2-json")
GET_PARAMETERS = ("collections", "ids", "bbox", "intersects", "datetime", "limit", "sortby", "fields", "filter",
                  "filter-lang", "filter-crs", PAGE_TOKEN)
NOT_SUPPORTED = {"query": "the query extension is not supported: use filter (CQL2)"}


@dataclass(frozen=True)
class SortKey:
    field: str
    descending: bool = False


@dataclass(frozen=True)
class Fields:
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()


@dataclass(frozen=True)
class SearchParameters:
    collections: tuple[str, ...] | None = None
    ids: tuple[str, ...] | None = None
    bbox: tuple[float, ...] | None = None
    intersects: dict[str, Any] | None = None
    datetime: str | None = None
    limit: int = DEFAULT_LIMIT
    sortby: tuple[SortKey, ...] = ()
    fields: Fields | None = None
    filter: Any = None  # the CQL2-JSON form (text filters are parsed on the way in)
    skiptoken: str | None = None


# --- shared checks ---------------------------------------------------------------------------------------------------


def _limit(value: object) -> int:
    if isinstance(value, str) and value.strip().lstrip("+").isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int):
        raise bad_request(f"limit: {value!r} is not an integer")
    if not 1 <= value <= MAX_LIMIT:
        raise bad_request(f"limit: {value} is outside 1…{MAX_LIMIT}")
    return value


def _names(value: object, what: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [item.strip() for item in value.split(",")]
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise bad_request(f"{what}: a list of non-empty strings")
    if not value or len(value) > MAX_IDS:
        raise bad_request(f"{what}: between 1 and {MAX_IDS} values")
    return tuple(dict.fromkeys(value))


def _bbox(value: object) -> tuple[float, ...]:
    if isinstance(value, str):
        try:
            value = [float(v) for v in value.split(",")]
        except ValueError:
            raise bad_request(f"bbox: {value!r} is not a comma-separated list of numbers") from None
    if not isinstance(value, list) or len(value) not in (4, 6) or not all(
            isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in value):
        raise bad_request("bbox: 4 numbers (west, south, east, north) or 6 with heights")
    return tuple(float(v) for v in value)


def _json(value: str, what: str) -> Any:
    try:
        return json.loads(value)
    except (ValueError, RecursionError):
        raise bad_request(f"{what}: not valid JSON (or nested too deeply)") from None


def _filter(value: object, lang: str) -> Any:
    if lang not in FILTER_LANGS:
        raise bad_request(f"filter-lang: {lang!r} is not supported: use cql2-text or cql2-json")
    if lang == "cql2-text":
        if not isinstance(value, str):
            raise bad_request("filter: with filter-lang=cql2-text the filter is a string")
        try:
            return parse_cql2_text(value)
        except QueryError as exc:
            raise from_query_error(exc, parameter="filter") from None
    if isinstance(value, str):
        return _json(value, "filter")
    return value


def _sortby(value: object) -> tuple[SortKey, ...]:
    keys: list[SortKey] = []
    if isinstance(value, str):
        for item in value.split(","):
            text = item.strip()
            if not text:
                raise bad_request("sortby: empty field name")
            descending = text.startswith("-")
            keys.append(SortKey(text.lstrip("+-").strip(), descending))
        return tuple(keys)
    if not isinstance(value, list) or not value:
        raise bad_request('sortby: a list of {"field": …, "direction": "asc"|"desc"}')
    for item in value:
        if not isinstance(item, dict) or not isinstance(item.get("field"), str) or not item["field"]:
            raise bad_request('sortby: each item is {"field": …, "direction": "asc"|"desc"}')
        direction = item.get("direction", "asc")
        if direction not in ("asc", "desc"):
            raise bad_request(f"sortby: direction {direction!r} is not asc or desc")
        keys.append(SortKey(item["field"], direction == "desc"))
    return tuple(keys)


def _fields(value: object) -> Fields:
    if isinstance(value, str):
        include: list[str] = []
        exclude: list[str] = []
        for item in value.split(","):
            text = item.strip()
            if not text:
                continue
            (exclude if text.startswith("-") else include).append(text.lstrip("+-").strip())
        return Fields(tuple(include), tuple(exclude))
    if not isinstance(value, dict) or set(value) - {"include", "exclude"}:
        raise bad_request('fields: {"include": [...], "exclude": [...]}')
    lists = []
    for key in ("include", "exclude"):
        items = value.get(key) or []
        if not isinstance(items, list) or not all(isinstance(i, str) and i for i in items):
            raise bad_request(f"fields.{key}: a list of field names")
        lists.append(tuple(items))
    return Fields(lists[0], lists[1])


def _build(raw: Mapping[str, Any], *, default_lang: str) -> SearchParameters:
    for name, why in NOT_SUPPORTED.items():
        if name in raw:
            raise bad_request(f"{name}: {why}", code="NotSupported")
    if "bbox" in raw and "intersects" in raw:
        raise bad_request("bbox and intersects cannot be used together")
    crs = raw.get("filter-crs")
    if crs is not None and crs not in CRS84:
        raise bad_request(f"filter-crs: only {CRS84[0]} is supported")
    intersects = raw.get("intersects")
    if isinstance(intersects, str):
        intersects = _json(intersects, "intersects")
    if intersects is not None and not isinstance(intersects, dict):
        raise bad_request("intersects: a GeoJSON geometry object")
    datetime = raw.get("datetime")
    if datetime is not None and not isinstance(datetime, str):
        raise bad_request("datetime: a string such as 2024-06-01T00:00:00Z/2024-06-30T23:59:59Z")
    token = raw.get(PAGE_TOKEN)
    if token is not None and (not isinstance(token, str) or not token.strip()):
        raise bad_request(f"{PAGE_TOKEN}: take it from a next link as it is")
    return SearchParameters(
        collections=_names(raw["collections"], "collections") if raw.get("collections") is not None else None,
        ids=_names(raw["ids"], "ids") if raw.get("ids") is not None else None,
        bbox=_bbox(raw["bbox"]) if raw.get("bbox") is not None else None,
        intersects=intersects,
        datetime=datetime,
        limit=_limit(raw["limit"]) if raw.get("limit") is not None else DEFAULT_LIMIT,
        sortby=_sortby(raw["sortby"]) if raw.get("sortby") is not None else (),
        fields=_fields(raw["fields"]) if raw.get("fields") is not None else None,
        filter=_filter(raw["filter"], str(raw.get("filter-lang") or default_lang))
        if raw.get("filter") is not None else None,
        skiptoken=token,
    )


def search_from_query(query: QueryDict, *, allowed: tuple[str, ...] = GET_PARAMETERS) -> SearchParameters:
    """GET: one value per parameter; parameters that are not ours (an access `token`) are left alone."""
    raw: dict[str, str] = {}
    for name in (*allowed, *NOT_SUPPORTED):
        values = query.getlist(name)
        if len(values) > 1:
            raise bad_request(f"{name} is given more than once")
        if values and (values[0] != "" or name == "filter"):
            raw[name] = values[0]
    return _build(raw, default_lang="cql2-text")


def search_from_body(body: bytes) -> tuple[SearchParameters, dict[str, Any]]:
    """POST: a JSON object (an empty body is an empty search); returns the parameters and the decoded body (the
    next link sends it again)."""
    data: Any = {}
    if body.strip():
        data = _json(body.decode("utf-8", errors="replace"), "body")
    if not isinstance(data, dict):
        raise bad_request("The body is a JSON object of search parameters")
    return _build(data, default_lang="cql2-json"), data

