#!/usr/bin/env python3
"""Where a PRIP search spends its time, in-process: cProfile over the benchmark's mix, and SQL queries per request.

    set -a; . var/<your>.env; set +a
    .venv/bin/python bench/prip/profile_requests.py --database rs_bench_query [--requests 20]

Runs `--requests` variants of every search of run.py through Django's test client (the same view code as over
HTTP, without the server), after one warm-up pass. Prints, per search, the median CPU time of this process per request
(time.process_time, measured without the profiler: PostgreSQL's own work is not in it, so it holds better than wall
time on a loaded machine), the Python function calls per request (cProfile's count: the same on any machine), the
mean wall time under cProfile, the mean time inside the database driver (cursor execute + fetch) and the
SQL queries per request (a page must be one query, plus at most one for `$count`), then the functions with the most
own time over the whole mix. `--stac` adds each search's STAC twin (bench/stac/run.py: the same products, `fields`
trimmed to the PRIP answer's content) and the twin with full items. The report is written to
bench/data/results/profile-<time>.md.
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
    parser.add_argument("--stac", action="store_true", help="profile the STAC twins too")
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
    searches = [(s.title, s.key, [s.make(rng, sample) for _ in range(args.requests)]) for s in SEARCHES]
    if args.stac:
        searches += stac_twins(sample, args.requests, args.seed)
    paths = {key: variants for _title, key, variants in searches}
    for variants in paths.values():  # warm-up: caches, connections, imports
        client.get(variants[0])
    started_at = datetime.now(UTC)
    load_before = load_average()
    stats: pstats.Stats | None = None
    stream = io.StringIO()
    rows = []
    for title, key, variants in searches:
        walls, database, queries, cpu = [], [], [], []
        for path in variants:
            begin = time.process_time()
            client.get(path)
            cpu.append(time.process_time() - begin)
        profile = cProfile.Profile()
        for path in variants:
            with CaptureQueriesContext(connection) as captured:
                begin = time.perf_counter()
                profile.enable()
                response = client.get(path)
                profile.disable()
                walls.append(time.perf_counter() - begin)
            if response.status_code != 200:
                sys.exit(f"{key}: HTTP {response.status_code} for {path}")
            queries.append(len(captured.captured_queries))
            database.append(sum(float(q["time"]) for q in captured.captured_queries))
        own = pstats.Stats(profile, stream=stream)
        calls = own.total_calls / len(variants)  # type: ignore[attr-defined]
        if stats is None:
            stats = own
        else:
            stats.add(own)
        rows.append((title, statistics.median(cpu) * 1000, calls, statistics.mean(walls) * 1000,
                     statistics.mean(database) * 1000, max(queries)))
    assert stats is not None
    stats.sort_stats("tottime").print_stats(args.top)
    lines = [
        f"# PRIP in-process profile ({args.requests} variants of each search)",
        "",
        f"* date: {started_at:%Y-%m-%d %H:%M} UTC; machine: {machine()}; database: {args.database}",
        f"* load average before: {load_before}; after: {load_average()} (shared machine: timings are pessimistic; "
        "cProfile itself slows the Python part about twofold)",
        "",
        "| search | CPU ms median (not profiled) | Python calls | wall ms (profiled) | database ms | "
        "SQL queries per request (max) |",
        "|---|---:|---:|---:|---:|---:|",
        *(f"| {title} | {cpu:.2f} | {calls:,.0f} | {wall:.1f} | {db:.1f} | {most} |"
          for title, cpu, calls, wall, db, most in rows),
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


def stac_twins(sample: object, requests: int, seed: int) -> list[tuple[str, str, list[str]]]:
    """(title, key, paths) of the STAC twin and the full-item twin of every PRIP search that has one."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("stac_bench", ROOT / "bench" / "stac" / "run.py")
    assert spec is not None and spec.loader is not None
    stac = importlib.util.module_from_spec(spec)
    sys.modules["stac_bench"] = stac  # its dataclasses look their module up
    spec.loader.exec_module(stac)
    twins = []
    for search in SEARCHES:
        if search.key not in stac.TWINS:
            continue
        drawn = stac.variants(search, sample, requests, seed)
        twins.append((f"STAC twin: {search.title}", f"stac-{search.key}", [v.twin for v in drawn]))
        if search.key != "eodag":  # its twin already has full items
            twins.append((f"STAC full items: {search.title}", f"stac-full-{search.key}", [v.full for v in drawn]))
    return twins


if __name__ == "__main__":
    sys.exit(main())
