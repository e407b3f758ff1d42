#!/usr/bin/env python3
"""Where a download redirect spends its time, in-process: CPU per request, SQL queries and cache round trips.

    set -a; . var/<your>.env; set +a
    .venv/bin/python bench/prip_access/profile_redirect.py [--requests 1000] [--top 25]

GET Products(<Id>)/$value with a Bearer token through Django's test client (the view code of gunicorn, without the
server), S3 storage: the answer is a 307 to a presigned URL. Same database, cache and bucket as run.py's redirect
phase (its fixtures: users going round, every other one with a byte quota). Reports, per request: the CPU time of
this process (time.process_time: PostgreSQL's and Redis's own work are not in it), the wall time, the SQL queries
and the cache round trips (commands sent to Redis, a pipeline or script counting once), then cProfile's functions
with the most own time. The CPU figure is the one that holds on a loaded machine; the wall time does not.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run as access_bench


def round_trip_counter() -> list[int]:
    """Counts the packets sent to Redis (one per command, one per pipeline or script)."""
    from redis.connection import AbstractConnection

    count = [0]
    original = AbstractConnection.send_packed_command

    def counted(self: AbstractConnection, command: object, check_health: bool = True) -> None:
        count[0] += 1
        original(self, command, check_health)

    AbstractConnection.send_packed_command = counted  # type: ignore[method-assign]
    return count


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--warmup", type=int, default=100)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    access_bench.environment()
    import django

    django.setup()
    access_bench.database_create()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from rs.catalog.storage import object_store

    if settings.RS_STORAGE != "s3":
        sys.exit("RS_STORAGE must be s3 (the redirect answer)")
    call_command("migrate", verbosity=0)
    store = object_store()
    store.ensure_bucket()
    key = "products/S1/L1_SLICE/S1A_BENCH_REDIRECT.SAFE.zip"
    stored = store.put_stream(key=key, stream=b"\0" * (1 << 16))
    item = access_bench.product("S1A_BENCH_REDIRECT.SAFE", key=stored.key, size=stored.size, md5=stored.md5,
                                start=datetime(2024, 6, 1, tzinfo=UTC))
    profiled = min(args.requests, 300)
    # 4 concurrent downloads per user, each redirect holding its slot 5 s: at most 3 requests per user in all
    users, client_row = access_bench.bench_users(max(50, (args.warmup + args.requests + profiled) // 3 + 1))
    quota_users = access_bench.byte_quota_split(users)
    headers = [f"Bearer {access_bench.token(user, client_row, 80)}" for user in users]
    client = Client()
    path = f"/odata/v1/Products({item.id})/$value"
    round_trips = round_trip_counter()
    for i in range(args.warmup):
        answer = client.get(path, HTTP_AUTHORIZATION=headers[i % len(headers)])
        if answer.status_code != 307:
            sys.exit(f"redirect answered {answer.status_code}: {answer.content[:300]!r}")
    profile = cProfile.Profile()
    samples: dict[bool, list[tuple[float, float, int, int]]] = {True: [], False: []}
    for i in range(args.warmup, args.warmup + args.requests):
        header = headers[i % len(headers)]
        before = round_trips[0]
        with CaptureQueriesContext(connection) as captured:
            wall, cpu = time.perf_counter(), time.process_time()
            answer = client.get(path, HTTP_AUTHORIZATION=header)
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        if answer.status_code != 307:
            sys.exit(f"redirect answered {answer.status_code}: {answer.content[:300]!r}")
        samples[users[i % len(users)].pk in quota_users].append(
            (cpu * 1000, wall * 1000, len(captured.captured_queries), round_trips[0] - before))
    offset = args.warmup + args.requests
    for i in range(offset, offset + profiled):  # the profile apart: cProfile slows the Python part down
        header = headers[i % len(headers)]
        profile.enable()
        answer = client.get(path, HTTP_AUTHORIZATION=header)
        profile.disable()
        if answer.status_code != 307:
            sys.exit(f"redirect answered {answer.status_code}: {answer.content[:300]!r}")
    stream = io.StringIO()
    pstats.Stats(profile, stream=stream).sort_stats("tottime").print_stats(args.top)
    pstats.Stats(profile, stream=stream).sort_stats("cumulative").print_stats(r"/rs/|signers|api_jwt|query.py")
    lines = [
        "# Download redirect, in-process",
        "",
        f"* date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; load average after: {access_bench.load_average()}",
        f"* command: `bench/prip_access/profile_redirect.py --requests {args.requests}`",
        "",
        "| users | CPU ms mean | CPU ms p95 | wall ms p50 | wall ms p95 | SQL queries mean (max) | "
        "cache round trips mean (max) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for quota, rows in samples.items():
        cpu_ms = sorted(r[0] for r in rows)
        wall_ms = sorted(r[1] for r in rows)
        lines.append(
            f"| {'with' if quota else 'without'} a byte quota | {statistics.mean(cpu_ms):.2f} | "
            f"{access_bench.percentile(cpu_ms, 0.95):.2f} | {access_bench.percentile(wall_ms, 0.5):.2f} | "
            f"{access_bench.percentile(wall_ms, 0.95):.2f} | {statistics.mean(r[2] for r in rows):.2f} "
            f"({max(r[2] for r in rows)}) | {statistics.mean(r[3] for r in rows):.2f} "
            f"({max(r[3] for r in rows)}) |")
    lines += ["", "Own time of the functions, then the project's functions by cumulative time (profiled separately):",
              "", "```", stream.getvalue().strip(), "```"]
    report = "\n".join(lines) + "\n"
    out = access_bench.DATA / "results" / f"profile-redirect-{datetime.now(UTC):%Y%m%dT%H%M%S}.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(report)
    print(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
