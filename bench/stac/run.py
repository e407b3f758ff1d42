#!/usr/bin/env python3
"""STAC search benchmark beside the PRIP one, on the same catalogue and the same server (bench/prip/run.py).

    set -a; . var/<your>.env; set +a
    .venv/bin/python bench/stac/run.py --database rs_bench_small     # gunicorn gthread, 4 workers x 2 threads

Every PRIP benchmark search (bench/prip/run.py, same seed, same variants drawn from the catalogue) has a STAC twin
asking for the same products with the same content: the STAC parameters or CQL2 filter of the same condition, and
`fields` trimmed to what the plain PRIP answer carries (no attributes, no assets, no lineage) — or full items for
eodag's `$expand=Attributes&$expand=Assets` search. For each variant the PRIP request, its twin and the full-item
STAC request go out back to back on one keep-alive connection (so the shared machine's load hits all three alike),
and the answers are compared: same products, same order. Then: nextLink paging 100 pages deep through both, 16
concurrent clients on each mix, and the SQL each side runs (identical or not, EXPLAIN ANALYZE execution times).

The STAC API has no offset paging and no count: `$skip=9000` and `Products/$count` have no twin (reported n/a).
Target: STAC twin p50 and p95 within 10 % of the PRIP figures.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import random
import re
import statistics
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("prip_bench", ROOT / "bench" / "prip" / "run.py")
assert _spec is not None and _spec.loader is not None
prip = importlib.util.module_from_spec(_spec)
sys.modules["prip_bench"] = prip
_spec.loader.exec_module(prip)
from benchdb import (  # type: ignore[import-not-found]  # noqa: E402 (bench/prip is on the path now)
    DATA,
    bench_url,
    load_average,
    machine,
    query,
    server_description,
)

STAC = "/stac"
SETTINGS = "rs.settings"
TOLERANCE = 1.10
SLIM_FIELDS = ("id,collection,geometry,bbox,properties.datetime,properties.start_datetime,properties.end_datetime,"
               "properties.created,properties.updated,properties.expires,properties.prip:id,properties.prip:online,"
               "properties.prip:content_length,properties.prip:origin_date,properties.prip:production_type")
COLLECTION_IDS = {"S1": "sentinel-1", "S2": "sentinel-2", "S3": "sentinel-3"}


def stac_url(path: str = "search", **params: str) -> str:
    return f"{STAC}/{path}?{urlencode(params, quote_via=quote)}"


def timestamp(t: datetime) -> str:
    return f"TIMESTAMP('{prip.odata_time(t)}')"


def like_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_").replace("'", "''")


def collection_of(mission: str, product_type: str) -> str:
    return f"{COLLECTION_IDS[mission]}-{product_type.lower()}"


# --- the twins: the same draws from the generator as the PRIP search, the same condition in STAC terms -----------


def _type_window_aoi(rng: random.Random, s: Any) -> dict[str, str]:
    _name, product_type, mission, start, lon, lat = rng.choice(
        [p for p in s.products if p[1] in {"IW_GRDH_1S", "IW_SLC__1S", "S2MSI1C", "S2MSI2A", "OL_1_EFR___",
                                           "SL_2_LST___"}])
    window = (start - timedelta(days=5), start + timedelta(days=5))
    west, east = round(lon - 1.0, 4), round(lon + 1.0, 4)
    south, north = round(max(-89.9, lat - 1.0), 4), round(min(89.9, lat + 1.0), 4)
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"collections": collection_of(mission, product_type),
            "intersects": json.dumps({"type": "Polygon", "coordinates": [ring]}, separators=(",", ":")),
            "filter": f"start_datetime > {timestamp(window[0])} AND start_datetime < {timestamp(window[1])}",
            "sortby": "+start_datetime", "limit": "100"}


def _newest_of_type(rng: random.Random, s: Any) -> dict[str, str]:
    return {"filter": f"productType = '{rng.choice(s.types)}'", "sortby": "-published", "limit": "100"}


def _relative_orbit(rng: random.Random, s: Any) -> dict[str, str]:
    return {"filter": f"constellation = 'sentinel-1' AND sat:relative_orbit = {rng.randint(1, 175)}", "limit": "100"}


def _cloud_cover(rng: random.Random, s: Any) -> dict[str, str]:
    month = rng.choice(s.months)
    end = (month + timedelta(days=32)).replace(day=1)
    product_type = rng.choice(["S2MSI1C", "S2MSI2A"])
    cloud = rng.choice([5, 10, 20])
    return {"filter": f"productType = '{product_type}' AND eo:cloud_cover <= {cloud}.00 AND start_datetime >= "
                      f"{timestamp(month)} AND start_datetime < {timestamp(end)}", "limit": "100"}


def _name_prefix(rng: random.Random, s: Any) -> dict[str, str]:
    return {"filter": f"id LIKE '{like_text(rng.choice(s.products)[0][:26])}%'", "limit": "100"}


def _name_contains(rng: random.Random, s: Any) -> dict[str, str]:
    return {"filter": f"id LIKE '%{like_text('_T' + rng.choice(s.tiles) + '_')}%'", "limit": "100"}


def _point(rng: random.Random, s: Any) -> dict[str, str]:
    _, _, _, _, lon, lat = rng.choice(s.products)
    return {"intersects": f'{{"type":"Point","coordinates":[{lon:.5f},{lat:.5f}]}}', "limit": "100"}


def _antimeridian(rng: random.Random, s: Any) -> dict[str, str]:
    lat = rng.uniform(-70, 70)
    south, north = float(f"{lat:.2f}"), float(f"{lat + 4:.2f}")  # the PRIP search's own rounding
    ring = [[178, south], [-178, south], [-178, north], [178, north], [178, south]]
    return {"intersects": json.dumps({"type": "Polygon", "coordinates": [ring]}, separators=(",", ":")),
            "limit": "100"}


TWINS: dict[str, tuple[Callable[[random.Random, Any], dict[str, str]], bool]] = {
    # PRIP search key: (STAC parameters of the same condition, whether the PRIP answer has attributes and assets)
    "type-window-aoi": (_type_window_aoi, False),
    "eodag": (_type_window_aoi, True),
    "newest-of-type": (_newest_of_type, False),
    "relative-orbit": (_relative_orbit, False),
    "cloud-cover": (_cloud_cover, False),
    "name-prefix": (_name_prefix, False),
    "name-contains": (_name_contains, False),
    "point": (_point, False),
    "antimeridian": (_antimeridian, False),
}


@dataclass
class Variant:
    prip: str  # the PRIP benchmark's request
    twin: str  # STAC, same condition, same content
    prip_expanded: str  # the PRIP request with $expand=Attributes&$expand=Assets (the content of a full STAC item)
    full: str  # STAC, full items


class Timings(prip.Timings):  # type: ignore[name-defined]
    """The PRIP benchmark's timings; a STAC page counts its features."""

    def add(self, status: int, body: bytes, seconds: float) -> None:
        if status == 200 and body.startswith(b'{"type":"FeatureCollection"'):
            self.seconds.append(seconds)
            self.statuses[status] = self.statuses.get(status, 0) + 1
            self.bytes.append(len(body))
            self.items.append(len(json.loads(body)["features"]))
        else:
            super().add(status, body, seconds)


