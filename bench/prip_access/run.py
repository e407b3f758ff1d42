#!/usr/bin/env python3
"""PRIP access benchmark: download redirects, streamed downloads, subscription matching (one command).

    set -a; . var/<your>.env; set +a
    .venv/bin/python bench/prip_access/run.py [--requests 2000] [--gib 1] [--subscriptions 1000] [--events 40]
        [--products 3000] [--searches 300] [--skip redirect|stream|matching|search …]

Uses the environment's PostgreSQL server, Redis cache and (for redirects) S3 endpoint, with its own database
(<name>_bench_prip_access, created and migrated on first use), its own bucket (rs-bench-prip-access) and its own
files under bench/data/prip_access/. Measures:

1. the redirect answer: GET Products(<Id>)/$value with a Bearer token → 307 to a presigned S3 URL, through gunicorn
   (`--workers 2 --threads 4`, as scripts/run.sh), one keep-alive client, `--requests` answers after 200 warm-up
   ones; quotas active (the bench user has large limits): target p95 ≤ 10 ms;
2. a streamed download of `--gib` GiB from the filesystem store through gunicorn, read by a plain http.client
   (readinto a reused buffer), three times: target ≥ 500 MB/s;
3. subscription matching: `--subscriptions` running subscriptions of as many users, then `--events` published
   products, each handled as the catalog-event consumer does (rs.subscriptions.delivery.notifications_for_event),
   timed in-process: the matching (candidates + evaluation + visibility) and the whole handler (with the writes of
   the notifications); two populations: every subscription on the product's collection and type (1,000 candidates)
   and a mix over 20 collection/type pairs; plus, for comparison, the database-only plan (one UNION ALL of every
   compiled filter restricted to the product): target ≤ 50 ms of matching per product;
4. search admission (search_phase.py): the same search sent anonymously, with a Bearer token and with the token
   of a user restricted by a visibility rule, alternating; the difference is what authentication, the
   requests-per-minute quota and visibility add to every authenticated search.

The report is printed and written to bench/data/results/prip-access-<time>.md.
"""

from __future__ import annotations

import argparse
import http.client
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "bench" / "data"
WORK = DATA / "prip_access"
BUCKET = "rs-bench-prip-access"
SETTINGS = "rs.settings"
sys.path.insert(0, str(ROOT))


def environment() -> str:
    if not os.environ.get("DATABASE_URL", "").startswith("postgis://"):
        sys.exit("bench/prip_access/run.py needs a postgis:// DATABASE_URL: source your env file first")
    base, _, name = os.environ["DATABASE_URL"].rpartition("/")
    os.environ["DATABASE_URL"] = f"{base}/{name}_bench_prip_access"
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS
    # its own Redis databases: catalog events of the bench must not reach the suite's workers, nor its counters
    # be cleared by a test
    for name, db in (("CELERY_BROKER_URL", 15), ("CACHE_URL", 14)):
        url = os.environ.get(name, "")
        if url.startswith(("redis://", "rediscache://")):
            os.environ[name] = f"{url.rpartition('/')[0]}/{db}"
    if os.environ.get("RS_STORAGE") == "s3":
        os.environ["RS_S3_BUCKET"] = BUCKET
    return os.environ["DATABASE_URL"]


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


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


# --- servers ----------------------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def gunicorn(port: int, extra_env: dict[str, str]) -> subprocess.Popen[bytes]:
    log = (DATA / "results" / "gunicorn-prip-access.log").open("ab")
    command = [str(ROOT / ".venv" / "bin" / "gunicorn"), "rs.wsgi:application", "--bind", f"127.0.0.1:{port}",
               "--workers", "2", "--threads", "4", "--limit-request-line", "0", "--keep-alive", "30",
               "--log-level", "warning"]
    server = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **extra_env}, stdout=log, stderr=log)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/healthz")
            if connection.getresponse().status < 500:
                return server
        except OSError:
            time.sleep(0.3)
        if server.poll() is not None:
            sys.exit("gunicorn exited: see bench/data/results/gunicorn-prip-access.log")
    stop(server)
    sys.exit("gunicorn did not answer within 90 s")


