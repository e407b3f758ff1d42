"""Versions, conformance classes, extension schemas and limits of the STAC API."""

from __future__ import annotations

from rs.prip.constants import MAX_TOP

STAC_VERSION = "1.1.0"  # the object schemas we validate against (STAC API 1.0.0 serves STAC 1.x objects)
CATALOG_ID = "copernicus-reference-system"

API = "https://api.stacspec.org/v1.0.0"
OGC_FEATURES = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf"
CQL2 = "http://www.opengis.net/spec/cql2/1.0/conf"
CONFORMANCE = (
    f"{API}/core",
    f"{API}/collections",
    f"{API}/ogcapi-features",
    f"{API}/item-search",
    f"{API}/item-search#sort",
    f"{API}/item-search#fields",
    f"{API}/ogcapi-features#sort",
    f"{API}/ogcapi-features#fields",
    "https://api.stacspec.org/v1.0.0-rc.2/item-search#filter",
    "https://api.stacspec.org/v1.0.0-rc.2/ogcapi-features#filter",
    f"{OGC_FEATURES}/core",
    f"{OGC_FEATURES}/geojson",
    f"{OGC_FEATURES}/oas30",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    f"{CQL2}/cql2-text",
    f"{CQL2}/cql2-json",
    f"{CQL2}/basic-cql2",
    f"{CQL2}/basic-spatial-functions",
    f"{CQL2}/basic-spatial-functions-plus",
)

EXTENSIONS = {
    "eo": "https://stac-extensions.github.io/eo/v1.1.0/schema.json",
    "file": "https://stac-extensions.github.io/file/v2.1.0/schema.json",
    "processing": "https://stac-extensions.github.io/processing/v1.2.0/schema.json",
    "proj": "https://stac-extensions.github.io/projection/v2.0.0/schema.json",
    "sar": "https://stac-extensions.github.io/sar/v1.0.0/schema.json",
    "sat": "https://stac-extensions.github.io/sat/v1.0.0/schema.json",
    "timestamps": "https://stac-extensions.github.io/timestamps/v1.1.0/schema.json",
}

DEFAULT_LIMIT = 10  # STAC API default page size
MAX_LIMIT = MAX_TOP  # the PRIP's $top maximum: beyond it a 400, never a silent cap
MAX_IDS = 1000  # ids or collections of one search (the PRIP's `in` list limit)
MAX_FILTER_LENGTH = 256 * 1024  # the PRIP's $filter limit
MAX_FILTER_DEPTH = 64  # nesting of a CQL2 expression (and/or/not, parentheses, functions)
MAX_BODY_BYTES = 1024 * 1024  # a POST /search body
PAGE_TOKEN = "skiptoken"  # noqa: S105 - a parameter name; not `token`: that name carries access tokens (eodag's ?token=<JWT>)
MEDIA_GEOJSON = "application/geo+json"
MEDIA_JSON = "application/json"
MEDIA_SCHEMA = "application/schema+json"
MEDIA_OPENAPI = "application/vnd.oai.openapi+json;version=3.0"