def names_of(body: bytes) -> list[str]:
    payload = json.loads(body)
    if "features" in payload:
        return [f["id"] for f in payload["features"]]
    return [item["Name"] for item in payload.get("value", [])]


def variants(search: Any, sample: Any, count: int, seed: int) -> list[Variant]:
    """`count` variants of a PRIP search and their twins, drawn with the PRIP benchmark's generator and seed."""
    twin, expanded = TWINS[search.key]
    rng = random.Random(f"{seed}-{search.key}")
    result = []
    for _ in range(count):
        state = rng.getstate()
        odata = search.make(rng, sample)
        mirror = random.Random()
        mirror.setstate(state)
        params = twin(mirror, sample)
        assert mirror.getstate() == rng.getstate(), f"{search.key}: the twin drew other values than the PRIP search"
        result.append(Variant(odata, stac_url(**params) if expanded else stac_url(**params, fields=SLIM_FIELDS),
                              odata if expanded else odata + "&$expand=Attributes&$expand=Assets",
                              stac_url(**params)))
    return result


Measured = tuple[Timings, Timings, Timings, Timings, int, list[Variant]]


def measure(client: Any, searches: list[Any], sample: Any, *, requests: int, warmup: int, seed: int
            ) -> dict[str, Measured]:
    """(PRIP, STAC twin, PRIP expanded, STAC full items, answers that differ, the variants) per search."""
    results = {}
    for search in searches:
        drawn = variants(search, sample, warmup + requests, seed)
        for variant in drawn[:warmup]:
            for path in (variant.prip, variant.twin, variant.prip_expanded, variant.full):
                client.get(path)
        timings = (Timings(), Timings(), Timings(), Timings())
        mismatches = 0
        for variant in drawn[warmup:]:
            answers = []
            for measured, path in zip(timings, (variant.prip, variant.twin, variant.prip_expanded, variant.full),
                                      strict=True):
                status, body, seconds = client.get(path)
                measured.add(status, body, seconds)
                answers.append(names_of(body) if status == 200 else [f"HTTP {status}"])
            mismatches += any(answer != answers[0] for answer in answers[1:])
        results[search.key] = (*timings, mismatches, drawn[warmup:])
        print(f"{search.key:16s} p50 PRIP {timings[0].percentile(50):6.1f}  twin {timings[1].percentile(50):6.1f}  "
              f"PRIP expanded {timings[2].percentile(50):6.1f}  full {timings[3].percentile(50):6.1f} ms  "
              f"mismatches {mismatches}", flush=True)
    return results