def stop(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()


def client(port: int) -> http.client.HTTPConnection:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.connect()
    assert connection.sock is not None
    connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return connection


# --- fixtures in the bench database -----------------------------------------------------------------------------------


def bench_users(count: int) -> tuple[list[Any], Any]:
    """`count` downloaders with the default limits except requests and bytes (CDSE's 4 concurrent downloads each:
    a redirect holds a slot for 5 s, so the requests go round the users, as many users' clients would)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password

    from rs.access import services
    from rs.access.models import OAuthClient
    from rs.subscriptions import services as subscription_services
    from rs.subscriptions.models import UserLimits

    model = get_user_model()
    names = [f"bench-downloader-{i:04d}" for i in range(count)]
    existing = set(model.objects.filter(username__in=names).values_list("username", flat=True))
    model.objects.bulk_create([model(username=n, password=make_password(None)) for n in names if n not in existing])
    users = list(model.objects.filter(username__in=names).order_by("username"))
    default = UserLimits.objects.filter(user__isnull=True).first() or UserLimits(user=None)
    default.requests_per_minute, default.download_bytes = 10**6, 10**15
    subscription_services.limits_save(limits=default)
    services.signing_keys_ensure()
    return users, OAuthClient.objects.get(client_id="cdse-public")


def token(user: Any, client_row: Any, port: int) -> str:
    from rs.access import services

    return services.tokens_issue_for_user(client=client_row, user=user, scope="profile", issuer=(
        f"http://127.0.0.1:{port}/auth/realms/rs")).access_token


def product(name: str, *, key: str, size: int, md5: str, start: datetime) -> Any:
    from rs.catalog import selectors, services
    from rs.catalog.choices import ProcessingLevel, ProductFamily
    from rs.errors import NotFound

    try:
        return selectors.product_get_by_name(name=name)
    except NotFound:
        pass
    metadata = services.ProductMetadata(mission="S1", platform="A", family=ProductFamily.S1_L1_SLICE,
                                        product_type="IW_GRDH_1S", level=ProcessingLevel.L1, content_start=start,
                                        content_end=start + timedelta(seconds=25),
                                        attributes={"productType": "IW_GRDH_1S"})
    registered = services.product_register(name=name, metadata=metadata, content_length=size, storage_key=key,
                                           checksums=services.Checksums(md5=md5, blake3="", computed_at=start))
    return services.product_publish(product_id=registered.id)


# --- 1. redirects -----------------------------------------------------------------------------------------------------


def redirect_phase(requests: int, report: list[str]) -> None:
    from django.conf import settings

    from rs.catalog.storage import object_store

    if settings.RS_STORAGE != "s3":
        report += ["## Redirect answer", "", "skipped: RS_STORAGE is not s3 in this environment", ""]
        return
    store = object_store()
    store.ensure_bucket()
    stored = store.put_stream(key="products/S1/L1_SLICE/S1A_BENCH_REDIRECT.SAFE.zip", stream=os.urandom(1 << 20))
    item = product("S1A_BENCH_REDIRECT.SAFE", key=stored.key, size=stored.size, md5=stored.md5,
                   start=datetime(2024, 6, 1, tzinfo=UTC))
    users, client_row = bench_users(max(50, (200 + requests) // 3))
    byte_quota_users = byte_quota_split(users)
    port = free_port()
    server = gunicorn(port, {})
    samples: dict[bool, list[float]] = {True: [], False: []}
    try:
        headers = [{"Authorization": f"Bearer {token(user, client_row, port)}"} for user in users]
        connection = client(port)
        for i in range(200 + requests):
            started = time.perf_counter()
            connection.request("GET", f"/odata/v1/Products({item.id})/$value", headers=headers[i % len(headers)])
            answer = connection.getresponse()
            body = answer.read()
            elapsed = (time.perf_counter() - started) * 1000
            if answer.status != 307:
                sys.exit(f"redirect answered {answer.status}: {body[:300]!r}")
            if i >= 200:
                samples[users[i % len(users)].pk in byte_quota_users].append(elapsed)
        connection.close()
    finally:
        stop(server)
    report += ["## 1. Redirect answer (S3: 307 to a presigned URL)", "",
               f"{requests} sequential GETs on one keep-alive connection after 200 warm-up ones, going round "
               f"{len(users)} users (4 concurrent downloads each, CDSE's limit); authentication (Bearer), "
               "request and concurrency quotas (Redis), one catalogue query, presigning; every other user also "
               "has a byte quota (rolling period: the database transaction charging today's bucket and reading the "
               "period's). Target p95 ≤ 10 ms.", "",
               "| users | p50 ms | p95 ms | p99 ms | max ms | meets target |", "|---|---:|---:|---:|---:|---|"]
    for quota, values in ((True, samples[True]), (False, samples[False])):
        p50, p95, p99 = (percentile(values, q) for q in (0.5, 0.95, 0.99))
        report.append(f"| {'with' if quota else 'without'} a byte quota | {p50:.2f} | {p95:.2f} | {p99:.2f} | "
                      f"{max(values):.2f} | {'yes' if p95 <= 10 else 'NO'} |")
    report.append("")


def byte_quota_split(users: list[Any]) -> set[int]:
    """No byte quota by default; every other user gets one (large): the ids of those."""
    from rs.subscriptions import services
    from rs.subscriptions.models import UserLimits

    default = UserLimits.objects.get(user__isnull=True)
    default.download_bytes = None
    services.limits_save(limits=default)
    chosen = users[::2]
    for user in chosen:
        row = UserLimits.objects.filter(user=user).first() or UserLimits(user=user)
        row.download_bytes = 10**15
        services.limits_save(limits=row)
    return {user.pk for user in chosen}


# --- 2. streamed download ---------------------------------------------------------------------------------------------


def big_file(gib: int) -> tuple[Path, str, int, str]:
    """bench/data/prip_access/storage/<key>: `gib` GiB, made once (its MD5 kept beside it)."""
    import hashlib

    key = f"products/S1/L1_SLICE/S1A_BENCH_STREAM_{gib}GIB.SAFE.zip"
    path = WORK / "storage" / key
    digest_file = path.with_suffix(".md5")
    size = gib * (1 << 30)
    if not (path.exists() and path.stat().st_size == size and digest_file.exists()):
        path.parent.mkdir(parents=True, exist_ok=True)
        block, md5 = os.urandom(8 << 20), hashlib.md5(usedforsecurity=False)
        with path.open("wb") as out:
            for _ in range(size // len(block)):
                out.write(block)
                md5.update(block)
        digest_file.write_text(md5.hexdigest())
    return path, key, size, digest_file.read_text()


def stream_phase(gib: int, report: list[str]) -> None:
    _, key, size, md5 = big_file(gib)
    item = product(f"S1A_BENCH_STREAM_{gib}GIB.SAFE", key=key, size=size, md5=md5,
                   start=datetime(2024, 6, 2, tzinfo=UTC))
    users, client_row = bench_users(1)
    port = free_port()
    server = gunicorn(port, {"RS_STORAGE": "filesystem", "RS_STORAGE_ROOT": str(WORK / "storage")})
    rates = []
    try:
        headers = {"Authorization": f"Bearer {token(users[0], client_row, port)}"}
        buffer = memoryview(bytearray(4 << 20))
        for _ in range(3):
            connection = client(port)
            started = time.perf_counter()
            connection.request("GET", f"/odata/v1/Products({item.id})/$value", headers=headers)
            answer = connection.getresponse()
            received = 0
            while chunk := answer.readinto(buffer):
                received += chunk
            elapsed = time.perf_counter() - started
            connection.close()
            if (answer.status, received) != (200, size):
                sys.exit(f"stream answered {answer.status} with {received} of {size} bytes")
            rates.append(size / elapsed / 1e6)
    finally:
        stop(server)
    median = statistics.median(rates)
    report += [f"## 2. Streamed download ({gib} GiB, filesystem store, through gunicorn)", "",
               "One http.client GET with a Bearer token, read with readinto() into a 4 MiB buffer; three runs. "
               "Target ≥ 500 MB/s.", "", "| runs MB/s | median MB/s | meets target |", "|---|---:|---|",
               f"| {', '.join(f'{r:.0f}' for r in rates)} | {median:.0f} | {'yes' if median >= 500 else 'NO'} |", ""]


# --- main -------------------------------------------------------------------------------------------------------------


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--gib", type=int, default=1)
    parser.add_argument("--subscriptions", type=int, default=1000)
    parser.add_argument("--events", type=int, default=40)
    parser.add_argument("--products", type=int, default=3000)
    parser.add_argument("--searches", type=int, default=300)
    parser.add_argument("--skip", action="append", default=[], choices=["redirect", "stream", "matching", "search"])
    args = parser.parse_args()
    database = environment()
    import django

    django.setup()
    database_create()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    (DATA / "results").mkdir(parents=True, exist_ok=True)
    command = "bench/prip_access/run.py " + " ".join(sys.argv[1:])
    report = ["# PRIP access benchmark", "",
              f"* date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; machine: {os.cpu_count()} CPUs, {platform.platform()}",
              f"* database: {database.rpartition('@')[2]}; load average before: {load_average()}",
              f"* command: `{command}`", ""]
    if "redirect" not in args.skip:
        redirect_phase(args.requests, report)
    if "stream" not in args.skip:
        stream_phase(args.gib, report)
    if "matching" not in args.skip:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from matching_phase import matching_phase

        matching_phase(args.subscriptions, args.events, report)
    if "search" not in args.skip:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from search_phase import search_phase

        search_phase(args.products, args.searches, report, helpers=sys.modules[__name__])
    report += [f"Load average after: {load_average()}", ""]
    text = "\n".join(report)
    print(text)
    (DATA / "results" / f"prip-access-{datetime.now(UTC):%Y%m%dT%H%M%S}.md").write_text(text)


if __name__ == "__main__":
    main()
