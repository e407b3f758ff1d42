#!/usr/bin/env python3
"""Where a PRIP search spends its time, in-process: cProfile over the benchmark's mix, and SQL queries per request.

    set -a; . var/<your>.env; set +a
    .venv/bin/python bench/prip/profile_requests.py --database rs_bench_query [--requests 20]

Runs `--requests` variants of every search of run.py through Django's test client (the same view code as over
HTTP, without the server), after one warm-up pass, under cProfile. Prints, per search, the mean wall time, the mean
time inside the database driver (cursor execute + fetch) and the SQL queries per request (a page must be one query,
plus at most one for `$count`), then the functions with the most own time over the whole mix. The report is written
to bench/data/results/profile-<time>.md.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import random
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchdb import DATA, ROOT, bench_url, load_average, machine
from run import SEARCHES, sample_catalogue


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default="rs_bench")
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--top", type=int, default=25, help="functions listed")
    args = parser.parse_args(argv)
    url = bench_url(args.database)
    sample = sample_catalogue(url, args.seed)
    os.environ["DATABASE_URL"] = url
    os.environ["DEBUG"] = "false"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rs.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    rng = random.Random(args.seed)
    paths = {s.key: [s.make(rng, sample) for _ in range(args.requests)] for s in SEARCHES}
    for variants in paths.values():  # warm-up: caches, connections, imports
        client.get(variants[0])
    started_at = datetime.now(UTC)
    load_before = load_average()
    profile = cProfile.Profile()
    rows = []
    for search in SEARCHES:
        walls, database, queries = [], [], []
        for path in paths[search.key]:
            with CaptureQueriesContext(connection) as captured:
                begin = time.perf_counter()
                profile.enable()
                response = client.get(path)
                profile.disable()
                walls.append(time.perf_counter() - begin)
            if response.status_code != 200:
                sys.exit(f"{search.key}: HTTP {response.status_code} for {path}")
            queries.append(len(captured.captured_queries))
            database.append(sum(float(q["time"]) for q in captured.captured_queries))
        rows.append((search.title, statistics.mean(walls) * 1000, statistics.mean(database) * 1000,
                     max(queries), statistics.mean(queries)))
    stream = io.StringIO()
    stats = pstats.Stats(profile, stream=stream)
    stats.sort_stats("tottime").print_stats(args.top)
    lines = [
        f"# PRIP in-process profile ({args.requests} variants of each search)",
        "",
        f"* date: {started_at:%Y-%m-%d %H:%M} UTC; machine: {machine()}; database: {args.database}",
        f"* load average before: {load_before}; after: {load_average()} (shared machine: timings are pessimistic; "
        "cProfile itself slows the Python part about twofold)",
        "",
        "| search | wall ms (profiled) | database ms | SQL queries per request (max) |",
        "|---|---:|---:|---:|",
        *(f"| {title} | {wall:.1f} | {db:.1f} | {most} |" for title, wall, db, most, _mean in rows),
        "",
        "Own time of the functions over the whole mix:",
        "",
        "```",
        stream.getvalue().strip(),
        "```",
    ]
    report = "\n".join(lines) + "\n"
    path = DATA / "results" / f"profile-{started_at:%Y%m%dT%H%M%S}.md"
    path.write_text(report)
    print(report + f"\n(written to {path.relative_to(ROOT)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
