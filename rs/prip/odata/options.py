"""System query options (prip-odata.md §6) decoded exactly as §8 says, validated, and turned into the query tree."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote_to_bytes

from rs.catalog.query.errors import QueryError
from rs.catalog.query.filter_parser import parse_filter
from rs.catalog.query.orderby import parse_orderby
from rs.catalog.query.properties import Entity
from rs.catalog.query.tree import Node, OrderKey
from rs.prip.constants import DEFAULT_TOP, MAX_SKIP, MAX_TOP
from rs.prip.odata.errors import ODataError, bad_option, integer_option, query_error

KNOWN = ("$filter", "$orderby", "$top", "$skip", "$skiptoken", "$count", "$expand", "$select", "$format")
NOT_SUPPORTED = ("$search", "$apply", "$compute", "$levels")
TYPED_ATTRIBUTES = ("StringAttributes", "IntegerAttributes", "DoubleAttributes", "BooleanAttributes",
                    "DateTimeOffsetAttributes")
EXPANSIONS = {
    Entity.PRODUCTS: ("Attributes", "Assets", "Locations", "Quicklooks", *TYPED_ATTRIBUTES),
    Entity.DELETED_PRODUCTS: ("Attributes", *TYPED_ATTRIBUTES),
}
PRODUCT_KEYS = ("Id", "Name", "ContentType", "ContentLength", "OriginDate", "PublicationDate", "ModificationDate",
                "Online", "EvictionDate", "S3Path", "Checksum", "ContentDate", "Footprint", "GeoFootprint",
                "ProductionType")
SELECTABLE = {Entity.PRODUCTS: PRODUCT_KEYS, Entity.DELETED_PRODUCTS: (*PRODUCT_KEYS, "DeletionDate", "DeletionCause")}


@dataclass(frozen=True)
class QueryOptions:
    params: tuple[tuple[str, str], ...]  # every parameter, decoded, in request order (the nextLink echoes them)
    filter: Node | None = None
    order: tuple[OrderKey, ...] = ()
    top: int = DEFAULT_TOP
    skip: int = 0
    skiptoken: str | None = None
    count: bool = False
    expand: tuple[str, ...] = ()  # canonical names, request order, no duplicates
    select: tuple[str, ...] | None = None  # None: every property

    def expands_attributes(self) -> bool:
        return any(name == "Attributes" or name in TYPED_ATTRIBUTES for name in self.expand)

    def expands_assets(self) -> bool:
        return "Assets" in self.expand or "Quicklooks" in self.expand


def decode_query_string(raw: str) -> list[tuple[str, str]]:
    """Split on '&' before decoding, then on the first '='; '+' is a space; percent-decoding happens once, as UTF-8."""
    try:
        data = raw.encode("latin-1")  # WSGI hands the raw bytes over as latin-1 text
    except UnicodeEncodeError:
        data = raw.encode("utf-8")
    params = []
    for part in data.split(b"&"):
        if not part:
            continue
        name, _, value = part.partition(b"=")
        try:
            params.append((_decode(name), _decode(value)))
        except UnicodeDecodeError:
            shown = part[:40].decode("latin-1")
            raise ODataError(400, "InvalidQueryOption", f"Query parameter {shown!r} is not valid UTF-8 once "
                             "percent-decoded") from None
    return params


def _decode(part: bytes) -> str:
    return unquote_to_bytes(part.replace(b"+", b" ")).decode("utf-8")


def query_options(raw: str, *, entity: Entity) -> QueryOptions:
    params = decode_query_string(raw)
    seen: dict[str, str] = {}
    expand_values: list[str] = []
    for name, value in params:
        if not name.startswith("$"):
            continue  # token=… and anything else is not ours to judge
        if name in NOT_SUPPORTED:
            raise bad_option(name, f"{name} is not supported")
        if name not in KNOWN:
            raise bad_option(name, f"Unknown system query option {name!r}: use one of {', '.join(KNOWN)}")
        if name == "$expand":
            expand_values.append(value)
            continue
        if name in seen:
            raise bad_option(name, f"{name} is given more than once")
        seen[name] = value
    fmt = seen.get("$format")
    if fmt is not None and not (fmt.strip().lower() == "json" or fmt.strip().lower().startswith("application/json")):
        raise bad_option("$format", f"$format={fmt!r} is not supported: use json")
    try:
        filter_node = parse_filter(seen.get("$filter", ""), entity=entity)
    except QueryError as exc:
        raise query_error(exc, target="$filter", code="InvalidFilter") from None
    try:
        order = parse_orderby(seen.get("$orderby"), entity=entity)
    except QueryError as exc:
        raise query_error(exc, target="$orderby", code="InvalidOrderBy") from None
    top = integer_option("$top", seen["$top"], minimum=0, maximum=MAX_TOP) if "$top" in seen else DEFAULT_TOP
    skip = integer_option("$skip", seen["$skip"], minimum=0, maximum=MAX_SKIP) if "$skip" in seen else 0
    skiptoken = seen.get("$skiptoken")
    if skiptoken is not None and not skiptoken.strip():
        raise bad_option("$skiptoken", "$skiptoken is empty")
    return QueryOptions(
        params=tuple(params), filter=filter_node, order=order, top=top, skip=skip, skiptoken=skiptoken,
        count=_count(seen.get("$count")), expand=_expand(expand_values, entity),
        select=_select(seen.get("$select"), entity),
    )


def _count(raw: str | None) -> bool:
    if raw is None or raw in ("false", "False", "0"):
        return False
    if raw in ("true", "True", "1"):
        return True
    raise bad_option("$count", f"$count={raw!r}: use true or false")


def _expand(values: list[str], entity: Entity) -> tuple[str, ...]:
    allowed = {name.lower(): name for name in EXPANSIONS[entity]}
    names: list[str] = []
    for value in values:
        for item in value.split(","):
            word = item.strip()
            if "(" in word:
                raise bad_option("$expand", f"Options inside $expand ({word!r}) are not supported")
            if word.lower() not in allowed:
                raise bad_option("$expand", f"Cannot expand {word!r}: use {', '.join(EXPANSIONS[entity])}")
            names.append(allowed[word.lower()])
    return tuple(dict.fromkeys(names))


def _select(raw: str | None, entity: Entity) -> tuple[str, ...] | None:
    if raw is None or raw.strip() == "*":
        return None
    allowed = SELECTABLE[entity]
    chosen: set[str] = {"Id"}
    for item in raw.split(","):
        word = item.strip()
        if word == "*":
            return None
        if word not in allowed:
            hint = " (use $expand for navigations)" if word in EXPANSIONS[Entity.PRODUCTS] else ""
            raise bad_option("$select", f"Unknown property {word!r} in $select{hint}")
        chosen.add(word)
    return tuple(name for name in allowed if name in chosen)
