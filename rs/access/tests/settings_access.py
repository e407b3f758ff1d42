"""rs.settings plus the access app, until its lines move into rs/settings.py (run pytest with
--ds=rs.access.tests.settings_access)."""

from django.core.exceptions import ImproperlyConfigured

from rs.settings import *  # noqa: F403
from rs.settings import (
    CELERY_BEAT_SCHEDULE,
    CELERY_TASK_ROUTES,
    INSTALLED_APPS,
    REST_FRAMEWORK,
    _env_bool,
    _env_int,
    _env_url,
    _http_schemes,
    env,
)

# Idempotent, so the module keeps working once rs.access is in rs/settings.py.
INSTALLED_APPS = INSTALLED_APPS if "rs.access" in INSTALLED_APPS else [*INSTALLED_APPS, "rs.access"]
ROOT_URLCONF = "rs.access.tests.urls_access"

# --- the lines for rs/settings.py ------------------------------------------------------------------------------------
# --- Access (authentication, tokens, rights) ---
# Realm of the OpenID Connect endpoints: <base>/auth/realms/<realm>/... (CDSE's is "CDSE").
RS_ACCESS_REALM = env.str("RS_ACCESS_REALM", default="rs")
# The public issuer URL (https://host/auth/realms/<realm>); empty: derived from the host each request came to.
RS_ACCESS_ISSUER = _env_url("RS_ACCESS_ISSUER", "", _http_schemes)
# Audience(s) written into our tokens and required of every token; eodag's cop_dataspace expects CLOUDFERRO_PUBLIC.
RS_ACCESS_AUDIENCE = env.list("RS_ACCESS_AUDIENCE", default=["CLOUDFERRO_PUBLIC"])
RS_ACCESS_TOKEN_LIFETIME_S = _env_int("RS_ACCESS_TOKEN_LIFETIME_S", 600, minimum=30)  # CDSE: 10 min
RS_ACCESS_REFRESH_TOKEN_LIFETIME_S = _env_int("RS_ACCESS_REFRESH_TOKEN_LIFETIME_S", 3600, minimum=60)  # CDSE: 60 min
RS_ACCESS_SESSION_MAX_S = _env_int("RS_ACCESS_SESSION_MAX_S", 36000, minimum=60)  # no refresh beyond (Keycloak: 10 h)
RS_ACCESS_MAX_SESSIONS_PER_USER = _env_int("RS_ACCESS_MAX_SESSIONS_PER_USER", 100, minimum=1)  # CDSE: 100
# Encrypts the signing keys at rest; defaults to SECRET_KEY (changing it makes the stored keys unreadable: rotate).
RS_ACCESS_KEY_PASSPHRASE = env.str("RS_ACCESS_KEY_PASSPHRASE", default="")
RS_ACCESS_KEY_ROTATION_DAYS = _env_int("RS_ACCESS_KEY_ROTATION_DAYS", 30, minimum=1)
RS_ACCESS_BASIC_AUTH = _env_bool("RS_ACCESS_BASIC_AUTH", default=True)  # HTTP Basic for PRIP clients
RS_PRIP_ANONYMOUS_SEARCH = _env_bool("RS_PRIP_ANONYMOUS_SEARCH", default=True)  # downloads always need credentials
RS_ACCESS_DEFAULT_VISIBILITY = env.str("RS_ACCESS_DEFAULT_VISIBILITY", default="all")
if RS_ACCESS_DEFAULT_VISIBILITY not in {"all", "none"}:
    raise ImproperlyConfigured(f"RS_ACCESS_DEFAULT_VISIBILITY={RS_ACCESS_DEFAULT_VISIBILITY!r}: use all or none")
RS_ACCESS_LOGIN_MAX_FAILURES = _env_int("RS_ACCESS_LOGIN_MAX_FAILURES", 10, minimum=1)  # per username
RS_ACCESS_LOGIN_MAX_FAILURES_PER_IP = _env_int("RS_ACCESS_LOGIN_MAX_FAILURES_PER_IP", 50, minimum=1)
RS_ACCESS_LOGIN_LOCKOUT_S = _env_int("RS_ACCESS_LOGIN_LOCKOUT_S", 900, minimum=1)  # window and lock duration
# Proxies in front that append to X-Forwarded-For (0: the peer address is the client's).
RS_ACCESS_PROXY_HOPS = _env_int("RS_ACCESS_PROXY_HOPS", 0)
RS_ACCESS_EXTERNAL_JWKS_TIMEOUT_S = _env_int("RS_ACCESS_EXTERNAL_JWKS_TIMEOUT_S", 3, minimum=1)

REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Bearer first: its WWW-Authenticate header turns "no credentials" into a 401 instead of a 403.
        "rs.access.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
}
CELERY_TASK_ROUTES = {**CELERY_TASK_ROUTES, "rs.access.tasks.*": {"queue": "maintenance"}}
CELERY_BEAT_SCHEDULE = {
    **CELERY_BEAT_SCHEDULE,
    "access-keys-maintain": {"task": "rs.access.tasks.signing_keys_maintain_task", "schedule": 3600.0},
    "access-sessions-purge": {"task": "rs.access.tasks.sessions_purge_task", "schedule": 6 * 3600.0},
}
