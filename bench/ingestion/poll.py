"""What one poll of a directory inbox costs per item (never part of the suite).

    set -a && . var/services.env && set +a
    .venv/bin/python bench/ingestion/poll.py [--items 10000] [--sampling] [--products] [--profile] [--top 30]

N files in a fresh directory inbox, polled three times in this process without enqueueing anything: poll 1 records
them all (waiting), poll 2 sees the same fingerprints and promotes them (pending, or skipped by the sampling gate
with --sampling), poll 3 finds nothing to do (the steady state of an inbox polled every few seconds). For each
poll: wall time, CPU of this process and of its PostgreSQL backend, SQL statements by kind, ms per item.

The files are empty and carry S1 product names (identification, hence the gate, reads names only); --products
writes real small zipped products instead (slow to generate, same listing cost apart from the page cache).
Uses the database of the environment; the inbox has a fresh name and its entries are deleted at the end.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import shutil
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_ingestion import ROOT, backend_pid, cpu_seconds, small_products  # sets Django up
from django.db import connection

from rs.ingestion import services
from rs.ingestion.models import Inbox, InboxEntry


def empty_products(root: Path, count: int) -> None:
    """`count` empty files named like S1 L0 slices, one every 30 s from 400 days ago, modified at their start (the
    gate sees a spread of names and times)."""
    base = datetime.now(UTC).replace(microsecond=0) - timedelta(days=400)
    for index in range(count):
        start = base + timedelta(seconds=30 * index)
        stop = start + timedelta(seconds=27)
        name = (f"S1A_IW_RAW__0SDV_{start:%Y%m%dT%H%M%S}_{stop:%Y%m%dT%H%M%S}_{50000 + index // 200:06d}_"
                f"{0x050000 + index // 20:06X}_{index % 0x10000:04X}.SAFE.zip")
        (root / name).touch()
        os.utime(root / name, (start.timestamp(), start.timestamp()))


def timed_poll(inbox_id: int, items: int, label: str, *, profile: bool, sort: str, top: int) -> None:
    """One poll, timed and counted; with `profile`, its statistics are printed after it."""
    statements: Counter[str] = Counter()

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        statements[sql.lstrip().split(" ", 1)[0].upper()] += 1
        return execute(sql, params, many, context)

    profiler = cProfile.Profile() if profile else None
    backend = backend_pid()
    db_cpu, cpu, wall = cpu_seconds(backend), time.process_time(), time.monotonic()
    with connection.execute_wrapper(count):
        if profiler is not None:
            profiler.enable()
        summary = services.inbox_poll(inbox_id=inbox_id, enqueue=False)
        if profiler is not None:
            profiler.disable()
    wall, cpu, db_cpu = time.monotonic() - wall, time.process_time() - cpu, cpu_seconds(backend) - db_cpu
    per = 1000 / max(items, 1)
    print(f"{label}: {wall:.2f} s wall = {wall * per:.3f} ms/item; CPU {cpu * per:.3f} ms/item here + "
          f"{db_cpu * per:.3f} ms/item in PostgreSQL; {sum(statements.values())} SQL statements "
          f"({', '.join(f'{k} {v}' for k, v in statements.most_common())})")
    print(f"    new {summary.new}, waiting {summary.waiting}, pending {summary.pending}, skipped {summary.skipped}, "
          f"changed {summary.changed}, listed {summary.listed}{', ERROR ' + summary.error if summary.error else ''}")
    if profiler is not None:
        pstats.Stats(profiler).sort_stats(sort).print_stats(top)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--sampling", action="store_true",
                        help="a sampling rule (01:00-13:00 UTC every day) so that about half the items are skipped")
    parser.add_argument("--products", action="store_true", help="real small zipped products instead of empty files")
    parser.add_argument("--profile", action="store_true", help="cProfile the polls (slower; figures are then not "
                                                               "comparable)")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--sort", default="tottime", help="pstats order: cumulative, tottime …")
    options = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-poll-", dir=ROOT / "var"))
    inbox: Inbox | None = None
    try:
        started = time.monotonic()
        (small_products if options.products else empty_products)(folder, options.items)
        print(f"{options.items} {'products' if options.products else 'empty files'} written in "
              f"{time.monotonic() - started:.1f} s")
        inbox = services.inbox_create(name=f"bench-poll-{uuid.uuid4().hex[:8]}", kind="directory",
                                      location=str(folder), enabled=False)
        if options.sampling:
            services.sampling_rule_add(inbox_id=inbox.pk, cron="0 1 * * *", duration_s=12 * 3600)
        for label in ("poll 1 (record)", "poll 2 (promote)", "poll 3 (nothing new)"):
            timed_poll(inbox.pk, options.items, label, profile=options.profile, sort=options.sort, top=options.top)
    finally:
        if inbox is not None:
            InboxEntry.objects.filter(inbox=inbox).delete()
            Inbox.objects.filter(pk=inbox.pk).delete()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
