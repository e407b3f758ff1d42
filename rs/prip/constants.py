"""Limits of the OData API, as CDSE applies them (prip-odata.md §6, §18)."""

DEFAULT_TOP = 20  # CDSE default page size
MAX_TOP = 1000  # CDSE maximum; beyond it a 422, never a silent cap
MAX_SKIP = 10_000  # CDSE offset wall (422 beyond); $skiptoken pages without limit
MAX_FILTERLIST_NAMES = 1000  # names in one OData.CSC.FilterList body
MAX_FILTERLIST_BODY_BYTES = 1024 * 1024
RETRY_AFTER_S = 30  # Retry-After of a 503 when the database is unreachable
