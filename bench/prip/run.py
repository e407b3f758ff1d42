#!/usr/bin/env python3
"""PRIP OData search benchmark over HTTP on the benchmark catalogue (built by bench/prip/load.py).

    set -a; . var/<your>.env; set +a
    .venv/bin/python bench/prip/run.py                      # gunicorn gthread, 4 workers x 2 threads

Starts gunicorn on the benchmark database (`--limit-request-line 0`: OData URLs exceed 8 KB), then with a warm cache
(a warm-up pass over other variants of each search first):

1. each typical search alone, one keep-alive client: `--requests` different variants (values drawn from the
   catalogue), p50/p95 against the targets (p50 ≤ 30 ms, p95 ≤ 100 ms);
2. deep paging: following `$skiptoken` nextLinks `--pages` pages deep, and `$skip=9000`;
3. `--clients` concurrent keep-alive clients for `--duration` seconds on the mix of all searches (target ≥ 50
   requests/s with p95 ≤ 500 ms);
4. EXPLAIN (ANALYZE, BUFFERS) of every SQL query each search runs, captured in-process with Django's
   CaptureQueriesContext on the same view code, with every `Seq Scan` flagged.

The markdown report is printed and written to bench/data/results/ with the plans beside it. Gunicorn's sync and
gthread workers set TCP_NODELAY on their sockets, and so do the clients here: no 40 ms Nagle/delayed-ACK stalls.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchdb import DATA, ROOT, bench_url, load_average, machine, query, server_description

ODATA = "/odata/v1"
P50_TARGET_MS, P95_TARGET_MS = 30.0, 100.0
CONCURRENT_RPS_TARGET, CONCURRENT_P95_TARGET_MS = 50.0, 500.0


def odata_time(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def products_url(**options: str) -> str:
    """Products?… with the values percent-encoded the way cdsetool sends them (quote, '/' kept)."""
    return f"{ODATA}/Products?" + "&".join(f"${k}={quote(v, safe='/')}" for k, v in options.items())


def box(lon: float, lat: float, half: float) -> str:
    w, e = lon - half, lon + half
    s, n = max(-89.9, lat - half), min(89.9, lat + half)
    return f"POLYGON(({w:.4f} {s:.4f},{e:.4f} {s:.4f},{e:.4f} {n:.4f},{w:.4f} {n:.4f},{w:.4f} {s:.4f}))"


def product_type_filter(product_type: str) -> str:
    return ("Attributes/OData.CSC.StringAttribute/any(att:att/Name eq 'productType' and "
            f"att/OData.CSC.StringAttribute/Value eq '{product_type}')")


COLLECTION = {"S1": "SENTINEL-1", "S2": "SENTINEL-2", "S3": "SENTINEL-3"}


# --- the searches ---------------------------------------------------------------------------------------------------


@dataclass
class Sample:
    """Values drawn from the catalogue so that every variant asks for something that exists."""

    products: list[tuple[str, str, str, datetime, float, float]]  # name, type, mission, start, lon, lat
    types: list[str]
    months: list[datetime]
    tiles: list[str]


def sample_catalogue(url: str, seed: int) -> Sample:
    rows = query(url, """
        SELECT name, product_type, mission, content_start, ST_X(ST_PointOnSurface(footprint)),
               ST_Y(ST_PointOnSurface(footprint))
        FROM catalog_product TABLESAMPLE SYSTEM (2) REPEATABLE (%s)
        WHERE footprint IS NOT NULL AND GeometryType(footprint) = 'MULTIPOLYGON' AND publication_date IS NOT NULL
        ORDER BY id LIMIT 5000""", (seed,))
    types = [r[0] for r in query(url, "SELECT DISTINCT product_type FROM catalog_product ORDER BY 1")]
    first, last = query(url, "SELECT min(content_start), max(content_start) FROM catalog_product")[0]
    months, month = [], datetime(first.year, first.month, 1, tzinfo=UTC)
    while month < last:
        months.append(month)
        month = (month + timedelta(days=32)).replace(day=1)
    tiles = sorted({m[1] for r in rows if (m := re.search(r"_T(\d\d[A-Z]{3})_", r[0]))})
    return Sample(products=rows, types=types, months=months, tiles=tiles)


@dataclass
class Search:
    key: str
    title: str
    make: Callable[[random.Random, Sample], str]
    targets: bool = True  # p50/p95 targets apply


def _type_window_aoi(rng: random.Random, s: Sample, expand: bool = False) -> str:
    _name, product_type, mission, start, lon, lat = rng.choice(
        [p for p in s.products if p[1] in {"IW_GRDH_1S", "IW_SLC__1S", "S2MSI1C", "S2MSI2A", "OL_1_EFR___",
                                           "SL_2_LST___"}])
    window = (start - timedelta(days=5), start + timedelta(days=5))
    filter_ = (f"Collection/Name eq '{COLLECTION[mission]}' and {product_type_filter(product_type)} and "
               f"ContentDate/Start gt {odata_time(window[0])} and ContentDate/Start lt {odata_time(window[1])} and "
               f"OData.CSC.Intersects(area=geography'SRID=4326;{box(lon, lat, 1.0)}')")
    options = {"filter": filter_, "orderby": "ContentDate/Start asc", "top": "100"}
    url = products_url(**options)
    return url + "&$expand=Attributes&$expand=Assets" if expand else url


def _newest_of_type(rng: random.Random, s: Sample) -> str:
    return products_url(filter=product_type_filter(rng.choice(s.types)), orderby="PublicationDate desc", top="100")


def _relative_orbit(rng: random.Random, s: Sample) -> str:
    return products_url(filter="Collection/Name eq 'SENTINEL-1' and Attributes/OData.CSC.IntegerAttribute/any("
                               "att:att/Name eq 'relativeOrbitNumber' and att/OData.CSC.IntegerAttribute/Value eq "
                               f"{rng.randint(1, 175)})", top="100")


def _cloud_cover(rng: random.Random, s: Sample) -> str:
    month = rng.choice(s.months)
    end = (month + timedelta(days=32)).replace(day=1)
    return products_url(filter=f"{product_type_filter(rng.choice(['S2MSI1C', 'S2MSI2A']))} and "
                               "Attributes/OData.CSC.DoubleAttribute/any(att:att/Name eq 'cloudCover' and "
                               f"att/OData.CSC.DoubleAttribute/Value le {rng.choice([5, 10, 20])}.00) and "
                               f"ContentDate/Start ge {odata_time(month)} and ContentDate/Start lt {odata_time(end)}",
                        top="100")


def _name_prefix(rng: random.Random, s: Sample) -> str:
    name = rng.choice(s.products)[0]
    return products_url(filter=f"startswith(Name,'{name[:26]}')", top="100")


def _name_contains(rng: random.Random, s: Sample) -> str:
    return products_url(filter=f"contains(Name,'_T{rng.choice(s.tiles)}_')", top="100")


def _point(rng: random.Random, s: Sample) -> str:
    _, _, _, _, lon, lat = rng.choice(s.products)
    return products_url(filter=f"OData.CSC.Intersects(area=geography'SRID=4326;POINT({lon:.5f} {lat:.5f})')",
                        top="100")


def _antimeridian(rng: random.Random, s: Sample) -> str:
    lat = rng.uniform(-70, 70)
    ring = f"POLYGON((178 {lat:.2f},-178 {lat:.2f},-178 {lat + 4:.2f},178 {lat + 4:.2f},178 {lat:.2f}))"
    return products_url(filter=f"OData.CSC.Intersects(area=geography'SRID=4326;{ring}')", top="100")


def _month_count(rng: random.Random, s: Sample) -> str:
    month = rng.choice(s.months)
    end = (month + timedelta(days=32)).replace(day=1)
    filter_ = f"ContentDate/Start ge {odata_time(month)} and ContentDate/Start lt {odata_time(end)}"
    return f"{ODATA}/Products/$count?$filter={quote(filter_, safe='/')}"


def _skip_9000(rng: random.Random, s: Sample) -> str:
    return products_url(filter=f"Collection/Name eq '{rng.choice(list(COLLECTION.values()))}'", skip="9000",
                        top="100")


SEARCHES = [
    Search("type-window-aoi", "type + 10-day window + 2x2° AOI, $top=100", _type_window_aoi),
    Search("eodag", "the same + $expand=Attributes&$expand=Assets (eodag)",
           lambda rng, s: _type_window_aoi(rng, s, expand=True)),
    Search("newest-of-type", "newest 100 of a type ($orderby=PublicationDate desc)", _newest_of_type),
    Search("relative-orbit", "S1 + relativeOrbitNumber eq N", _relative_orbit),
    Search("cloud-cover", "S2 type + cloudCover le X + one month", _cloud_cover),
    Search("name-prefix", "startswith(Name, 26 characters)", _name_prefix),
    Search("name-contains", "contains(Name, '_T<tile>_')", _name_contains),
    Search("point", "Intersects(POINT)", _point),
    Search("antimeridian", "Intersects(4x4° polygon across ±180°)", _antimeridian),
    Search("month-count", "Products/$count of one month", _month_count),
    Search("skip-9000", "collection, $skip=9000&$top=100", _skip_9000),
]


# --- HTTP -----------------------------------------------------------------------------------------------------------


class Client:
    """One keep-alive connection with TCP_NODELAY; reconnects when the server closes it."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.connection: http.client.HTTPConnection | None = None

    def _connect(self) -> http.client.HTTPConnection:
        connection = http.client.HTTPConnection(self.host, self.port, timeout=120)
        connection.connect()
        assert connection.sock is not None
        connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return connection

    def get(self, path: str) -> tuple[int, bytes, float]:
        """(status, body, seconds from sending the request to the last byte of the body)."""
        for attempt in (1, 2):
            if self.connection is None:
                self.connection = self._connect()
            started = time.perf_counter()
            try:
                self.connection.request("GET", path, headers={"Accept": "application/json"})
                response = self.connection.getresponse()
                body = response.read()
                elapsed = time.perf_counter() - started
                if response.getheader("Connection", "").lower() == "close":
                    self.close()
                return response.status, body, elapsed
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.close()  # a kept-alive connection the server timed out: once more on a new one
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


