"""Operator API of ingestion under a long history (never part of the suite).

    set -a && . var/<your>.env && set +a
    .venv/bin/python bench/ingestion_status/run.py [--entries 1000000] [--inboxes 10] [--rounds 20] [--keep]

Writes `--entries` inbox entries spread over `--inboxes` fresh inboxes and a year of history (0.1 % failed, 0.1 %
pending, the rest ingested; finished times uniform over the year, so a 24-hour window holds about 0.3 % of them),
then times, as the API runs them, the median and 95th percentile of: the inbox status (`inboxes_status`, 24 h
window), a page of 50 failed entries (all inboxes, one inbox, a reason filter) and prints the plans. The figures
follow the rows in flight and in the window, not the history. Uses the environment's database (migrations applied
first; the database is created when missing, e.g. with `DATABASE_URL=postgis://…/rs_bench_ingestion`); removes
what it wrote unless `--keep`.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rs.settings")

import django  # noqa: E402
import django.db  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from rs.ingestion import selectors  # noqa: E402
from rs.ingestion.models import Inbox  # noqa: E402


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    return f"{os.cpu_count()} CPU ({cpu}), {platform.system()} {platform.release()}"


def ensure_database() -> None:
    """Create the environment's database when it does not exist yet (the role needs CREATEDB)."""
    import psycopg2  # type: ignore[import-untyped]
    from django.conf import settings

    params = settings.DATABASES["default"]
    try:
        connection.ensure_connection()
        return
    except django.db.OperationalError:
        pass
    server = psycopg2.connect(dbname="postgres", user=params["USER"], password=params["PASSWORD"],
                              host=params["HOST"], port=params["PORT"])
    server.autocommit = True
    with server.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{params["NAME"]}"')
    server.close()


def timed(function: Any, rounds: int) -> tuple[float, float]:
    durations = []
    for _ in range(rounds):
        started = time.perf_counter()
        function()
        durations.append((time.perf_counter() - started) * 1000)
    durations.sort()
    return statistics.median(durations), durations[max(0, int(len(durations) * 0.95) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--inboxes", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("this benchmark needs PostgreSQL (source the environment file of the full deployment)")
    ensure_database()
    call_command("migrate", verbosity=0)
    run = uuid.uuid4().hex[:8]
    load_before = os.getloadavg()
    inboxes = [Inbox.objects.create(name=f"bench-{run}-{n}", kind="directory", location=f"/bench/{run}/{n}")
               for n in range(args.inboxes)]
    per_inbox = args.entries // args.inboxes
    started = time.perf_counter()
    with connection.cursor() as cursor:
        for inbox in inboxes:
            cursor.execute(
                """INSERT INTO ingestion_inboxentry (inbox_id, key, name, fingerprint, source_md5, source_blake3,
                       remote, state, reason, quarantine_key, attempts, product_name, first_seen_at, finished_at)
                   SELECT %s, 'k' || g, 'n' || g, '', '', '', '{}',
                          CASE WHEN g %% 1000 = 0 THEN 'failed' WHEN g %% 997 = 0 THEN 'pending' ELSE 'ingested' END,
                          CASE WHEN g %% 3000 = 0 THEN 'checksum mismatch: MD5 differs' WHEN g %% 1000 = 0
                               THEN 'metadata extraction failed: manifest.safe is missing' ELSE '' END,
                          '', 0, '', now() - (g %% 525600 || ' minutes')::interval,
                          CASE WHEN g %% 997 = 0 AND g %% 1000 <> 0 THEN NULL
                               ELSE now() - ((g * 7919) %% 525600 || ' minutes')::interval END
                   FROM generate_series(1, %s) g""", [inbox.pk, per_inbox])
        cursor.execute("VACUUM ANALYZE ingestion_inboxentry")
    load_seconds = time.perf_counter() - started

    since = timezone.now() - timedelta(hours=24)
    one = inboxes[len(inboxes) // 2].pk
    cases = {
        "inbox status (every inbox, 24 h window)": lambda: list(selectors.inboxes_status(since=since).order_by("name")),
        "quarantine, first page of 50": lambda: list(selectors.entries_failed()[:50]),
        "quarantine of one inbox, first page": lambda: list(selectors.entries_failed(inbox_id=one)[:50]),
        "quarantine, reason contains 'checksum'": lambda: list(selectors.entries_failed(reason="checksum")[:50]),
    }
    plans = {
        "inbox status (every inbox, 24 h window)": selectors.inboxes_status(since=since).order_by("name"),
        "quarantine, first page of 50": selectors.entries_failed()[:50],
        "quarantine of one inbox, first page": selectors.entries_failed(inbox_id=one)[:50],
        "quarantine, reason contains 'checksum'": selectors.entries_failed(reason="checksum")[:50],
    }
    print(f"# Ingestion operator API under {args.entries:,} entries ({args.inboxes} inboxes)\n")
    print(f"- date: {timezone.now():%Y-%m-%d %H:%M} UTC; machine: {machine()}")
    print(f"- load average before: {load_before[0]:.2f}; rows written and analysed in {load_seconds:.0f} s")
    print(f"- command: `.venv/bin/python bench/ingestion_status/run.py --entries {args.entries} "
          f"--inboxes {args.inboxes} --rounds {args.rounds}`\n")
    print("| Query | median ms | p95 ms |\n|---|---|---|")
    for name, function in cases.items():
        function()  # warm the cache as a polled page would be
        median, p95 = timed(function, args.rounds)
        print(f"| {name} | {median:.1f} | {p95:.1f} |")
    print(f"\nload average after: {os.getloadavg()[0]:.2f}\n")
    for name, queryset in plans.items():
        print(f"## {name}\n\n```\n{queryset.explain()}\n```\n")
    if not args.keep:
        Inbox.objects.filter(pk__in=[inbox.pk for inbox in inboxes]).delete()


if __name__ == "__main__":
    main()
