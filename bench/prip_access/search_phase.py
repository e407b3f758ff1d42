"""Phase 4 of bench/prip_access/run.py: what admitting a search costs (authentication, the requests-per-minute
quota, the caller's visibility) over HTTP, and its parts in-process.

Over HTTP (gunicorn as in phase 1): the same search — `Products?$filter=Collection/Name eq 'SENTINEL-1' and
ContentDate/Start ge …&$orderby=ContentDate/Start desc&$top=20` over `--products` products — sent in turn as an
anonymous caller (no token, no quota: the cost of the query itself), with a Bearer token (token check, quota,
rules for everybody) and with a Bearer token of a user whose own visibility rule restricts the query (S1 IW only).
The three callers alternate request by request, so the machine's load weighs on them alike. In-process: the mean of
`request_admit` (the quota check: limits memo + counter increment in the Django cache) and of `visibility_filter`.
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

QUERY = ("/odata/v1/Products?$filter=" + quote("Collection/Name eq 'SENTINEL-1' and ContentDate/Start ge "
                                               "2024-03-01T00:00:00Z", safe="")
         + "&$orderby=" + quote("ContentDate/Start desc", safe="") + "&$top=20")
TYPES = ("IW_GRDH_1S", "IW_SLC__1S", "EW_GRDM_1S")


def search_products(count: int) -> None:
    """`count` published S1 products of three types over six months (registered once, kept in the bench database)."""
    from rs.catalog import services
    from rs.catalog.choices import ProcessingLevel, ProductFamily
    from rs.catalog.models import Product

    have = Product.objects.filter(name__startswith="S1A_BENCH_SEARCH_").count()
    start = datetime(2024, 1, 1, tzinfo=UTC)
    for i in range(have, count):
        moment = start + timedelta(hours=4 * i)
        product_type = TYPES[i % len(TYPES)]
        metadata = services.ProductMetadata(
            mission="S1", platform="A", family=ProductFamily.S1_L1_SLICE, product_type=product_type,
            level=ProcessingLevel.L1, content_start=moment, content_end=moment + timedelta(seconds=25),
            attributes={"productType": product_type})
        services.product_register(name=f"S1A_BENCH_SEARCH_{i:06d}.SAFE", metadata=metadata, content_length=1000,
                                  storage_key=f"products/S1/L1_SLICE/S1A_BENCH_SEARCH_{i:06d}.SAFE.zip",
                                  publish=True)


def restricted_user() -> Any:
    """A user whose own rule lets them see S1 IW products only."""
    from django.contrib.auth import get_user_model

    from rs.access import services
    from rs.access.models import VisibilityRule

    user, _ = get_user_model().objects.get_or_create(username="bench-restricted")
    if not VisibilityRule.objects.filter(user=user).exists():
        services.visibility_rule_save(rule=VisibilityRule(user=user, mission="S1", product_types="IW_.*"))
    return user


def in_process(users: list[Any], rounds: int) -> tuple[float, float]:
    """Mean µs of request_admit and of visibility_filter (caches warm)."""
    from rs.access.choices import AuthMethod
    from rs.access.principals import principal_from_user
    from rs.access.selectors import visibility_filter
    from rs.subscriptions.quotas import request_admit

    principals = [principal_from_user(user, method=AuthMethod.BEARER) for user in users]
    for principal in principals:
        request_admit(principal=principal)
        visibility_filter(principal)
    started = time.perf_counter()
    for i in range(rounds):
        request_admit(principal=principals[i % len(principals)])
    admit = (time.perf_counter() - started) / rounds * 1e6
    started = time.perf_counter()
    for i in range(rounds):
        visibility_filter(principals[i % len(principals)])
    visibility = (time.perf_counter() - started) / rounds * 1e6
    return admit, visibility


def search_phase(products: int, requests: int, report: list[str], *, helpers: Any) -> None:
    search_products(products)
    users, client_row = helpers.bench_users(2)
    restricted = restricted_user()
    port = helpers.free_port()
    server = helpers.gunicorn(port, {})
    callers = {"anonymous": {}, "Bearer": {}, "Bearer, own rule": {}}
    samples: dict[str, list[float]] = {name: [] for name in callers}
    try:
        callers["Bearer"] = {"Authorization": f"Bearer {helpers.token(users[0], client_row, port)}"}
        callers["Bearer, own rule"] = {"Authorization": f"Bearer {helpers.token(restricted, client_row, port)}"}
        connection = helpers.client(port)
        warm_up = 60
        for i in range(warm_up + requests):
            for name, headers in callers.items():
                started = time.perf_counter()
                connection.request("GET", QUERY, headers=headers)
                answer = connection.getresponse()
                body = answer.read()
                elapsed = (time.perf_counter() - started) * 1000
                if answer.status != 200:
                    sys.exit(f"search as {name} answered {answer.status}: {body[:300]!r}")
                if i >= warm_up:
                    samples[name].append(elapsed)
        connection.close()
    finally:
        helpers.stop(server)
    admit_us, visibility_us = in_process([*users, restricted], 5000)
    anonymous_p50 = helpers.percentile(samples["anonymous"], 0.5)
    report += [f"## 4. Search admission ({products} products, through gunicorn)", "",
               f"`GET {QUERY}`, {requests} times per caller after {warm_up} warm-up rounds, the three callers "
               "alternating on one keep-alive connection. Anonymous: the query alone (not counted, rules for "
               "everybody); Bearer: + token check, requests-per-minute quota, visibility; own rule: + the user's "
               "rule ANDed with the filter.", "",
               "| caller | p50 ms | p95 ms | p99 ms | p50 minus anonymous p50 |", "|---|---:|---:|---:|---:|"]
    for name, values in samples.items():
        p50, p95, p99 = (helpers.percentile(values, q) for q in (0.5, 0.95, 0.99))
        report.append(f"| {name} | {p50:.2f} | {p95:.2f} | {p99:.2f} | {p50 - anonymous_p50:+.2f} |")
    report += ["", f"In-process, caches warm (Redis): `request_admit` {admit_us:.0f} µs, `visibility_filter` "
               f"{visibility_us:.0f} µs per call (mean of 5000).", ""]