@dataclass
class Timings:
    seconds: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    items: list[int] = field(default_factory=list)
    bytes: list[int] = field(default_factory=list)

    def add(self, status: int, body: bytes, seconds: float) -> None:
        self.seconds.append(seconds)
        self.statuses[status] = self.statuses.get(status, 0) + 1
        self.bytes.append(len(body))
        if status == 200 and body.startswith(b"{"):
            self.items.append(len(json.loads(body).get("value", [])))
        elif status == 200:
            self.items.append(int(body) if body.strip().isdigit() else 0)

    def percentile(self, p: float) -> float:
        ordered = sorted(self.seconds)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))] * 1000


def start_server(url: str, workers: int, threads: int, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "DATABASE_URL": url, "DEBUG": "false"}
    log = (DATA / "results" / "gunicorn.log").open("ab")
    command = [str(ROOT / ".venv" / "bin" / "gunicorn"), "rs.wsgi:application", "--bind", f"127.0.0.1:{port}",
               "--workers", str(workers), "--worker-class", "gthread", "--threads", str(threads),
               "--limit-request-line", "0", "--keep-alive", "30", "--log-level", "warning"]
    print("--- server:", " ".join(command), flush=True)
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            status, _, _ = Client("127.0.0.1", port).get("/healthz")
            if status == 200:
                return server
        except OSError:
            pass
        if server.poll() is not None:
            sys.exit(f"gunicorn exited with {server.returncode}: see bench/data/results/gunicorn.log")
        time.sleep(0.5)
    stop_server(server)
    sys.exit("gunicorn did not answer /healthz within 90 s")


