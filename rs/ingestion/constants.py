"""Tunables of ingestion, each with the reason for its value. Deployments override the ones read from settings."""

from __future__ import annotations

from django.conf import settings

# One claim takes this many entries in one query, and they are catalogued in one transaction: fewer round trips and
# commits for thousands of small products, while large products are still spread over several workers (a claim
# stops at CLAIM_BYTES, and each worker claims again when it is done).
CLAIM_BATCH = 32

# Threads of a drain that fetch, extract and store the entries of a batch at once: small products spend most of their
# time waiting for the store and the source, not computing.
UPLOAD_THREADS: int = getattr(settings, "RS_INGESTION_UPLOAD_THREADS", 4)

# A drain task stops claiming after this long and hands over to a fresh task, so one busy inbox cannot hold a
# worker for hours and a worker restart loses at most one batch.
DRAIN_BUDGET_S = 300.0

# A transferring entry whose heartbeat is older than this is considered abandoned (worker killed) and re-queued.
# Transfers beat every HEARTBEAT_S, so a live transfer is never re-queued.
HEARTBEAT_S = 15.0
STALE_CLAIM_S = 120.0

# A poll that has not finished after this long (process killed) no longer blocks the next one.
POLL_LEASE_S = 600.0

# Retryable failures (store or source unreachable): exponential backoff base, ceiling and number of attempts
# before the entry is failed and left for an operator (never an endless loop, reference-system.md §9.5).
RETRY_BASE_S = 10.0
RETRY_MAX_S = 1800.0
MAX_ATTEMPTS: int = getattr(settings, "RS_INGESTION_MAX_ATTEMPTS", 6)

# Drain tasks started per poll at most; the ingestion workers' concurrency is the real limit.
PARALLEL_DRAINS: int = getattr(settings, "RS_INGESTION_PARALLEL_DRAINS", 4)

# Entries are recorded in batches of this many listing items: a few statements per batch keep a poll of 100,000 files
# in bounded memory, and each batch is committed so that the workers may ingest it while the listing goes on.
RECORD_BATCH = 1000

# Remote products (S3, OData, CADIP) are staged here once: archives need random access for their manifests.
STAGING_DIR = getattr(settings, "RS_INGESTION_STAGING_DIR", settings.VAR_DIR / "ingestion-staging")

# HTTP pickup points: a listing page or a download that stalls this long is a retryable failure.
HTTP_TIMEOUT_S = 60.0

# Quicklook images larger than this are not stored as assets (a browse image is at most a few MB).
QUICKLOOK_MAX_BYTES = 20 * 1024 * 1024

# The inbox that records `manage.py ingest` runs (entries keyed by absolute path). It is never polled.
CLI_INBOX = "cli"
