"""Phase 3 of bench/prip_access/run.py: subscription matching for N subscriptions per published product.

Each event is handled as the catalog-event consumer handles it (notifications_for_event), in-process, committed; the
matching part (candidates query + evaluation + owners' visibility) and the whole handler (with the writes) are timed
separately, and so is the database-only plan for comparison (one UNION ALL of every compiled filter restricted to
the product, as matching's fallback runs it)."""

from __future__ import annotations

import random
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

PAIRS = [("SENTINEL-1", "S1", t) for t in ("IW_GRDH_1S", "IW_SLC__1S", "EW_GRDM_1S", "IW_RAW__0S", "IW_OCN__2S",
                                           "WV_RAW__0S", "EW_RAW__0S")] + \
        [("SENTINEL-2", "S2", t) for t in ("S2MSI1C", "S2MSI2A", "MSI_L0__GR")] + \
        [("SENTINEL-3", "S3", t) for t in ("OL_1_EFR___", "OL_2_LFR___", "SL_1_RBT___", "SL_2_LST___", "SR_1_SRA___",
                                           "SR_2_LAN___", "OL_1_ERR___", "SL_2_WST___", "OL_2_WFR___", "SR_2_WAT___")]


def type_filter(product_type: str) -> str:
    return ("Attributes/OData.CSC.StringAttribute/any(att:att/Name eq 'productType' and "
            f"att/OData.CSC.StringAttribute/Value eq '{product_type}')")


def extra(rng: random.Random) -> str:
    """What users add to collection and type: dates, an area, an orbit, a direction, a name part, cloud cover."""
    choice = rng.randrange(6)
    if choice == 0:
        return f"ContentDate/Start ge 2024-0{rng.randint(1, 6)}-01T00:00:00Z"
    if choice == 1:
        lon, lat = rng.uniform(-170, 160), rng.uniform(-70, 60)
        return (f"OData.CSC.Intersects(area=geography'SRID=4326;POLYGON(({lon:.4f} {lat:.4f},{lon + 10:.4f} "
                f"{lat:.4f},{lon + 10:.4f} {lat + 10:.4f},{lon:.4f} {lat + 10:.4f},{lon:.4f} {lat:.4f}))')")
    if choice == 2:
        return ("Attributes/OData.CSC.IntegerAttribute/any(att:att/Name eq 'relativeOrbitNumber' and "
                f"att/OData.CSC.IntegerAttribute/Value eq {rng.randint(1, 175)})")
    if choice == 3:
        return ("Attributes/OData.CSC.StringAttribute/any(att:att/Name eq 'orbitDirection' and "
                f"att/OData.CSC.StringAttribute/Value eq '{rng.choice(['ASCENDING', 'DESCENDING'])}')")
    if choice == 4:
        return "contains(Name,'_1SDV_')"
    return ("Attributes/OData.CSC.DoubleAttribute/any(att:att/Name eq 'cloudCover' and "
            f"att/OData.CSC.DoubleAttribute/Value le {rng.randint(10, 90)})")


def population(count: int, *, same_type: bool, seed: int) -> list[str]:
    rng = random.Random(seed)
    filters = []
    for _ in range(count):
        collection, _, product_type = PAIRS[0] if same_type else rng.choice(PAIRS)
        filters.append(f"Collection/Name eq '{collection}' and {type_filter(product_type)} and {extra(rng)}")
    return filters


def subscribers(count: int) -> list[int]:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password

    model = get_user_model()
    names = [f"bench-sub-{i:05d}" for i in range(count)]
    existing = set(model.objects.filter(username__in=names).values_list("username", flat=True))
    model.objects.bulk_create([model(username=n, password=make_password(None)) for n in names if n not in existing])
    return list(model.objects.filter(username__in=names).order_by("username").values_list("pk", flat=True))


def subscriptions_replace(owners: list[int], filters: list[str]) -> float:
    from rs.subscriptions import services
    from rs.subscriptions.bodies import SubscriptionRequest
    from rs.subscriptions.models import Subscription

    Subscription.objects.filter(owner_id__in=owners).delete()
    started = time.perf_counter()
    for owner, text in zip(owners, filters, strict=True):
        services.subscription_create(owner_id=owner, request=SubscriptionRequest(filter_param=text),
                                     service_root="http://bench/odata/v1")
    return (time.perf_counter() - started) / len(owners) * 1000


