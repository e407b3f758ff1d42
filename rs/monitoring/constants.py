"""Tunables of monitoring, each with the reason for its value."""

from __future__ import annotations

# A readiness probe runs every few seconds; a dependency slower than this is as bad as a dead one for a load balancer.
READINESS_TIMEOUT_S = 2.0
# The queue whose existence the broker check asks about: every deployment runs a maintenance worker.
READINESS_BROKER_QUEUE = "maintenance"
# The storage check lists this prefix (at most one key comes back): it proves the bucket or folder answers.
READINESS_STORAGE_PREFIX = "health/"

# A scrape must answer within Prometheus' scrape timeout (10 s by default) even when Redis is down.
QUEUE_DEPTH_TIMEOUT_S = 1.0
# Celery's Redis transport keeps one list per priority step: "<queue>" for 0 and "<queue>\x06\x16<step>" for the rest
# (kombu's default priority_steps and sep; the settings do not change them).
REDIS_PRIORITY_SEPARATOR = "\x06\x16"
REDIS_PRIORITY_STEPS = (3, 6, 9)

# Lineage walks are one query per level: S1 chains are 3-4 levels deep (session → L0 → L1 → L2), 10 covers any chain.
LINEAGE_DEFAULT_DEPTH = 3
LINEAGE_MAX_DEPTH = 10

# Dashboards: the web client polls them; a minute of staleness is invisible on hourly panels and bounds the load.
DASHBOARD_CACHE_S = 60
DASHBOARD_DEFAULT_HOURS = 24
DASHBOARD_MAX_HOURS = 24 * 31
# Latency as a fraction of the PI type's threshold: ≤ 1 is on time.
TIMELINESS_RATIO_BUCKETS = (0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 4.0)

# Alerts: breaches are looked for in this trailing window at each evaluation (beat runs it every minute).
ALERT_WINDOW = 15 * 60
# A job queued or running unchanged for this long is stuck: longer than the broker's visibility timeout (12 h), after
# which a lost message would have been redelivered.
ALERT_STUCK_JOB_S = 12 * 3600
ALERT_WEBHOOK_TIMEOUT_S = 10