def deep_pages(client: Any, first: str, pages: int) -> tuple[Timings, list[str], str]:
    """Follow next links (PRIP @odata.nextLink or STAC rel=next) from `first`: timings, names, the deepest path."""
    path, deepest, timings, names = first, first, Timings(), []
    for _ in range(pages):
        deepest = path
        status, body, seconds = client.get(path)
        timings.add(status, body, seconds)
        if status != 200:
            break
        payload = json.loads(body)
        names += names_of(body)
        link = payload.get("@odata.nextLink") or next(
            (link["href"] for link in payload.get("links", []) if link["rel"] == "next"), None)
        if not link:
            break
        parts = urlsplit(link)
        path = f"{parts.path}?{parts.query}"
    return timings, names, deepest


def compare(prip_t: Any, stac_t: Any) -> str:
    ok = (stac_t.percentile(50) <= prip_t.percentile(50) * TOLERANCE
          and stac_t.percentile(95) <= prip_t.percentile(95) * TOLERANCE)
    ratio = stac_t.percentile(50) / prip_t.percentile(50) if prip_t.percentile(50) else float("nan")
    return f"{ratio:.2f} {'yes' if ok else '**no**'}"


def sql_of(plans: dict[str, list[tuple[str, str]]], key: str) -> tuple[list[str], list[str]]:
    sql = [re.sub(r"\s+", " ", s) for s, _ in plans.get(key, [])]
    times = [m[1] for _s, plan in plans.get(key, []) if (m := re.search(r"Execution Time: ([\d.]+) ms", plan))]
    return sql, times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default="rs_bench")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--requests", type=int, default=40, help="measured variants per search")
    parser.add_argument("--warmup", type=int, default=10, help="warm-up variants per search (not measured)")
    parser.add_argument("--pages", type=int, default=100, help="next-link pages to follow")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of each concurrent phase")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-explain", action="store_true")
    args = parser.parse_args(argv)
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS  # gunicorn (it inherits the environment) and the EXPLAIN phase
    url = bench_url(args.database)
    (DATA / "results").mkdir(parents=True, exist_ok=True)
    started_at = datetime.now(UTC)
    products = query(url, "SELECT count(*) FROM catalog_product")[0][0]
    if products == 0:
        sys.exit(f"{args.database} has no products: build it with bench/prip/load.py first")
    sample = prip.sample_catalogue(url, args.seed)
    searches = [s for s in prip.SEARCHES if s.key in TWINS]
    load_before = load_average()
    port = prip.free_port()
    server = prip.start_server(url, args.workers, args.threads, port)
    try:
        client = prip.Client("127.0.0.1", port)
        status, body, _ = client.get(stac_url(limit="1"))
        if status != 200 or prip.api_ready(client):
            print(f"the server does not answer searches: {status} {body[:300]!r}", file=sys.stderr)
            return 2
        single = measure(client, searches, sample, requests=args.requests, warmup=args.warmup, seed=args.seed)
        prip_deep, prip_names, _ = deep_pages(
            client, prip.products_url(filter="Collection/Name eq 'SENTINEL-2'", top="100"), args.pages)
        stac_deep, stac_names, _ = deep_pages(
            client, stac_url(filter="constellation = 'sentinel-2'", limit="100", fields=SLIM_FIELDS), args.pages)
        client.close()
        mixes = {"PRIP": [v.prip for *_, drawn in single.values() for v in drawn],
                 "STAC twin": [v.twin for *_, drawn in single.values() for v in drawn],
                 "PRIP expanded": [v.prip_expanded for *_, drawn in single.values() for v in drawn],
                 "STAC full items": [v.full for *_, drawn in single.values() for v in drawn]}
        crowds = {side: prip.concurrent("127.0.0.1", port, paths, clients=args.clients, duration=args.duration,
                                        seed=args.seed) for side, paths in mixes.items()}
        load_after = load_average()
    finally:
        prip.stop_server(server)
    plans: dict[str, list[tuple[str, str]]] = {}
    if not args.no_explain:
        examples = {}
        for key, (*_, drawn) in single.items():
            examples[f"{key} PRIP"], examples[f"{key} STAC"] = drawn[0].prip, drawn[0].twin
        plans = prip.explain(url, examples)

    command = " ".join([Path(sys.executable).name, "bench/stac/run.py", *(argv if argv is not None else sys.argv[1:])])
    lines = [
        f"# STAC search benchmark beside the PRIP: {products:,} products",
        "",
        f"* date: {started_at:%Y-%m-%d %H:%M} UTC; machine: {machine()}",
        f"* database: {args.database} on {server_description(url)}",
        f"* server: gunicorn gthread, {args.workers} workers x {args.threads} threads, settings {SETTINGS}",
        f"* load average (1/5/15 min) before: {load_before}; after the concurrent phases: {load_after}",
        f"* command: `{command}`",
        "",
        f"## Single client: each PRIP search and its STAC twin, plain and with full content ({args.requests} "
        f"variants each, after {args.warmup} warm-up ones, the four requests of a variant back to back)",
        "",
        "The twin asks for the same condition with the content of the PRIP answer (`fields` without attributes, "
        "assets and lineage; full items for the eodag search); full STAC items are compared with the PRIP answer "
        "expanded with Attributes and Assets. Target: STAC p50 and p95 ≤ 110 % of the PRIP's.",
        "",
        "| search | items/answer | same answers | PRIP p50 / p95 ms | STAC twin p50 / p95 ms | twin/PRIP p50, "
        "within 10 % | PRIP expanded p50 / p95 ms | STAC full items p50 / p95 ms | full/expanded p50, within 10 % |",
        "|---|---:|---|---:|---:|---|---:|---:|---|",
    ]
    for search in searches:
        odata, twin, expanded, full, mismatches, drawn = single[search.key]
        lines.append(
            f"| {search.title} | {statistics.mean(twin.items or [0]):.0f} | {len(drawn) - mismatches}/{len(drawn)} | "
            f"{odata.percentile(50):.1f} / {odata.percentile(95):.1f} | "
            f"{twin.percentile(50):.1f} / {twin.percentile(95):.1f} | {compare(odata, twin)} | "
            f"{expanded.percentile(50):.1f} / {expanded.percentile(95):.1f} | "
            f"{full.percentile(50):.1f} / {full.percentile(95):.1f} | {compare(expanded, full)} |")
    lines += [
        "| Products/$count of one month; collection $skip=9000 | - | - | n/a: the STAC API has no count and no "
        "offset paging (token paging only) | | | | | |",
        "",
        f"## Next-link paging, SENTINEL-2 by publication date, 100 a page, {args.pages} pages",
        "",
        "| API | pages | p50 ms | p95 ms | last page ms | same products |",
        "|---|---:|---:|---:|---:|---|",
        f"| PRIP ($skiptoken) | {len(prip_deep.seconds)} | {prip_deep.percentile(50):.1f} | "
        f"{prip_deep.percentile(95):.1f} | {prip_deep.seconds[-1] * 1000:.1f} | |",
        f"| STAC (skiptoken) | {len(stac_deep.seconds)} | {stac_deep.percentile(50):.1f} | "
        f"{stac_deep.percentile(95):.1f} | {stac_deep.seconds[-1] * 1000:.1f} | "
        f"{'yes' if prip_names == stac_names else '**no**'} ({len(stac_names):,} products) |",
        "",
        f"## {args.clients} concurrent keep-alive clients, {args.duration:.0f} s each, on the mix of the searches",
        "",
        "| mix | requests | requests/s | p50 ms | p95 ms | HTTP |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for side, (crowd, rate) in crowds.items():
        lines.append(f"| {side} | {len(crowd.seconds)} | {rate:.1f} | {crowd.percentile(50):.1f} | "
                     f"{crowd.percentile(95):.1f} | {crowd.statuses} |")
    if plans:
        plan_path = DATA / "results" / f"stac-explain-{started_at:%Y%m%dT%H%M%S}.txt"
        with plan_path.open("w") as out:
            for key, queries in plans.items():
                for sql, plan in queries:
                    out.write(f"=== {key}\n{sql}\n\n{plan}\n\n")
        lines += ["", "## SQL (one variant each, EXPLAIN ANALYZE)", "",
                  "| search | PRIP queries, execution ms | STAC queries, execution ms | same page SQL |",
                  "|---|---|---|---|"]
        for search in searches:
            prip_sql, prip_times = sql_of(plans, f"{search.key} PRIP")
            stac_sql, stac_times = sql_of(plans, f"{search.key} STAC")
            same = bool(prip_sql) and bool(stac_sql) and prip_sql[0] == stac_sql[0]
            lines.append(f"| {search.key} | {len(prip_sql)}: {' + '.join(prip_times)} | {len(stac_sql)}: "
                         f"{' + '.join(stac_times)} | {'yes' if same else 'no (same WHERE, other nesting)'} |")
        lines.append(f"\nFull plans: {plan_path.relative_to(ROOT)}")
    report = "\n".join(lines) + "\n"
    path = DATA / "results" / f"stac-{started_at:%Y%m%dT%H%M%S}.md"
    path.write_text(report)
    print("\n" + report + f"\n(written to {path.relative_to(ROOT)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
