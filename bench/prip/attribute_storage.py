#!/usr/bin/env python3
"""What a bulk load costs PostgreSQL alone for a product's attributes: ~26 typed rows (today) or one jsonb column.

    set -a; . var/services.env; set +a
    .venv/bin/python bench/prip/attribute_storage.py --design rows|jsonb [--count 1000000] [--file …ndjson]

A design experiment, not a loader: the 10,000 products/s target of `catalog load` is out of reach while every
product brings ~26 indexed attribute rows (docs/benchmarks.md). On a scratch database `rs_bench_prip_attributes`
(migrated: every table and index is the real one), with the secondary indexes set aside as `--defer-indexes` does:

- `rows`: only the attribute rows of `--count` products are COPYed into catalog_productattribute (its foreign key
  set aside and not validated; no product rows), then its indexes are rebuilt on two connections side by side:
  the PostgreSQL work today's design cannot avoid, whatever the parser costs.
- `jsonb`: catalog_product plus `attributes jsonb`; `--count` products COPYed with their attributes as one JSON
  object each, then every product index rebuilt on two connections, with a GIN (jsonb_path_ops) on the attributes.

Reported: the Python time to make the rows (no validation: a lower bound of the parser's cost), the COPY's wall and
backend CPU, each index build, the rebuild's wall and backend CPU. The scratch database is dropped at the end.
"""

from __future__ import annotations

import argparse
import io
import itertools
import json
import os
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchdb import DATA, ROOT, bench_url, connect, load_average, machine, server_description

DATABASE = "rs_bench_prip_attributes"
FAMILY = {"S1": "S1_L1", "S2": "S2_L1C", "S3": "S3_L1"}  # any valid value: no index of the experiment reads it
NULL = "\\N"


def backend_cpu(connection: Any) -> Any:
    """A function returning the CPU seconds the connection's backend has used so far (server on this machine)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]

    def seconds() -> float:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return seconds


def ewkt(geometry: dict[str, Any] | None) -> str:
    if not geometry:
        return NULL

    def ring(points: list[list[float]]) -> str:
        return "(" + ",".join(f"{x} {y}" for x, y in points) + ")"
    kind, coordinates = geometry["type"], geometry["coordinates"]
    if kind == "Polygon":
        return "SRID=4326;POLYGON(" + ",".join(ring(r) for r in coordinates) + ")"
    if kind == "MultiPolygon":
        return "SRID=4326;MULTIPOLYGON(" + ",".join("(" + ",".join(ring(r) for r in p) + ")" for p in coordinates) + ")"
    if kind == "LineString":
        return "SRID=4326;LINESTRING" + ring(coordinates)
    return NULL


def products(path: Path, count: int) -> Iterator[dict[str, Any]]:
    """The first `count` products of the NDJSON file."""
    with path.open() as lines:
        for line in itertools.islice(lines, count):
            yield json.loads(line)


def attribute_rows(path: Path, count: int) -> tuple[io.StringIO, int]:
    """catalog_productattribute rows; a string is a date when its name says so (Time/Date), as the registry does
    for the benchmark's attributes."""
    buffer, made = io.StringIO(), 0
    for item in products(path, count):
        for name, value in item["attributes"].items():
            typed = [NULL] * 5  # string, integer, double, boolean, datetime
            if isinstance(value, bool):
                kind, typed[3] = "Boolean", "t" if value else "f"
            elif isinstance(value, int):
                kind, typed[1] = "Integer", str(value)
            elif isinstance(value, float):
                kind, typed[2] = "Double", repr(value)
            elif name.endswith(("Time", "Date")):
                kind, typed[4] = "DateTimeOffset", value
            else:
                kind, typed[0] = "String", value.replace("\\", "\\\\")
            buffer.write("\t".join([item["id"], name, kind, *typed]) + "\n")
        made += 1
    buffer.seek(0)
    return buffer, made


