"""Fixed values of subscriptions and quotas (the tunable ones are settings or rows of UserLimits)."""

from __future__ import annotations

# CDSE's limits (prip-odata.md §13, §18): the values of the default UserLimits row, and what applies while the app
# is not installed yet.
DEFAULT_CONCURRENT_DOWNLOADS = 4
DEFAULT_DOWNLOAD_BYTES = 12 * 10**12  # 12 TB ...
DEFAULT_DOWNLOAD_PERIOD_DAYS = 30  # ... per 30 days
DEFAULT_REQUESTS_PER_MINUTE = 2000
DEFAULT_RUNNING_SUBSCRIPTIONS = 1
DEFAULT_TOTAL_SUBSCRIPTIONS = 10
DEFAULT_QUEUE_LENGTH = 100_000
DEFAULT_READ_MAX = 20
MAX_CONCURRENT_DOWNLOADS = 64  # slots are keys read in one round trip per admission: a handful, not thousands

READ_DEFAULT_TOP = 1  # Read without $top returns one notification (CDSE)
PAYLOAD_KEPT_DAYS = 3  # after this a notification keeps only its envelope (CDSE)

# A redirect hands the bytes to S3, so we never see the download end: its slot is held for the time the transfer
# would take at CDSE's per-connection rate, between these bounds (and never beyond the presigned URL's life).
REDIRECT_ASSUMED_BYTES_PER_S = 20 * 10**6
REDIRECT_SLOT_MIN_S = 5
# A streamed download holds its slot for this long and renews it while bytes flow; a killed process frees it when
# the lease runs out.
STREAM_SLOT_LEASE_S = 120
STREAM_SLOT_RENEW_S = 30

# Filters whose prefilter would name more (mission, product type) pairs than this are keyed as "any".
MAX_PREFILTER_KEYS = 200
# Owners' visibility scopes are memoised this long for matching; a change of rights makes them stale at once (they
# carry the rights version they were made under), so this only bounds how long an idle memo occupies the cache.
VISIBILITY_MEMO_S = 600
# SQLite allows 500 terms in one compound SELECT; the database fallback of matching stays well below.
FALLBACK_UNION_CHUNK = 200

MAX_BODY_BYTES = 64 * 1024  # a subscription body is a filter and a few fields
MAX_ENDPOINT_CHARS = 2048
MAX_CREDENTIAL_CHARS = 256
PUSH_LEASE_S = 60  # a claimed push is retried by the redispatch only after this (the POST times out before)
PUSH_REDISPATCH_BATCH = 500
PUSH_ERROR_CHARS = 500

CACHE_PREFIX = "subs:"
LIMITS_CACHE_S = 60
LIMITS_VERSION_KEY = CACHE_PREFIX + "limits-version"
