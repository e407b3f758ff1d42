"""Settings for the Copernicus Reference System.

Everything that differs between machines comes from the environment (or a `.env` file beside manage.py, which the
set-up writes with a generated SECRET_KEY). With no environment at all the system runs on the embedded default:
SpatiaLite, filesystem object storage and the filesystem Celery broker, all under ./var/. Bad values stop the
process at start-up with a message naming the variable.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()
environ.Env.read_env(env.str("RS_ENV_FILE", default=str(BASE_DIR / ".env")))  # never overrides variables already set


def _choice(name: str, default: str, allowed: set[str]) -> str:
    value = env.str(name, default=default)
    if value not in allowed:
        raise ImproperlyConfigured(f"{name}={value!r}: use one of {', '.join(sorted(allowed))}")
    return value


def _env_int(name: str, default: int, minimum: int = 0) -> int:
    try:
        value = env.int(name, default=default)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name}: not an integer ({exc})") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name}={value}: must be >= {minimum}")
    return value


# django-environ's own boolean reading turns any unknown word (DEBUG=ture) into False: only these words are accepted.
_boolean_words = {"true": True, "1": True, "yes": True, "on": True, "false": False, "0": False, "no": False,
                  "off": False}


def _env_bool(name: str, default: bool) -> bool:
    if name not in env.ENVIRON:
        return default
    value = env.str(name)  # an empty value is refused too: it is not clear which of the two it means
    word = value.strip().lower()
    if word not in _boolean_words:
        raise ImproperlyConfigured(
            f"{name}={value!r}: not a boolean; use true/false, 1/0, yes/no or on/off (any case)")
    return _boolean_words[word]


def _url_shown(value: str) -> str:
    """The URL for an error message, its password masked (broker and backend URLs carry one)."""
    try:
        parts = urlsplit(value)
        if parts.password is None:
            return repr(value)
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
        return repr(parts._replace(netloc=netloc).geturl())
    except ValueError:
        return "(the value given)"


def _url_checked(name: str, value: str, schemes: tuple[str, ...]) -> str:
    """The URL when its scheme is one of `schemes` and it names a host (file: an absolute path) and a valid port."""
    shown = _url_shown(value)
    parts = urlsplit(value)
    if parts.scheme not in schemes or value[: len(parts.scheme) + 3].lower() != f"{parts.scheme}://":
        *others, last = [f"{scheme}://" for scheme in schemes]
        accepted = f"{', '.join(others)} or {last}" if others else last
        raise ImproperlyConfigured(f"{name}={shown}: use {accepted}")
    if parts.scheme == "file":
        # Celery's file backend takes everything after file:// (or file://localhost) as the folder
        if parts.netloc not in {"", "localhost"} or not parts.path.startswith("/"):
            raise ImproperlyConfigured(f"{name}={shown}: use file:///absolute/path")
        return value
    if parts.scheme == "filesystem":  # kombu's transport: its folders are transport options, not parts of the URL
        return value
    if not parts.hostname:
        raise ImproperlyConfigured(f"{name}={shown}: the URL names no host")
    try:
        parts.port  # noqa: B018 - urlsplit checks the port only when it is read
    except ValueError:
        raise ImproperlyConfigured(f"{name}={shown}: the port is not a number from 0 to 65535") from None
    database = parts.path.strip("/")
    if parts.scheme in {"redis", "rediss"} and database and not database.isdigit():
        raise ImproperlyConfigured(f"{name}={shown}: the Redis database is a number (redis://host:6379/0)")
    return value


def _env_url(name: str, default: str, schemes: tuple[str, ...]) -> str:
    """A URL-valued variable; empty (the default of the optional ones) means "not used" and is not checked."""
    value = env.str(name, default=default)
    return _url_checked(name, value, schemes) if value else value


_http_schemes = ("http", "https")

# absolute: the file:// result backend below is built from it and must not depend on the working directory
VAR_DIR = Path(env.str("RS_VAR_DIR", default=str(BASE_DIR / "var"))).absolute()

# --- Core -----------------------------------------------------------------------------------------------------------

DEBUG = _env_bool("DEBUG", default=False)
try:
    SECRET_KEY = env.str("SECRET_KEY")
except ImproperlyConfigured:
    raise ImproperlyConfigured(
        "SECRET_KEY is not set. `make run`/`make test` write one to .env; in a deployment set it in the environment."
    ) from None
if len(SECRET_KEY) < 32:
    raise ImproperlyConfigured("SECRET_KEY must be at least 32 characters long")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# Set RS_BEHIND_TLS_PROXY=true when a TLS-terminating proxy sets X-Forwarded-Proto (absolute nextLinks need it).
if _env_bool("RS_BEHIND_TLS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    USE_X_FORWARDED_HOST = True  # absolute nextLinks and DownloadLinks must name the public host

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.gis",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "rs.catalog",
    "rs.ingestion",
    "rs.production",
    "rs.prip",
    "rs.stac",
    "rs.monitoring",
    "rs.lifecycle",
    "rs.access",
    "rs.subscriptions",
    "rs.campaigns",
]

MIDDLEWARE = [
    "rs.monitoring.tracing.TraceIdMiddleware",
    "rs.monitoring.middleware.RequestMetricsMiddleware",
    "rs.request_limits.UrlLengthLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

# gunicorn runs with --limit-request-line 0 because OData URLs with detailed areas exceed 8 KB; this is the cap.
RS_MAX_URL_BYTES = _env_int("RS_MAX_URL_BYTES", 65536, minimum=1024)

ROOT_URLCONF = "rs.urls"
WSGI_APPLICATION = "rs.wsgi.application"
ASGI_APPLICATION = "rs.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "rs" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

# --- Database -------------------------------------------------------------------------------------------------------

try:
    DATABASES = {"default": env.db("DATABASE_URL", default=f"spatialite:///{VAR_DIR / 'rs.sqlite3'}")}
except (ImproperlyConfigured, KeyError, ValueError) as exc:
    raise ImproperlyConfigured(f"DATABASE_URL: cannot be parsed ({exc})") from None
DB_ENGINE = DATABASES["default"]["ENGINE"]
if DB_ENGINE not in {"django.contrib.gis.db.backends.postgis", "django.contrib.gis.db.backends.spatialite"}:
    raise ImproperlyConfigured(f"DATABASE_URL: use a postgis:// or spatialite:// URL (got engine {DB_ENGINE})")
IS_POSTGIS = DB_ENGINE.endswith("postgis")
if IS_POSTGIS:
    DATABASES["default"]["CONN_MAX_AGE"] = _env_int("DATABASE_CONN_MAX_AGE", 60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # No JIT: a page with its expansions' sub-selects is estimated above jit_above_cost, and compiling it took
    # 18-25 ms where running it takes under 1 ms (pages are small, index-backed queries; nothing here is analytic).
    options = DATABASES["default"].setdefault("OPTIONS", {})
    options["options"] = f"{options.get('options', '')} -c jit=off".strip()
else:
    # Web, worker and beat write to one SQLite file: WAL lets readers run beside a writer, IMMEDIATE takes the write
    # lock at BEGIN (no deadlock on lock upgrade) and the timeout makes writers queue instead of failing.
    # case_sensitive_like keeps startswith/contains/endswith case-sensitive as on PostgreSQL (PRIP semantics); Django's
    # i-lookups, which count on LIKE ignoring case, upper-case both sides instead (rs.sqlite_lookups).
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA case_sensitive_like=ON;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Debian 12 ships GDAL 3.6: Django warns on every command that it cannot block GDAL's file/network access. We only
# hand GDAL geometries we built ourselves, never file names or URLs from users.
SILENCED_SYSTEM_CHECKS = ["gis.W001"]

# --- Cache ----------------------------------------------------------------------------------------------------------

try:
    CACHES = {"default": env.cache("CACHE_URL", default=f"filecache://{VAR_DIR / 'cache'}")}
except (ImproperlyConfigured, KeyError, ValueError) as exc:
    raise ImproperlyConfigured(f"CACHE_URL: cannot be parsed ({exc})") from None
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    CACHES["default"]["BACKEND"] = "rs.redis_cache.RedisCache"  # one Redis client per pool, raw pipelines

# --- Auth, i18n, static ---------------------------------------------------------------------------------------------

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
MEDIA_URL = "/media/"  # nothing is served from here; set so live test servers do not treat every path as a file
MEDIA_ROOT = VAR_DIR / "media"
STATIC_ROOT = VAR_DIR / "static"
# frontend/dist is written by `npm run build` (see frontend/package.json); it holds the bundled map libraries.
STATICFILES_DIRS = [BASE_DIR / "frontend" / "dist"]

# --- Object storage -------------------------------------------------------------------------------------------------

RS_STORAGE = _choice("RS_STORAGE", "filesystem", {"filesystem", "s3"})
RS_STORAGE_ROOT = Path(env.str("RS_STORAGE_ROOT", default=str(VAR_DIR / "storage")))
RS_S3_ENDPOINT_URL = _env_url("RS_S3_ENDPOINT_URL", "", _http_schemes)
RS_S3_BUCKET = env.str("RS_S3_BUCKET", default="rs-products")
# The S3 address clients outside the deployment reach, used in presigned download URLs (default: the endpoint).
RS_S3_PUBLIC_ENDPOINT_URL = _env_url("RS_S3_PUBLIC_ENDPOINT_URL", "", _http_schemes)
RS_S3_REGION = env.str("RS_S3_REGION", default="us-east-1")
RS_S3_ACCESS_KEY = env.str("RS_S3_ACCESS_KEY", default="")
RS_S3_SECRET_KEY = env.str("RS_S3_SECRET_KEY", default="")
RS_S3_ADDRESSING_STYLE = _choice("RS_S3_ADDRESSING_STYLE", "path", {"path", "virtual", "auto"})
# Parts of a large upload are sent RS_S3_UPLOAD_CONCURRENCY at a time while the next ones are read and hashed, so an
# upload holds at most (concurrency + 1) parts in memory: 5 x 16 MiB = 80 MiB. S3's 10,000-part limit at 16 MiB is
# 160 GB, far above any Sentinel product.
RS_S3_MULTIPART_CHUNK_BYTES = _env_int("RS_S3_MULTIPART_CHUNK_BYTES", 16 * 1024 * 1024, minimum=5 * 1024 * 1024)
RS_S3_UPLOAD_CONCURRENCY = _env_int("RS_S3_UPLOAD_CONCURRENCY", 4, minimum=1)
RS_DOWNLOAD_URL_EXPIRY_S = _env_int("RS_DOWNLOAD_URL_EXPIRY_S", 600, minimum=1)

if RS_STORAGE == "s3":
    missing = [n for n in ("RS_S3_ENDPOINT_URL", "RS_S3_ACCESS_KEY", "RS_S3_SECRET_KEY") if not env.str(n, default="")]
    if missing:
        raise ImproperlyConfigured(f"RS_STORAGE=s3 needs {', '.join(missing)}")
    if not 3 <= len(RS_S3_BUCKET) <= 63:
        raise ImproperlyConfigured(f"RS_S3_BUCKET={RS_S3_BUCKET!r}: bucket names have 3 to 63 characters")
    # only an S3 deployment needs botocore at start-up (the embedded default never loads it)
    from botocore import __version__ as botocore_version
    from botocore.config import Config as BotoConfig

    _products_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "endpoint_url": RS_S3_ENDPOINT_URL,
            "access_key": RS_S3_ACCESS_KEY,
            "secret_key": RS_S3_SECRET_KEY,
            "bucket_name": RS_S3_BUCKET,
            "region_name": RS_S3_REGION,
            "addressing_style": RS_S3_ADDRESSING_STYLE,
            "signature_version": "s3v4",
            # Replaces the client configuration django-storages builds from the two options above (kept for its
            # other uses): same addressing and signature, a fixed User-Agent (botocore otherwise rebuilds it from a
            # dozen components twice per request), and no CRC32 computed by default: a single PUT carries the MD5
            # the store already computes while streaming (Content-MD5, checked by the store), parts name CRC32
            # themselves (rs.catalog.storage.s3). Responses are still checked where the store sends a checksum.
            "client_config": BotoConfig(
                signature_version="s3v4", s3={"addressing_style": RS_S3_ADDRESSING_STYLE},  # type: ignore[arg-type]
                user_agent=f"rs-catalog botocore/{botocore_version}", request_checksum_calculation="when_required",
            ),
            "querystring_auth": True,
            "querystring_expire": RS_DOWNLOAD_URL_EXPIRY_S,
            "file_overwrite": True,  # keys are chosen by the catalog; never rename silently
        },
    }
else:
    _products_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(RS_STORAGE_ROOT), "allow_overwrite": True},
    }

STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(VAR_DIR / "media")},
    },
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
    "products": _products_storage,
}

# --- Celery ---------------------------------------------------------------------------------------------------------

CELERY_QUEUE_DIR = VAR_DIR / "celery"
CELERY_BROKER_URL = _url_checked(
    "CELERY_BROKER_URL", env.str("CELERY_BROKER_URL", default="filesystem://"), ("filesystem", "redis", "rediss"))
if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {
        "data_folder_in": str(CELERY_QUEUE_DIR / "queue"),
        "data_folder_out": str(CELERY_QUEUE_DIR / "queue"),
        "processed_folder": str(CELERY_QUEUE_DIR / "processed"),
        # the exchange → queue bindings; kombu's default is ./control, relative to whatever directory a process
        # started in, so a producer and a worker started elsewhere would not see the same bindings
        "control_folder": str(CELERY_QUEUE_DIR / "control"),
        "store_processed": False,
        "polling_interval": 0.1,  # the default 1 s makes every hop of a chain wait a second
    }
    _default_result_backend = f"file://{CELERY_QUEUE_DIR / 'results'}"
    # kombu's filesystem transport needs its folders to exist before a producer or a worker starts
    for _folder in ("queue", "processed", "results", "control"):
        (CELERY_QUEUE_DIR / _folder).mkdir(parents=True, exist_ok=True)
else:
    # Redis redelivers an unacknowledged message after visibility_timeout. Production jobs can run for hours, so
    # keep it longer than Max_Time; duplicates are harmless anyway because job rows are claimed atomically.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 12 * 3600}
    _default_result_backend = CELERY_BROKER_URL
CELERY_RESULT_BACKEND = _url_checked(
    "CELERY_RESULT_BACKEND", env.str("CELERY_RESULT_BACKEND", default=_default_result_backend),
    ("redis", "rediss", "file"))
CELERY_RESULT_EXPIRES = 3600
CELERY_TASK_IGNORE_RESULT = True  # database rows are the truth; tasks that need a result say so
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

RS_QUEUES = (
    "ingestion",
    "preparation",
    "production-high",
    "production-medium",
    "production-low",
    "maintenance",
)
CELERY_TASK_DEFAULT_QUEUE = "maintenance"
CELERY_TASK_ROUTES = {
    "rs.ingestion.tasks.*": {"queue": "ingestion"},
    "rs.production.tasks.preparation_*": {"queue": "preparation"},
    "rs.production.tasks.execution_reap_task": {"queue": "maintenance"},
    "rs.production.tasks.execution_dispatch_task": {"queue": "maintenance"},
    # Execution tasks are sent to production-high|medium|low explicitly, from the job's priority.
    "rs.production.tasks.*": {"queue": "production-medium"},
    "rs.catalog.tasks.*": {"queue": "maintenance"},
    "rs.monitoring.tasks.*": {"queue": "maintenance"},
    "rs.prip.tasks.*": {"queue": "maintenance"},
    "rs.lifecycle.tasks.*": {"queue": "maintenance"},
    "rs.access.tasks.*": {"queue": "maintenance"},
    "rs.subscriptions.tasks.*": {"queue": "maintenance"},
    "rs.campaigns.tasks.*": {"queue": "maintenance"},
    "rs.production.orders.tasks.order_plan_task": {"queue": "preparation"},  # job creation is preparation work
    "rs.production.orders.tasks.*": {"queue": "maintenance"},
}
CELERY_BEAT_SCHEDULE = {
    "catalog-events-redispatch": {"task": "rs.catalog.tasks.events_redispatch_task", "schedule": 30.0},
    "catalog-events-purge": {"task": "rs.catalog.tasks.events_purge_task", "schedule": crontab(minute="17")},
    # The due-eviction query is one index probe when nothing is due, so running it every minute costs nothing.
    "lifecycle-eviction": {"task": "rs.lifecycle.tasks.eviction_run_task", "schedule": 60.0},
    "lifecycle-pressure": {"task": "rs.lifecycle.tasks.pressure_run_task", "schedule": crontab(minute="*/10")},
    "monitoring-alerts": {"task": "rs.monitoring.tasks.alerts_evaluate_task", "schedule": 60.0},
    "ingestion-inboxes-poll": {"task": "rs.ingestion.tasks.inboxes_poll_task", "schedule": 20.0},
    "production-timeouts": {"task": "rs.production.tasks.preparation_timeouts_check_task", "schedule": 60.0},
    "production-schedule-rules": {"task": "rs.production.tasks.preparation_schedule_rules_task", "schedule": 60.0},
    "production-order-notifications-redispatch": {
        "task": "rs.production.orders.tasks.order_notifications_redispatch_task", "schedule": 60.0},
    "production-order-planning-redispatch": {
        "task": "rs.production.orders.tasks.order_planning_redispatch_task", "schedule": 60.0},
    # Running jobs whose worker stopped renewing its lease go back to retrying; due retries and lost sends go out.
    "production-execution-reap": {"task": "rs.production.tasks.execution_reap_task", "schedule": 15.0},
    "production-execution-dispatch": {"task": "rs.production.tasks.execution_dispatch_task", "schedule": 15.0},
    "subscriptions-push-redispatch": {"task": "rs.subscriptions.tasks.pushes_redispatch_task", "schedule": 60.0},
    "subscriptions-payloads-strip": {"task": "rs.subscriptions.tasks.payloads_strip_task", "schedule": 3600.0},
    "subscriptions-download-usage-expire": {"task": "rs.subscriptions.tasks.download_usage_expire_task",
                                            "schedule": crontab(hour="3", minute="43")},
    "access-keys-maintain": {"task": "rs.access.tasks.signing_keys_maintain_task", "schedule": 3600.0},
    "access-sessions-purge": {"task": "rs.access.tasks.sessions_purge_task", "schedule": 6 * 3600.0},
    "lifecycle-metadata-purge": {"task": "rs.lifecycle.tasks.metadata_purge_task",
                                 "schedule": crontab(hour="3", minute="41")},
    # Campaigns left `deleting` with no worker at them (lost message, killed worker) are sent again.
    "campaigns-deletions-redispatch": {"task": "rs.campaigns.tasks.campaign_deletions_redispatch_task",
                                       "schedule": 60.0},
    # Finished campaigns whose comparisons were not all stored (finished before that, or a store that failed).
    "campaigns-comparisons-fill": {"task": "rs.campaigns.tasks.campaigns_comparisons_fill_task",
                                   "schedule": crontab(minute="*/10")},
}

# --- Catalog --------------------------------------------------------------------------------------------------------

# An undelivered event older than this is dispatched again by the periodic task (the on-commit send was lost).
# Production execution (rs/production/README.md, "Execution").
RS_WORKDIR_ROOT = Path(env.str("RS_WORKDIR_ROOT", default=str(VAR_DIR / "workdirs")))  # one folder per job run
RS_PROCESSOR_ROOT = Path(env.str("RS_PROCESSOR_ROOT", default=str(BASE_DIR / "processors")))  # relative File_Names
RS_EXECUTION_LEASE_S = _env_int("RS_EXECUTION_LEASE_S", 60, minimum=2)  # a running job's worker renews it
RS_EXECUTION_HEARTBEAT_S = _env_int("RS_EXECUTION_HEARTBEAT_S", 10, minimum=1)  # renewal period (< lease)
RS_EXECUTION_MAX_RETRIES = _env_int("RS_EXECUTION_MAX_RETRIES", 3, minimum=0)  # automatic retries, then failed
RS_EXECUTION_RETRY_BACKOFF_S = _env_int("RS_EXECUTION_RETRY_BACKOFF_S", 60, minimum=0)  # doubled per retry
RS_EXECUTION_RETRY_BACKOFF_MAX_S = _env_int("RS_EXECUTION_RETRY_BACKOFF_MAX_S", 3600, minimum=0)
RS_EXECUTION_DEFAULT_MAX_TIME_S = _env_int("RS_EXECUTION_DEFAULT_MAX_TIME_S", 6 * 3600, minimum=1)  # Max_Time 0
RS_EXECUTION_KILL_GRACE_S = _env_int("RS_EXECUTION_KILL_GRACE_S", 10, minimum=0)  # Killing_Signal → SIGKILL
RS_EXECUTION_LOG_MAX_LINES = _env_int("RS_EXECUTION_LOG_MAX_LINES", 5000, minimum=10)  # stored per task run
RS_EXECUTION_FETCH_THREADS = _env_int("RS_EXECUTION_FETCH_THREADS", 4, minimum=1)  # parallel input downloads
RS_EXECUTION_QUEUED_RESEND_S = _env_int("RS_EXECUTION_QUEUED_RESEND_S", 3600, minimum=10)  # lost message resend
RS_EXECUTION_KEEP_WORKDIR = _env_bool("RS_EXECUTION_KEEP_WORKDIR", default=False)  # debugging: never delete

RS_EVENT_REDISPATCH_AFTER_S = _env_int("RS_EVENT_REDISPATCH_AFTER_S", 60, minimum=1)
RS_EVENT_RETENTION_DAYS = _env_int("RS_EVENT_RETENTION_DAYS", 7, minimum=0)

# --- Ingestion ------------------------------------------------------------------------------------------------------

RS_INGESTION_MAX_ATTEMPTS = _env_int("RS_INGESTION_MAX_ATTEMPTS", 6, minimum=1)  # then the entry fails for good
RS_INGESTION_PARALLEL_DRAINS = _env_int("RS_INGESTION_PARALLEL_DRAINS", 4, minimum=1)  # transfer tasks per inbox
RS_INGESTION_UPLOAD_THREADS = _env_int("RS_INGESTION_UPLOAD_THREADS", 4, minimum=1)  # stores a batch at once
# Remote products (S3, OData, CADIP) are staged here once: reading a zipped manifest needs random access.
RS_INGESTION_STAGING_DIR = Path(env.str("RS_INGESTION_STAGING_DIR", default=str(VAR_DIR / "ingestion-staging")))

# --- PRIP -----------------------------------------------------------------------------------------------------------

# OData `Name`: "cdse" = the product name (S1A_….SAFE), "prip" = the delivered file name (S1A_….SAFE.zip).
RS_PRIP_NAME_CONVENTION = _choice("RS_PRIP_NAME_CONVENTION", "cdse", {"cdse", "prip"})

# --- Web client -----------------------------------------------------------------------------------------------------

# XYZ template of an online layer (https://…/{z}/{x}/{y}.png), Web Mercator; empty = offline basemap only
RS_WEB_TILE_URL = _env_url("RS_WEB_TILE_URL", "", _http_schemes)
RS_WEB_TILE_ATTRIBUTION = env.str("RS_WEB_TILE_ATTRIBUTION", default="")

# --- Subscriptions (push notifications) ----------------------------------------------------------------------------

# POSTs of one notification before its subscription is paused; the first retry waits RS_SUBSCRIPTION_PUSH_BACKOFF_S
# and each next one twice as long (6 attempts, 10 s: 10+20+40+80+160 s ≈ 5 min of an endpoint being down).
RS_SUBSCRIPTION_PUSH_ATTEMPTS = _env_int("RS_SUBSCRIPTION_PUSH_ATTEMPTS", 6, minimum=1)
RS_SUBSCRIPTION_PUSH_BACKOFF_S = _env_int("RS_SUBSCRIPTION_PUSH_BACKOFF_S", 10, minimum=0)
RS_SUBSCRIPTION_PUSH_TIMEOUT_S = _env_int("RS_SUBSCRIPTION_PUSH_TIMEOUT_S", 10, minimum=1)
# Callbacks to loopback, private and link-local addresses are refused (server-side request forgery) unless this is on.
RS_SUBSCRIPTION_PUSH_PRIVATE_NETWORKS = _env_bool("RS_SUBSCRIPTION_PUSH_PRIVATE_NETWORKS", default=False)

# --- Production orders (ad-hoc production) --------------------------------------------------------------------------

# Triggering products one order may select (more: 400). Orders of at most RS_PRODUCTION_ORDER_SYNC_MAX_PRODUCTS are
# planned within the request (201, running); larger ones are accepted (202) and planned by
# rs.production.orders.tasks.order_plan_task (queue preparation), RS_PRODUCTION_ORDER_PLAN_CHUNK products per
# transaction.
RS_PRODUCTION_ORDER_MAX_PRODUCTS = _env_int("RS_PRODUCTION_ORDER_MAX_PRODUCTS", 10000, minimum=1)
RS_PRODUCTION_ORDER_SYNC_MAX_PRODUCTS = _env_int("RS_PRODUCTION_ORDER_SYNC_MAX_PRODUCTS", 50, minimum=0)
RS_PRODUCTION_ORDER_PLAN_CHUNK = _env_int("RS_PRODUCTION_ORDER_PLAN_CHUNK", 200, minimum=1)
# Completion notification (webhook and/or e-mail): attempts, first back-off (doubling), webhook timeout.
RS_PRODUCTION_ORDER_NOTIFY_ATTEMPTS = _env_int("RS_PRODUCTION_ORDER_NOTIFY_ATTEMPTS", 6, minimum=1)
RS_PRODUCTION_ORDER_NOTIFY_BACKOFF_S = _env_int("RS_PRODUCTION_ORDER_NOTIFY_BACKOFF_S", 10, minimum=0)
RS_PRODUCTION_ORDER_WEBHOOK_TIMEOUT_S = _env_int("RS_PRODUCTION_ORDER_WEBHOOK_TIMEOUT_S", 10, minimum=1)
# Webhooks to loopback, private and link-local addresses are refused (server-side request forgery) unless this is on.
RS_PRODUCTION_ORDER_WEBHOOK_PRIVATE_NETWORKS = _env_bool("RS_PRODUCTION_ORDER_WEBHOOK_PRIVATE_NETWORKS", default=False)

# --- E-mail (order notifications) -----------------------------------------------------------------------------------

EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = _env_int("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = _env_bool("EMAIL_USE_TLS", default=False)
EMAIL_TIMEOUT = _env_int("EMAIL_TIMEOUT", 10, minimum=1)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="reference-system@localhost")

# --- Monitoring -----------------------------------------------------------------------------------------------------

RS_MONITORING_ALERT_WEBHOOK_URL = _env_url("RS_MONITORING_ALERT_WEBHOOK_URL", "", _http_schemes)  # empty = log only

# --- Data lifecycle -------------------------------------------------------------------------------------------------

# Products evicted (offline) longer ago than this lose their catalogue entry; their DeletedProduct record stays.
RS_METADATA_PURGE_AFTER_DAYS = _env_int("RS_METADATA_PURGE_AFTER_DAYS", 90, minimum=0)
# 500 keys = one S3 DeleteObjects request and one short catalog transaction per batch.
RS_EVICTION_BATCH_SIZE = _env_int("RS_EVICTION_BATCH_SIZE", 1000, minimum=1)  # one DeleteObjects holds 1,000 keys
# Ingestion stores bytes before cataloguing them: a repair deletes only orphan objects older than this.
RS_STORAGE_CHECK_ORPHAN_GRACE_S = _env_int("RS_STORAGE_CHECK_ORPHAN_GRACE_S", 6 * 3600, minimum=0)
# A validation campaign's outputs are due for eviction this many days after their registration (they are never
# published, so no retention policy applies to them); the campaign's stored comparisons outlive them.
RS_CAMPAIGN_OUTPUT_RETENTION_DAYS = _env_int("RS_CAMPAIGN_OUTPUT_RETENTION_DAYS", 30, minimum=1)

# --- Access (authentication, tokens, rights) ------------------------------------------------------------------------

RS_ACCESS_REALM = env.str("RS_ACCESS_REALM", default="rs")
# The public issuer, https://host/auth/realms/<realm>; empty: taken from the request.
RS_ACCESS_ISSUER = _env_url("RS_ACCESS_ISSUER", "", _http_schemes)
RS_ACCESS_AUDIENCE = env.list("RS_ACCESS_AUDIENCE", default=["CLOUDFERRO_PUBLIC"])  # eodag's allowed_audiences
RS_ACCESS_TOKEN_LIFETIME_S = _env_int("RS_ACCESS_TOKEN_LIFETIME_S", 600, minimum=30)
RS_ACCESS_REFRESH_TOKEN_LIFETIME_S = _env_int("RS_ACCESS_REFRESH_TOKEN_LIFETIME_S", 3600, minimum=60)
RS_ACCESS_SESSION_MAX_S = _env_int("RS_ACCESS_SESSION_MAX_S", 36000, minimum=60)
RS_ACCESS_MAX_SESSIONS_PER_USER = _env_int("RS_ACCESS_MAX_SESSIONS_PER_USER", 100, minimum=1)
RS_ACCESS_KEY_PASSPHRASE = env.str("RS_ACCESS_KEY_PASSPHRASE", default="")  # empty: SECRET_KEY; changing it: rotate
RS_ACCESS_KEY_ROTATION_DAYS = _env_int("RS_ACCESS_KEY_ROTATION_DAYS", 30, minimum=1)
RS_ACCESS_BASIC_AUTH = _env_bool("RS_ACCESS_BASIC_AUTH", default=True)
RS_PRIP_ANONYMOUS_SEARCH = _env_bool("RS_PRIP_ANONYMOUS_SEARCH", default=True)
RS_ACCESS_DEFAULT_VISIBILITY = _choice("RS_ACCESS_DEFAULT_VISIBILITY", "all", {"all", "none"})
RS_ACCESS_LOGIN_MAX_FAILURES = _env_int("RS_ACCESS_LOGIN_MAX_FAILURES", 10, minimum=1)
RS_ACCESS_LOGIN_MAX_FAILURES_PER_IP = _env_int("RS_ACCESS_LOGIN_MAX_FAILURES_PER_IP", 50, minimum=1)
RS_ACCESS_LOGIN_LOCKOUT_S = _env_int("RS_ACCESS_LOGIN_LOCKOUT_S", 900, minimum=1)
RS_ACCESS_PROXY_HOPS = _env_int("RS_ACCESS_PROXY_HOPS", 0)  # trusted proxies appending to X-Forwarded-For
RS_ACCESS_EXTERNAL_JWKS_TIMEOUT_S = _env_int("RS_ACCESS_EXTERNAL_JWKS_TIMEOUT_S", 3, minimum=1)

# --- API ------------------------------------------------------------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: its WWW-Authenticate header turns "no credentials" into a 401 instead of a 403.
        "rs.access.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rs.api.pagination.StandardCursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "rs.api.exceptions.api_exception_handler",
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Copernicus Reference System operator API",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
}

# --- Logging --------------------------------------------------------------------------------------------------------

RS_LOG_FORMAT = _choice("RS_LOG_FORMAT", "text", {"text", "json"})
LOG_LEVEL = _choice("LOG_LEVEL", "INFO", {"DEBUG", "INFO", "WARNING", "ERROR"})
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(trace_id)s] %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(trace_id)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    # Tokens arrive in query strings (eodag's ?token=): the filter masks them wherever a record carries a request.
    "filters": {
        "redact_secrets": {"()": "rs.access.log_redaction.SecretRedactionFilter"},
        "trace_id": {"()": "rs.monitoring.tracing.TraceIdFilter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": RS_LOG_FORMAT,
            "filters": ["redact_secrets", "trace_id"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# Extra modules that register catalog-event consumers (plug-ins of a deployment, or the suite's test consumers).
RS_EVENT_CONSUMER_MODULES = env.list("RS_EVENT_CONSUMER_MODULES", default=[])
# A delivery that failed this many times is left for an operator (admin action) instead of retrying for ever.
RS_EVENT_MAX_ATTEMPTS = _env_int("RS_EVENT_MAX_ATTEMPTS", 8, minimum=1)
