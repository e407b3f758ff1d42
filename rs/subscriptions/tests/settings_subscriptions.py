"""rs.settings plus the subscriptions app, until its lines move into rs/settings.py (run pytest with
--ds=rs.subscriptions.tests.settings_subscriptions). Everything below the marker is what rs/settings.py needs."""

from rs.settings import *  # noqa: F403
from rs.settings import CELERY_BEAT_SCHEDULE, CELERY_TASK_ROUTES, INSTALLED_APPS, _env_int, env

# Idempotent, so the module keeps working once rs.subscriptions is in rs/settings.py.
INSTALLED_APPS = INSTALLED_APPS if "rs.subscriptions" in INSTALLED_APPS else [*INSTALLED_APPS, "rs.subscriptions"]

# --- the lines for rs/settings.py ------------------------------------------------------------------------------------
# --- Subscriptions (push notifications) ---
# POSTs of one notification before its subscription is paused; the first retry waits RS_SUBSCRIPTION_PUSH_BACKOFF_S
# and each next one twice as long (6 attempts, 10 s: 10+20+40+80+160 s ≈ 5 min of an endpoint being down).
RS_SUBSCRIPTION_PUSH_ATTEMPTS = _env_int("RS_SUBSCRIPTION_PUSH_ATTEMPTS", 6, minimum=1)
RS_SUBSCRIPTION_PUSH_BACKOFF_S = _env_int("RS_SUBSCRIPTION_PUSH_BACKOFF_S", 10, minimum=0)
RS_SUBSCRIPTION_PUSH_TIMEOUT_S = _env_int("RS_SUBSCRIPTION_PUSH_TIMEOUT_S", 10, minimum=1)
# Callbacks to loopback, private and link-local addresses are refused (server-side request forgery) unless this is on.
RS_SUBSCRIPTION_PUSH_PRIVATE_NETWORKS = env.bool("RS_SUBSCRIPTION_PUSH_PRIVATE_NETWORKS", default=False)

CELERY_TASK_ROUTES = {**CELERY_TASK_ROUTES, "rs.subscriptions.tasks.*": {"queue": "maintenance"}}
CELERY_BEAT_SCHEDULE = {
    **CELERY_BEAT_SCHEDULE,
    "subscriptions-push-redispatch": {"task": "rs.subscriptions.tasks.pushes_redispatch_task", "schedule": 60.0},
    "subscriptions-payloads-strip": {"task": "rs.subscriptions.tasks.payloads_strip_task", "schedule": 3600.0},
}
