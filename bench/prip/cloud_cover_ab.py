#!/usr/bin/env python3
"""The cloud-cover search through the cloud_cover column and through the attribute table, side by side.

    set -a; . var/<your>.env; set +a
    .venv/bin/python bench/prip/cloud_cover_ab.py --database rs_bench_query [--variants 30]

For `--variants` searches `productType eq T and cloudCover le X and ContentDate/Start in one month` ($top=100, the
benchmark's search), compiles the page query twice — as the compiler does (column) and with the column mapping
switched off (EXISTS on the attribute table, the form before the column) — checks that both return the same page,
and reports the server-side execution time (EXPLAIN ANALYZE, second run of each: warm cache) and the plan's index.
Both forms run in the same minute on the same database, so the machine's load weighs on them alike.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import sys
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchdb import ROOT, bench_url, load_average
from run import odata_time, product_type_filter, sample_catalogue


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default="rs_bench")
    parser.add_argument("--variants", type=int, default=30)
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args(argv)
    url = bench_url(args.database)
    sample = sample_catalogue(url, args.seed)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rs.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db import connection

    from rs.catalog.query import compiler
    from rs.catalog.query.compiler import compile_filter, compile_ordering
    from rs.catalog.query.filter_parser import parse_filter
    from rs.catalog.query.orderby import parse_orderby
    from rs.catalog.query.properties import Entity
    from rs.catalog.query.selectors import catalog_queryset

    rng = random.Random(args.seed)
    order = compile_ordering(parse_orderby(None, entity=Entity.PRODUCTS), entity=Entity.PRODUCTS, convention="cdse")

    def measure(text: str) -> tuple[float, list[object], str]:
        condition = compile_filter(parse_filter(text, entity=Entity.PRODUCTS), entity=Entity.PRODUCTS,
                                   convention="cdse")
        qs = catalog_queryset(Entity.PRODUCTS).filter(condition).order_by(*order)[:101]
        sql, params = qs.values_list("id", flat=True).query.sql_with_params()
        with connection.cursor() as cursor:
            for _ in range(2):  # the second run is the warm one
                cursor.execute(f"EXPLAIN (ANALYZE, FORMAT TEXT) {sql}", params)
                plan = "\n".join(row[0] for row in cursor.fetchall())
            cursor.execute(sql, params)
            ids = [row[0] for row in cursor.fetchall()]
        executed = float(re.search(r"Execution Time: ([\d.]+) ms", plan)[1])  # type: ignore[index]
        index = re.search(r"(?:Index|Index Only|Bitmap Index) Scan (?:Backward )?(?:using|on) (\w+)", plan)
        return executed, ids, index[1] if index else "none"

    column_ms, attribute_ms, indexes = [], [], {"column": set(), "attribute": set()}
    load_before = load_average()
    mapping = compiler.NULLABLE_COLUMN_ATTRIBUTES
    for _ in range(args.variants):
        month = rng.choice(sample.months)
        end = (month + timedelta(days=32)).replace(day=1)
        text = (f"{product_type_filter(rng.choice(['S2MSI1C', 'S2MSI2A']))} and "
                "Attributes/OData.CSC.DoubleAttribute/any(att:att/Name eq 'cloudCover' and "
                f"att/OData.CSC.DoubleAttribute/Value le {rng.choice([5, 10, 20])}.00) and "
                f"ContentDate/Start ge {odata_time(month)} and ContentDate/Start lt {odata_time(end)}")
        ms, by_column, index = measure(text)
        column_ms.append(ms)
        indexes["column"].add(index)
        compiler.NULLABLE_COLUMN_ATTRIBUTES = {}
        try:
            ms, by_attribute, index = measure(text)
        finally:
            compiler.NULLABLE_COLUMN_ATTRIBUTES = mapping
        attribute_ms.append(ms)
        indexes["attribute"].add(index)
        if by_column != by_attribute:
            sys.exit(f"different pages for {text}")

    def p(values: list[float], q: int) -> float:
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1)]

    print(f"{args.variants} variants, same page both ways; load average {load_before} → {load_average()}")
    for label, key, values in (("cloud_cover column", "column", column_ms),
                               ("attribute table", "attribute", attribute_ms)):
        print(f"{label:20} execution p50 {p(values, 50):7.2f} ms  p95 {p(values, 95):7.2f} ms  "
              f"mean {statistics.mean(values):7.2f} ms  first index: {', '.join(sorted(indexes[key]))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
