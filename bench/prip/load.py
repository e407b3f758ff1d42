#!/usr/bin/env python3
"""Build the PRIP benchmark catalogue: generate, create a separate database, migrate, `catalog load`, VACUUM ANALYZE.

    set -a; . var/<your>.env; set +a          # DATABASE_URL gives the server and the role
    .venv/bin/python bench/prip/load.py --count 1000000

The database is DATABASE_URL's server with the name `--database` (default rs_bench), dropped and created again:
only `rs_bench` or `rs_bench_prip…` are accepted, so the test and working databases, and the other benchmarks'
`rs_bench_<area>`, are never touched. The NDJSON
file is kept under bench/data/ and reused by later runs with the same count and seed. Results (markdown) are
printed and written to bench/data/results/.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchdb import DATA, PYTHON, ROOT, bench_url, load_average, machine, query, server_description


def step(title: str, command: list[str], env: dict[str, str]) -> tuple[float, str]:
    print(f"--- {title}: {' '.join(command)}", flush=True)
    started = time.monotonic()
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    seconds = time.monotonic() - started
    sys.stdout.write(result.stdout[-4000:])
    if result.returncode != 0:
        sys.stderr.write(result.stderr[-4000:])
        sys.exit(f"{title} failed (exit {result.returncode})")
    return seconds, result.stdout


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database", default="rs_bench")
    parser.add_argument("--batch-size", type=int, default=10_000)
    parser.add_argument("--defer-indexes", action="store_true",
                        help="catalog load --defer-indexes: build the indexes once after the rows")
    args = parser.parse_args(argv)
    url = bench_url(args.database)
    env = {**os.environ, "DATABASE_URL": url}
    DATA.mkdir(parents=True, exist_ok=True)
    (DATA / "results").mkdir(exist_ok=True)
    catalogue = DATA / f"catalog-{args.count}-seed{args.seed}.ndjson"
    started_at = datetime.now(UTC)
    load_before = load_average()

    generate_s = 0.0
    if not catalogue.exists():
        partial = catalogue.with_suffix(".partial")
        generate_s, _ = step("generate", [sys.executable, "bench/prip/generate.py", "--count", str(args.count),
                                          "--seed", str(args.seed), "--output", str(partial)], env)
        partial.rename(catalogue)

    print(f"--- database {args.database}: drop and create", flush=True)
    # CREATE/DROP DATABASE run outside a transaction, from the server's maintenance database
    query(url, f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)', database="postgres")
    query(url, f'CREATE DATABASE "{args.database}"', database="postgres")
    migrate_s, _ = step("migrate", [str(PYTHON), "manage.py", "migrate", "-v0"], env)
    load_command = [str(PYTHON), "manage.py", "catalog", "-v2", "load", str(catalogue),
                    "--batch-size", str(args.batch_size), *(["--defer-indexes"] if args.defer_indexes else [])]
    load_s, load_out = step("load", load_command, env)
    load_during = load_average()
    print("--- VACUUM (ANALYZE) (visibility map for index-only counts, statistics for the planner)", flush=True)
    vacuum_started = time.monotonic()
    query(url, "VACUUM (ANALYZE) catalog_product")
    query(url, "VACUUM (ANALYZE) catalog_productattribute")
    vacuum_s = time.monotonic() - vacuum_started

    summary = re.search(r"loaded (\d+) products \((\d+) attributes.*?in ([\d.]+) s: ([\d,]+) products/s", load_out)
    split = re.search(r"parsing: ([\d.]+) s CPU in the parsers; waiting for the database: ([\d.]+) s; "
                      r"rebuilding indexes: ([\d.]+) s", load_out)
    sizes = query(url, """
        SELECT c.relname, pg_size_pretty(pg_table_size(c.oid)), pg_size_pretty(pg_indexes_size(c.oid)),
               (SELECT count(*) FROM pg_index i WHERE i.indrelid = c.oid)
        FROM pg_class c WHERE c.relname IN ('catalog_product', 'catalog_productattribute') ORDER BY 1""")
    database_size = query(url, f"SELECT pg_size_pretty(pg_database_size('{args.database}'))")[0][0]
    server = server_description(url)
    products, attributes, seconds, rate = summary.groups() if summary else ("?", "?", "?", "?")
    lines = [
        f"# PRIP benchmark catalogue: load of {args.count:,} products",
        "",
        f"* date: {started_at:%Y-%m-%d %H:%M} UTC; machine: {machine()}",
        f"* server: {server}",
        f"* load average (1/5/15 min) before: {load_before}; right after the load: {load_during}",
        f"* command: `{' '.join(load_command)}` (DATABASE_URL → {args.database})",
        f"* file: {catalogue.relative_to(ROOT)} ({catalogue.stat().st_size / 1e9:.2f} GB"
        + (f", generated in {generate_s:.0f} s" if generate_s else ", reused") + ")",
        "",
        "| step | seconds | note |",
        "|---|---:|---|",
        f"| migrate | {migrate_s:.1f} | empty database, all indexes created |",
        f"| catalog load | {load_s:.1f} | {products} products, {attributes} attributes, **{rate} products/s** "
        f"(loader's own clock {seconds} s) |",
    ]
    if split:
        lines.append(f"| — parsers CPU (all processes) | {float(split[1]):.1f} | JSON, validation, footprints, COPY "
                     "text |")
        lines.append(f"| — waiting for PostgreSQL | {float(split[2]):.1f} | COPY, index maintenance, deferred FK "
                     "checks, commit |")
        lines.append(f"| — rebuilding deferred indexes | {float(split[3]):.1f} | --defer-indexes: CREATE INDEX, "
                     "constraints validated |")
    lines += [
        f"| VACUUM (ANALYZE) | {vacuum_s:.1f} | both catalog tables |",
        "",
        "| table | heap | indexes | index count |",
        "|---|---:|---:|---:|",
        *(f"| {name} | {heap} | {indexes} | {count} |" for name, heap, indexes, count in sizes),
        "",
        f"Database size: {database_size}.",
    ]
    report = "\n".join(lines) + "\n"
    path = DATA / "results" / f"load-{started_at:%Y%m%dT%H%M%S}.md"
    path.write_text(report)
    print("\n" + report + f"\n(written to {path.relative_to(ROOT)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
