"""Access benchmark: the cost of authenticate_request for a Bearer token (the per-request path of every PRIP call).

    set -a && . var/acc1.env && set +a && .venv/bin/python bench/access/run.py [--requests 20000]

Uses the environment's PostgreSQL server and cache (Redis in the full deployment) with its own database
(<name>_bench_access, created and migrated on first use). Prints p50/p95/p99 per request for: Bearer header,
?token= query parameter, HTTP Basic (memoised after the first check), and, for scale, the bare cache round trip
and the token endpoint's issuing of one token (password check excluded).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def environment() -> None:
    services_env = ROOT / "var" / "services.env"
    if "DATABASE_URL" not in os.environ and services_env.exists():
        for line in services_env.read_text().splitlines():
            name, _, value = line.partition("=")
            os.environ.setdefault(name, value)
    if not os.environ.get("DATABASE_URL", "").startswith("postgis://"):
        sys.exit("bench/access/run.py needs a postgis:// DATABASE_URL (source var/services.env or your own env file)")
    base, _, name = os.environ["DATABASE_URL"].rpartition("/")
    os.environ["DATABASE_URL"] = f"{base}/{name}_bench_access"
    # rs.access.tests.settings_access = rs.settings + the access app (idempotent once the app is in rs.settings).
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rs.access.tests.settings_access")


def database_create() -> None:
    import psycopg2
    from django.conf import settings

    db = settings.DATABASES["default"]
    connection = psycopg2.connect(host=db["HOST"], port=db["PORT"], user=db["USER"], password=db["PASSWORD"],
                                  dbname="postgres")
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db["NAME"]])
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE DATABASE "{db["NAME"]}"')
    connection.close()


def timed(label: str, count: int, action: Callable[[], object]) -> None:
    action()  # warm-up: key ring, decrypted key, connections
    samples = []
    for _ in range(count):
        start = time.perf_counter_ns()
        action()
        samples.append((time.perf_counter_ns() - start) / 1000)
    samples.sort()
    p50, p95, p99 = (samples[int(len(samples) * q) - 1] for q in (0.50, 0.95, 0.99))
    print(f"{label:<44} n={count:<6} p50={p50:8.1f} µs  p95={p95:8.1f} µs  p99={p99:8.1f} µs  "
          f"mean={statistics.fmean(samples):8.1f} µs")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=20000)
    args = parser.parse_args()
    environment()
    import django

    django.setup()
    database_create()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)

    import base64

    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.cache import cache
    from django.db import connection
    from django.test import RequestFactory
    from django.test.utils import CaptureQueriesContext

    from rs.access import services
    from rs.access.authentication import authenticate_request
    from rs.access.constants import KEYSET_VERSION_KEY
    from rs.access.models import OAuthClient

    user = get_user_model().objects.filter(username="bench-user").first()
    password = "bench-password-not-secret"  # noqa: S105 - a throw-away user of the benchmark database
    if user is None:
        user = get_user_model().objects.create_user("bench-user", "", password)
    client = OAuthClient.objects.get(client_id="cdse-public")
    services.signing_keys_ensure()
    issuer = "http://bench.example/auth/realms/" + settings.RS_ACCESS_REALM
    token = services.tokens_issue_for_user(client=client, user=user, scope="profile", issuer=issuer).access_token
    factory = RequestFactory()
    header = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    basic = {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(f"bench-user:{password}".encode()).decode()}

    print(f"database {settings.DATABASES['default']['NAME']}, cache {settings.CACHES['default']['BACKEND']}, "
          f"token {len(token)} bytes")
    with CaptureQueriesContext(connection) as queries:
        for _ in range(100):
            authenticate_request(factory.get("/odata/v1/Products", **header))
    print(f"database queries for 100 Bearer requests: {len(queries)}")
    n = args.requests
    timed("cache round trip (get_many, 4 keys)", n, lambda: cache.get_many([KEYSET_VERSION_KEY, "a", "b", "c"]))
    timed("authenticate_request: Bearer header", n,
          lambda: authenticate_request(factory.get("/odata/v1/Products", **header)))
    timed("authenticate_request: ?token=", n,
          lambda: authenticate_request(factory.get("/odata/v1/Products(1)/$value", {"token": token})))
    timed("authenticate_request: Basic (memoised)", n,
          lambda: authenticate_request(factory.get("/odata/v1/Products", **basic)))
    from django.test import override_settings

    with override_settings(CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}):
        timed("  same, in-process cache (CPU cost only)", n,
              lambda: authenticate_request(factory.get("/odata/v1/Products", **header)))
    timed("RequestFactory request alone (overhead)", n, lambda: factory.get("/odata/v1/Products", **header))
    timed("issue a token (session + refresh + RS256 sign)", min(n, 500),
          lambda: services.tokens_issue_for_user(client=client, user=user, scope="profile", issuer=issuer))


if __name__ == "__main__":
    main()