def stop_server(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def api_ready(client: Client) -> str | None:
    """None when GET Products answers a collection; otherwise what is wrong."""
    try:
        status, body, _ = client.get(f"{ODATA}/Products?$top=1")
    except OSError as exc:
        return f"GET {ODATA}/Products failed: {exc}"
    if status != 200:
        return f"GET {ODATA}/Products answered HTTP {status}: {body[:200]!r}"
    try:
        json.loads(body)["value"]
    except (ValueError, KeyError):
        return f"GET {ODATA}/Products did not answer an OData collection: {body[:200]!r}"
    return None


# --- phases ---------------------------------------------------------------------------------------------------------


def sequential(client: Client, searches: list[Search], sample: Sample, *, requests: int, warmup: int, seed: int
               ) -> dict[str, tuple[Timings, list[str]]]:
    results = {}
    for search in searches:
        rng = random.Random(f"{seed}-{search.key}")
        warm = [search.make(rng, sample) for _ in range(warmup)]
        measured = [search.make(rng, sample) for _ in range(requests)]
        for path in warm:
            client.get(path)
        timings = Timings()
        for path in measured:
            timings.add(*client.get(path))
        results[search.key] = (timings, measured)
        print(f"{search.key:16s} p50 {timings.percentile(50):7.1f} ms  p95 {timings.percentile(95):7.1f} ms  "
              f"statuses {timings.statuses}", flush=True)
    return results


def deep_pages(client: Client, pages: int) -> tuple[Timings, int, str]:
    """Follow nextLinks from page 1 of SENTINEL-2 by publication date: the timings, the depth, the deepest URL."""
    path = products_url(filter="Collection/Name eq 'SENTINEL-2'", top="100")
    deepest = path
    timings = Timings()
    for _ in range(pages):
        deepest = path
        status, body, seconds = client.get(path)
        timings.add(status, body, seconds)
        if status != 200:
            break
        link = json.loads(body).get("@odata.nextLink")
        if not link:
            break
        parts = urlsplit(link)
        path = f"{parts.path}?{parts.query}"
    return timings, sum(timings.items), deepest


def concurrent(host: str, port: int, paths: list[str], *, clients: int, duration: float, seed: int
               ) -> tuple[Timings, float]:
    timings = Timings()
    lock = threading.Lock()
    deadline = time.monotonic() + duration
    errors: list[BaseException] = []

    def work(index: int) -> None:
        rng = random.Random(f"{seed}-client-{index}")
        client = Client(host, port)
        local = Timings()
        try:
            while time.monotonic() < deadline:
                local.add(*client.get(rng.choice(paths)))
        except BaseException as exc:
            errors.append(exc)
        finally:
            client.close()
            with lock:
                timings.seconds += local.seconds
                timings.items += local.items
                timings.bytes += local.bytes
                for status, n in local.statuses.items():
                    timings.statuses[status] = timings.statuses.get(status, 0) + n

    started = time.monotonic()
    threads = [threading.Thread(target=work, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    if errors:
        print(f"client errors: {len(errors)}, first: {errors[0]!r}", flush=True)
    return timings, len(timings.seconds) / elapsed


def explain(url: str, examples: dict[str, str]) -> dict[str, list[tuple[str, str]]]:
    """(SQL, EXPLAIN (ANALYZE, BUFFERS)) of each query the view runs for each example, captured in-process."""
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rs.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db import connection
    from django.test import Client as DjangoClient
    from django.test.utils import CaptureQueriesContext

    client = DjangoClient()
    plans: dict[str, list[tuple[str, str]]] = {}
    for key, path in examples.items():
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path)
        if response.status_code != 200:
            print(f"explain {key}: HTTP {response.status_code}", flush=True)
        plans[key] = []
        for executed in captured.captured_queries:
            sql = executed["sql"]
            if not sql.lstrip().upper().startswith(("SELECT", "WITH")):
                continue
            with connection.cursor() as cursor:
                cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
                plans[key].append((sql, "\n".join(row[0] for row in cursor.fetchall())))
    return plans


# --- report ---------------------------------------------------------------------------------------------------------


def verdict(ok: bool) -> str:
    return "yes" if ok else "**no**"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default="rs_bench")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--requests", type=int, default=40, help="measured variants per search")
    parser.add_argument("--warmup", type=int, default=10, help="warm-up variants per search (not measured)")
    parser.add_argument("--pages", type=int, default=100, help="nextLink pages to follow (100 → 10,000 deep)")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of the concurrent phase")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-explain", action="store_true")
    args = parser.parse_args(argv)
    url = bench_url(args.database)
    (DATA / "results").mkdir(parents=True, exist_ok=True)
    started_at = datetime.now(UTC)
    products = query(url, "SELECT count(*) FROM catalog_product")[0][0]
    attributes = query(url, "SELECT reltuples::bigint FROM pg_class WHERE relname = 'catalog_productattribute'")[0][0]
    if products == 0:
        sys.exit(f"{args.database} has no products: build it with bench/prip/load.py first")
    sample = sample_catalogue(url, args.seed)
    load_before = load_average()
    port = free_port()
    server = start_server(url, args.workers, args.threads, port)
    lines: list[str] = []
    try:
        client = Client("127.0.0.1", port)
        problem = api_ready(client)
        if problem:
            print(problem, file=sys.stderr)
            return 2
        single = sequential(client, SEARCHES, sample, requests=args.requests, warmup=args.warmup, seed=args.seed)
        deep, depth, deepest = deep_pages(client, args.pages)
        client.close()
        mix = [path for timings, paths in single.values() for path in paths]
        crowd, rate = concurrent("127.0.0.1", port, mix, clients=args.clients, duration=args.duration, seed=args.seed)
        load_after = load_average()
    finally:
        stop_server(server)
    plans = {} if args.no_explain else explain(url, {key: paths[0] for key, (_t, paths) in single.items()}
                                                    | {"deepest-skiptoken": deepest})

    command = " ".join([Path(sys.executable).name, "bench/prip/run.py", *(argv if argv is not None else sys.argv[1:])])
    lines += [
        f"# PRIP search benchmark: {products:,} products, {attributes:,} attributes",
        "",
        f"* date: {started_at:%Y-%m-%d %H:%M} UTC; machine: {machine()}",
        f"* database: {args.database} on {server_description(url)}",
        f"* server: gunicorn gthread, {args.workers} workers x {args.threads} threads, `--limit-request-line 0`, "
        "client and server on the same machine",
        f"* load average (1/5/15 min) before: {load_before}; after the concurrent phase: {load_after}",
        f"* command: `{command}`",
        "",
        f"## Single client, warm cache ({args.requests} different variants each, after {args.warmup} warm-up ones)",
        "",
        f"Targets: p50 ≤ {P50_TARGET_MS:.0f} ms and p95 ≤ {P95_TARGET_MS:.0f} ms.",
        "",
        "| search | p50 ms | p95 ms | max ms | items/answer | KB/answer | HTTP | meets target |",
        "|---|---:|---:|---:|---:|---:|---|---|",
    ]
    for search in SEARCHES:
        t, _ = single[search.key]
        ok = t.percentile(50) <= P50_TARGET_MS and t.percentile(95) <= P95_TARGET_MS and set(t.statuses) == {200}
        lines.append(f"| {search.title} | {t.percentile(50):.1f} | {t.percentile(95):.1f} | "
                     f"{max(t.seconds) * 1000:.1f} | {statistics.mean(t.items or [0]):.0f} | "
                     f"{statistics.mean(t.bytes) / 1024:.0f} | {t.statuses} | {verdict(ok)} |")
    deep_ok = deep.percentile(50) <= P50_TARGET_MS and deep.percentile(95) <= P95_TARGET_MS
    last = deep.seconds[-1] * 1000 if deep.seconds else float("nan")
    lines += [
        f"| nextLink ($skiptoken) pages 1-{len(deep.seconds)} of SENTINEL-2, $top=100 ({depth:,} products deep; "
        f"last page {last:.1f} ms) | {deep.percentile(50):.1f} | {deep.percentile(95):.1f} | "
        f"{max(deep.seconds or [0]) * 1000:.1f} | {statistics.mean(deep.items or [0]):.0f} | "
        f"{statistics.mean(deep.bytes or [0]) / 1024:.0f} | {deep.statuses} | {verdict(deep_ok)} |",
        "",
        f"## {args.clients} concurrent keep-alive clients, {args.duration:.0f} s, mix of all the searches above",
        "",
        "| requests | requests/s | p50 ms | p95 ms | max ms | HTTP | meets target (≥ 50/s, p95 ≤ 500 ms) |",
        "|---:|---:|---:|---:|---:|---|---|",
        f"| {len(crowd.seconds)} | {rate:.1f} | {crowd.percentile(50):.1f} | {crowd.percentile(95):.1f} | "
        f"{max(crowd.seconds or [0]) * 1000:.1f} | {crowd.statuses} | "
        f"{verdict(rate >= CONCURRENT_RPS_TARGET and crowd.percentile(95) <= CONCURRENT_P95_TARGET_MS)} |",
    ]
    if plans:
        plan_path = DATA / "results" / f"explain-{started_at:%Y%m%dT%H%M%S}.txt"
        with plan_path.open("w") as out:
            for key, queries in plans.items():
                for sql, plan in queries:
                    out.write(f"=== {key}\n{sql}\n\n{plan}\n\n")
        lines += ["", "## Query plans (EXPLAIN (ANALYZE, BUFFERS), one variant each)", "",
                  "| search | SQL queries | execution ms | Seq Scan |", "|---|---:|---:|---|"]
        for key, queries in plans.items():
            times = [m[1] for _sql, plan in queries if (m := re.search(r"Execution Time: ([\d.]+) ms", plan))]
            seq = sorted({m for _sql, plan in queries for m in re.findall(r"Seq Scan on (\w+)", plan)})
            lines.append(f"| {key} | {len(queries)} | {' + '.join(times)} | "
                         f"{'**' + ', '.join(seq) + '**' if seq else 'none'} |")
        lines.append(f"\nFull plans: {plan_path.relative_to(ROOT)}")
    report = "\n".join(lines) + "\n"
    path = DATA / "results" / f"prip-{started_at:%Y%m%dT%H%M%S}.md"
    path.write_text(report)
    print("\n" + report + f"\n(written to {path.relative_to(ROOT)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
