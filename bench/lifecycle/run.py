"""Lifecycle benchmark: eviction throughput against the real S3 store, and the cost of the periodic due-check.

    .venv/bin/python bench/lifecycle/run.py [--evict 100000] [--catalog 1000000]

Needs the services of `make services-start` (var/services.env). Uses its own database (rs_bench_lifecycle, or
`--database rs_bench_lifecycle…`) and bucket (rs-bench-lifecycle, or `--bucket rs-bench-lifecycle…`); the test
database and the run's data are never touched.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def environment(database: str, bucket: str) -> None:
    if not database.startswith("rs_bench_lifecycle") or not bucket.startswith("rs-bench-lifecycle"):
        sys.exit("the benchmark's database and bucket are named rs_bench_lifecycle… and rs-bench-lifecycle…")
    for line in (ROOT / "var" / "services.env").read_text().splitlines():
        name, _, value = line.partition("=")
        os.environ.setdefault(name, value)
    base = os.environ["DATABASE_URL"].rsplit("/", 1)[0]
    os.environ["DATABASE_URL"] = f"{base}/{database}"
    os.environ["RS_S3_BUCKET"] = bucket
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rs.settings")


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


def products_create(count: int, *, due: bool, with_objects: bool) -> list[uuid.UUID]:
    """Catalogue rows written in bulk (benchmark set-up, not the path under test); objects put in parallel."""
    from rs.catalog.models import Product
    from rs.catalog.storage import object_store

    store = object_store()
    now = datetime.now(UTC)
    ids = [uuid.uuid4() for _ in range(count)]
    keys = [f"products/S1/L1_SLICE/bench-{pid.hex}.zip" if with_objects else "" for pid in ids]
    if with_objects:
        with ThreadPoolExecutor(8) as pool:  # botocore keeps 10 connections per client
            list(pool.map(lambda key: store.put_stream(key=key, stream=b"z" * 64), keys, chunksize=64))
    rows = [
        Product(id=pid, name=f"S1A_IW_GRDH_1SDV_BENCH_{pid.hex}.SAFE", mission="S1", platform="A", family="L1_SLICE",
                product_type="IW_GRDH_1S", level="L1", content_length=64, storage_key=key, online=True,
                publication_date=now - timedelta(days=10),
                eviction_date=now - timedelta(hours=1) if due else now + timedelta(days=365))
        for pid, key in zip(ids, keys, strict=True)
    ]
    Product.objects.bulk_create(rows, batch_size=5000)
    return ids


def table_reset() -> None:
    from django.db import connection

    with connection.cursor() as cursor:  # the benchmark's own database: start from an empty catalog
        cursor.execute("TRUNCATE catalog_product, catalog_deletedproduct, catalog_catalogevent CASCADE")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--evict", type=int, default=100_000, help="due products with objects to evict")
    parser.add_argument("--catalog", type=int, default=1_000_000, help="products, none due, for the due-check")
    parser.add_argument("--database", default="rs_bench_lifecycle", help="rs_bench_lifecycle…")
    parser.add_argument("--bucket", default="rs-bench-lifecycle", help="rs-bench-lifecycle…")
    args = parser.parse_args()
    environment(args.database, args.bucket)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from rs.catalog.models import Product
    from rs.catalog.selectors import products_due_for_eviction
    from rs.catalog.storage import object_store
    from rs.lifecycle.services import eviction_run

    database_create()
    call_command("migrate", verbosity=0)
    object_store().ensure_bucket()
    table_reset()

    print(f"creating {args.evict} due products with objects …", flush=True)
    started = time.perf_counter()
    products_create(args.evict, due=True, with_objects=True)
    print(f"  set-up {time.perf_counter() - started:.1f} s", flush=True)
    started = time.perf_counter()
    report = eviction_run()
    elapsed = time.perf_counter() - started
    print(f"evicted {report.evicted} in {elapsed:.1f} s: {report.evicted / elapsed:.0f} products/s", flush=True)

    print(f"creating {args.catalog} products, none due …", flush=True)
    table_reset()
    for _ in range(args.catalog // 100_000):
        products_create(100_000, due=False, with_objects=False)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE catalog_product")
    timings = []
    for _ in range(50):
        started = time.perf_counter()
        assert products_due_for_eviction(now=datetime.now(UTC), limit=500) == []
        timings.append((time.perf_counter() - started) * 1000)
    print(f"due-check on {Product.objects.count()} products: p50 {statistics.median(timings):.2f} ms, "
          f"max {max(timings):.2f} ms", flush=True)
    with connection.cursor() as cursor:
        sql, params = Product.objects.filter(online=True, eviction_date__lte=datetime.now(UTC)).order_by(
            "eviction_date", "id").values("id")[:500].query.sql_with_params()
        cursor.execute(f"EXPLAIN ANALYZE {sql}", params)
        print("\n".join(row[0] for row in cursor.fetchall()))


if __name__ == "__main__":
    main()