def copy_rows(path: Path, count: int) -> tuple[io.StringIO, int]:
    buffer, made = io.StringIO(), 0
    for item in products(path, count):
        attributes = item["attributes"]
        cloud = attributes.get("cloudCover")
        published = item["publicationDate"]
        buffer.write("\t".join([
            item["id"], item["name"], "operational", item["mission"], item["platform"], FAMILY[item["mission"]],
            item["productType"], item["processingLevel"], "", NULL, "", "systematic", "application/octet-stream",
            str(item["contentLength"]), "", "f", NULL, NULL, published, published, NULL, published,
            item["start"], item["end"], NULL, NULL, item["checksum"], published, "", NULL,
            ewkt(item.get("footprint")), NULL, NULL if cloud is None else repr(float(cloud)),
            json.dumps(attributes, separators=(",", ":")).replace("\\", "\\\\"),
        ]) + "\n")
        made += 1
    buffer.seek(0)
    return buffer, made


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--design", choices=("rows", "jsonb"), required=True)
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--file", type=Path, default=None, help="NDJSON (default: the largest in bench/data)")
    args = parser.parse_args(argv)
    source = args.file or max(DATA.glob("catalog-*.ndjson"), key=lambda p: p.stat().st_size, default=None)
    if source is None:
        sys.exit("no bench/data/catalog-*.ndjson: run bench/prip/generate.py first")
    url = bench_url(DATABASE)
    admin = connect(url, "postgres")
    with admin.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        cursor.execute(f"CREATE DATABASE {DATABASE}")
    try:
        import subprocess
        subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, check=True,
                       env={**os.environ, "DATABASE_URL": url})
        print(f"{machine()}; {server_description(url)}; load {load_average()}; {source.name}")
        connection = connect(url)
        table = "catalog_product" if args.design == "jsonb" else "catalog_productattribute"
        with connection.cursor() as cursor:
            if args.design == "jsonb":
                cursor.execute("ALTER TABLE catalog_product ADD COLUMN attributes jsonb NOT NULL DEFAULT '{}'")
            else:
                cursor.execute("""SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass
                                  AND contype IN ('f', 'u')""", (table,))
                for (name,) in cursor.fetchall():
                    cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
            cursor.execute("""SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s
                              AND indexname NOT IN ('catalog_product_pkey', 'product_unique_name_in_scope',
                                                    'catalog_productattribute_pkey')""", (table,))
            set_aside = cursor.fetchall()
            for name, _ in set_aside:
                cursor.execute(f'DROP INDEX "{name}"')
        builds = [definition for _, definition in set_aside]
        if args.design == "jsonb":
            builds.append("CREATE INDEX product_attributes ON catalog_product USING gin (attributes jsonb_path_ops)")
        else:  # the unique (product, name) the loader builds as an index, then attaches as the constraint
            builds.append("CREATE UNIQUE INDEX attribute_unique_name ON catalog_productattribute (product_id, name)")

        started = time.process_time()
        if args.design == "jsonb":
            rows, made = copy_rows(source, args.count)
            columns = ""
        else:
            rows, made = attribute_rows(source, args.count)
            columns = ("(product_id, name, value_type, value_string, value_integer, value_double, value_boolean, "
                       "value_datetime)")
        print(f"{args.design}: rows of {made:,} products made in {time.process_time() - started:.1f} s CPU "
              "(no validation)")
        cpu = backend_cpu(connection)
        before, wall = cpu(), time.monotonic()
        with connection.cursor() as cursor:
            cursor.copy_expert(f"COPY {table} {columns} FROM STDIN", rows)
        print(f"COPY: {time.monotonic() - wall:.1f} s wall, backend {cpu() - before:.1f} s CPU")

        pending, lock, spent = list(builds), threading.Lock(), []

        def builder() -> None:
            own = connect(url)
            seconds = backend_cpu(own)
            start = seconds()
            with own.cursor() as cursor:
                cursor.execute("SET maintenance_work_mem = '256MB'")
                while True:
                    with lock:
                        if not pending:
                            break
                        statement = pending.pop(0)
                    begun = time.monotonic()
                    cursor.execute(statement)
                    print(f"  {time.monotonic() - begun:6.1f} s  {statement.split(' USING ')[0][13:]}")
            spent.append(seconds() - start)
            own.close()

        wall = time.monotonic()
        threads = [threading.Thread(target=builder) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        print(f"indexes: {time.monotonic() - wall:.1f} s wall, backends {sum(spent):.1f} s CPU "
              f"(PostgreSQL's parallel build workers not counted); load {load_average()}")
        connection.close()
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        admin.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