def publish(index: int, rng: random.Random) -> Any:
    from django.contrib.gis.geos import Polygon

    from rs.catalog import services
    from rs.catalog.choices import ProcessingLevel, ProductFamily

    start = datetime(2024, 6, 1, tzinfo=UTC) + timedelta(minutes=index)
    lon, lat = rng.uniform(-170, 160), rng.uniform(-60, 60)
    footprint = Polygon.from_bbox((lon, lat, lon + 2.5, lat + 2))
    footprint.srid = 4326
    name = f"S1A_IW_GRDH_1SDV_{start:%Y%m%dT%H%M%S}_BENCH_{uuid.uuid4().hex[:12].upper()}.SAFE"  # new each run
    metadata = services.ProductMetadata(
        mission="S1", platform="A", family=ProductFamily.S1_L1_SLICE, product_type="IW_GRDH_1S",
        level=ProcessingLevel.L1, content_start=start, content_end=start + timedelta(seconds=25), footprint=footprint,
        attributes={"productType": "IW_GRDH_1S", "relativeOrbitNumber": rng.randint(1, 175),
                    "orbitDirection": rng.choice(["ASCENDING", "DESCENDING"]), "cloudCover": 0.0})
    product = services.product_register(name=name, metadata=metadata, content_length=1000, publish=True,
                                        storage_key=f"products/S1/L1_SLICE/{name}.zip")
    from rs.catalog.models import CatalogEvent

    return CatalogEvent.objects.get(product_id=product.id, kind="published")


def handle(events: list[Any]) -> tuple[list[float], list[float], list[int], list[int]]:
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from rs.catalog.query.names import name_convention
    from rs.catalog.query.properties import Entity
    from rs.catalog.query.selectors import catalog_entry
    from rs.subscriptions.delivery import notifications_for_event
    from rs.subscriptions.evaluation import product_facts
    from rs.subscriptions.matching import candidates, matching

    matching_ms, total_ms, queries, notified = [], [], [], []
    for event in events:
        entry = catalog_entry(entity=Entity.PRODUCTS, entry_id=event.product_id, with_attributes=True)
        started = time.perf_counter()
        facts = product_facts(entry, mission="S1", convention=name_convention())
        found = candidates(event="created", mission="S1", product_type=facts.product_type)
        matched = matching(found=found, facts=facts, product_id=entry.id, deleted=False, mission="S1",
                           product_type="IW_GRDH_1S")
        matching_ms.append((time.perf_counter() - started) * 1000)
        with CaptureQueriesContext(connection) as captured, transaction.atomic():
            started = time.perf_counter()
            count = notifications_for_event(event=event)
            total_ms.append((time.perf_counter() - started) * 1000)
        queries.append(len(captured))
        notified.append(count)
        assert count == len(matched)
    return matching_ms, total_ms, queries, notified


def database_only(event: Any) -> tuple[float, int]:
    """The plan without Python evaluation: every candidate's compiled filter in one UNION ALL (in chunks)."""
    from rs.catalog.query.filter_parser import parse_filter
    from rs.catalog.query.properties import Entity
    from rs.subscriptions.matching import _database_matches, candidates

    found = candidates(event="created", mission="S1", product_type="IW_GRDH_1S")
    pairs = [(c, parse_filter(c.filter_param, entity=Entity.PRODUCTS)) for c in found]
    started = time.perf_counter()
    decided = _database_matches([(c, t) for c, t in pairs if t is not None], product_id=event.product_id,
                                deleted=False)
    return (time.perf_counter() - started) * 1000, len(decided)


def matching_phase(count: int, events: int, report: list[str]) -> None:
    owners = subscribers(count)
    rng = random.Random(7)
    report += [f"## 3. Subscription matching ({count} running subscriptions, one per user)", "",
               "Per published product, in-process on PostgreSQL: *matching* = candidates query + Python evaluation "
               "+ owners' visibility (target ≤ 50 ms); *handler* = the whole consumer (matching + payload + one row "
               "per notification + queue counters). The first event of a population parses every filter (cold).",
               "", "| population | create ms/subscription | candidates | matched/product (mean) | matching p50 ms | "
               "matching p95 ms | first (cold) ms | handler p50 ms | handler p95 ms | queries/event | "
               "database-only plan ms | meets target |", "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for label, same in (("all on the product's collection and type", True), ("mix of 20 collection/type pairs",
                                                                              False)):
        create_ms = subscriptions_replace(owners, population(count, same_type=same, seed=11 if same else 12))
        published = [publish(i + (0 if same else 10_000), rng) for i in range(events)]
        from rs.subscriptions.matching import _trees

        _trees._trees.clear()  # cold: the first event parses every candidate's filter
        matching_ms, total_ms, queries, notified = handle(published)
        warm = matching_ms[1:]
        from rs.subscriptions.matching import candidates

        found = len(candidates(event="created", mission="S1", product_type="IW_GRDH_1S"))
        db_ms, _ = database_only(published[-1])
        p95 = statistics.quantiles(warm, n=20)[-1]
        report.append(
            f"| {label} | {create_ms:.1f} | {found} | {statistics.fmean(notified):.0f} | "
            f"{statistics.median(warm):.1f} | {p95:.1f} | {matching_ms[0]:.1f} | {statistics.median(total_ms[1:]):.1f} "
            f"| {statistics.quantiles(total_ms[1:], n=20)[-1]:.1f} | {max(queries)} | {db_ms:.1f} | "
            f"{'yes' if p95 <= 50 else 'NO'} |")
    report.append("")
