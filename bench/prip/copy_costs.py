#!/usr/bin/env python3
"""Where a bulk load's PostgreSQL time goes: COPY cost per index, per constraint and per table.

    set -a; . var/<your>.env; set +a
    .venv/bin/python bench/prip/copy_costs.py [--lines 10000] [--repeat 3]

Takes `--lines` products of the benchmark NDJSON (bench/data/catalog-*.ndjson), prepared exactly as `catalog load`
prepares them (rs/catalog/bulk/), and COPYs them into scratch copies of catalog_product and
catalog_productattribute: bare, then with each of the real tables' indexes alone, then with the foreign key, then
with everything. Finally the same COPY into the real tables of the benchmark database (already holding the
catalogue, so their indexes have their real depth), with the deferred foreign-key checks fired. Every step runs
in a transaction that is rolled back: nothing stays. Reports microseconds per row and per product (best of
`--repeat`).
"""

from __future__ import annotations

import argparse
import io
import os
import re
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchdb import DATA, ROOT, bench_url, load_average, machine, server_description


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default="rs_bench")
    parser.add_argument("--lines", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--file", type=Path, default=None, help="NDJSON (default: the largest in bench/data)")
    args = parser.parse_args(argv)
    url = bench_url(args.database)
    source = args.file or max(DATA.glob("catalog-*.ndjson"), key=lambda p: p.stat().st_size, default=None)
    if source is None:
        sys.exit("no bench/data/catalog-*.ndjson: run bench/prip/load.py first")
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rs.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db import connection, transaction
    from django.utils import timezone

    from rs.catalog.bulk import product_row_of_line
    from rs.catalog.bulk.writers import PostgresWriter, copy_text

    now = timezone.now()
    with source.open("rb") as handle:
        lines = [next(handle) for _ in range(args.lines)]
    # fresh ids and names: the real tables already hold these products
    rows = [product_row_of_line(line, i, now=now) for i, line in enumerate(lines, 1)]
    rows = [r._replace(id=str(uuid.uuid4()), name=f"{r.name}.copy-costs") for r in rows]
    writer = PostgresWriter()
    prepared = copy_text(rows, now)
    product_copy, attribute_copy = prepared.products, prepared.attributes
    attribute_rows = sum(len(r.attributes) for r in rows)
    product_columns = writer.product_sql.split(" ", 2)[2].split(" FROM")[0]
    attribute_columns = writer.attribute_sql.split(" ", 2)[2].split(" FROM")[0]

    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename, indexname, indexdef FROM pg_indexes WHERE tablename IN "
                       "('catalog_product', 'catalog_productattribute') ORDER BY 1, 2")
        indexes = cursor.fetchall()

    def timed(setup: list[str], copy: Callable[[object], None], constraints: bool = False) -> float:
        best = float("inf")
        for _ in range(args.repeat):
            with transaction.atomic(), connection.cursor() as cursor:
                for statement in setup:
                    cursor.execute(statement)
                started = time.perf_counter()
                copy(cursor)
                if constraints:
                    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                best = min(best, time.perf_counter() - started)
                transaction.set_rollback(True)
        return best

    scratch = ["CREATE TABLE x_product (LIKE catalog_product INCLUDING DEFAULTS)",
               "CREATE TABLE x_attribute (LIKE catalog_productattribute INCLUDING DEFAULTS INCLUDING IDENTITY)"]

    def scratch_index(table: str, name: str, definition: str) -> str:
        target = "x_product" if table == "catalog_product" else "x_attribute"
        return re.sub(rf"INDEX {name} ON public\.{table} ", f"INDEX x_{name} ON {target} ", definition)

    def copy_products(cursor: object) -> None:
        cursor.copy_expert(f"COPY x_product {product_columns} FROM STDIN", io.BytesIO(product_copy))  # type: ignore

    def copy_attributes(cursor: object) -> None:
        cursor.copy_expert(f"COPY x_attribute {attribute_columns} FROM STDIN",  # type: ignore[attr-defined]
                           io.BytesIO(attribute_copy))

    results: list[tuple[str, str, float, float]] = []  # (table, what, µs per row, µs per product)
    bare_product = timed(scratch, copy_products)
    results.append(("catalog_product", "heap only (no index)", bare_product / len(rows) * 1e6,
                    bare_product / len(rows) * 1e6))
    for table, name, definition in indexes:
        if table != "catalog_product":
            continue
        seconds = timed([*scratch, scratch_index(table, name, definition)], copy_products) - bare_product
        results.append((table, f"+ {name}", seconds / len(rows) * 1e6, seconds / len(rows) * 1e6))
    every_product_index = [scratch_index(t, n, d) for t, n, d in indexes if t == "catalog_product"]
    seconds = timed([*scratch, *every_product_index], copy_products)
    results.append(("catalog_product", "all its indexes", seconds / len(rows) * 1e6, seconds / len(rows) * 1e6))

    bare_attribute = timed([*scratch], copy_attributes)
    results.append(("catalog_productattribute", "heap only (no index)", bare_attribute / attribute_rows * 1e6,
                    bare_attribute / len(rows) * 1e6))
    for table, name, definition in indexes:
        if table != "catalog_productattribute":
            continue
        seconds = timed([*scratch, scratch_index(table, name, definition)], copy_attributes) - bare_attribute
        results.append((table, f"+ {name}", seconds / attribute_rows * 1e6, seconds / len(rows) * 1e6))
    key = ["ALTER TABLE x_product ADD PRIMARY KEY (id)"]
    foreign_key = [*key, "ALTER TABLE x_attribute ADD FOREIGN KEY (product_id) REFERENCES x_product (id) "
                         "DEFERRABLE INITIALLY DEFERRED"]

    def copy_both(cursor: object) -> None:
        copy_products(cursor)
        copy_attributes(cursor)

    seconds = timed([*scratch, *foreign_key], copy_both, constraints=True) - timed([*scratch, *key], copy_both)
    results.append(("catalog_productattribute", "+ deferred foreign key to the product (checked at commit)",
                    seconds / attribute_rows * 1e6, seconds / len(rows) * 1e6))
    every_attribute_index = [scratch_index(t, n, d) for t, n, d in indexes if t == "catalog_productattribute"]
    seconds = timed([*scratch, *every_attribute_index], copy_attributes)
    results.append(("catalog_productattribute", "all its indexes (no foreign key)", seconds / attribute_rows * 1e6,
                    seconds / len(rows) * 1e6))

    def copy_real_products(cursor: object) -> None:
        cursor.copy_expert(writer.product_sql, io.BytesIO(product_copy))  # type: ignore[attr-defined]

    def copy_real_both(cursor: object) -> None:
        copy_real_products(cursor)
        cursor.copy_expert(writer.attribute_sql, io.BytesIO(attribute_copy))  # type: ignore[attr-defined]

    real_product = timed([], copy_real_products)
    real_both = timed([], copy_real_both, constraints=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM catalog_product")
        catalogued = cursor.fetchone()[0]
    started_at = datetime.now(UTC)
    lines_out = [
        f"# COPY costs of a bulk load: {len(rows):,} products, {attribute_rows:,} attribute rows "
        f"({attribute_rows / len(rows):.1f} per product)",
        "",
        f"* date: {started_at:%Y-%m-%d %H:%M} UTC; machine: {machine()}; load average: {load_average()}",
        f"* database: {args.database} ({catalogued:,} products) on {server_description(url)}",
        f"* command: `{Path(sys.executable).name} bench/prip/copy_costs.py "
        f"{' '.join(argv if argv is not None else sys.argv[1:])}` (best of {args.repeat}; scratch tables start empty)",
        "",
        "| table | what | µs per row | µs per product |",
        "|---|---|---:|---:|",
        *(f"| {t} | {w} | {r:.2f} | {p:.1f} |" for t, w, r, p in results),
        f"| real tables ({catalogued:,} products) | products COPY | {real_product / len(rows) * 1e6:.2f} | "
        f"{real_product / len(rows) * 1e6:.1f} |",
        f"| real tables | products + attributes COPY + deferred FK checks | | "
        f"**{real_both / len(rows) * 1e6:.1f}** (≈ {len(rows) / real_both:,.0f} products/s for PostgreSQL alone) |",
    ]
    report = "\n".join(lines_out) + "\n"
    path = DATA / "results" / f"copy-costs-{started_at:%Y%m%dT%H%M%S}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(report)
    print(report + f"\n(written to {path.relative_to(ROOT)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
