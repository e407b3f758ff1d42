"""Every selection policy on every edge case of issue #7 (ties, empty window, negative T1, overlapping duplicates):
the SQL answer equals the specification's, the pseudo-code of ipf-interface.md §3.3 written out below, run on the
same catalogue rows. The expected names of a few cells are also written out, so the oracle itself is pinned."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from rs.catalog.models import Product
from rs.production.selection import FAR_FUTURE, SelectionContext, select
from rs.production.tests.builders import at, aux

pytestmark = pytest.mark.django_db

POLICIES = ["ValCover", "LatestValCover", "ValIntersect", "LatestValIntersect", "LatestValidityClosest",
            "BestCentredCover", "LatestValCoverClosest", "LargestOverlap", "LargestOverlap85", "LatestValidity",
            "LatestStartValidity", "LatestStopValidity", "ValIntersectWithoutDuplicates", "LastCreated",
            "ClosestStartValidity", "ClosestStopValidity", "LatestValCoverNewestValidity", "FullCoverage"]
S1A = SelectionContext(mission="S1", platform="A")


@dataclass(frozen=True)
class Candidate:
    name: str
    start: datetime
    stop: datetime
    generated: datetime
    inserted: datetime


def newest(c: Candidate) -> tuple[datetime, datetime, str]:
    return (c.generated, c.inserted, c.name)


def covers(c: Candidate, a: datetime, b: datetime) -> bool:
    return c.start <= a and c.stop >= b


def intersects(c: Candidate, a: datetime, b: datetime) -> bool:
    return (c.start < b and c.stop > a) or (a == b and c.start <= a <= c.stop)


def specification(mode: str, cands: list[Candidate], a: datetime, b: datetime) -> list[Candidate]:
    """ipf-interface.md §3.3, as written."""
    cover = [c for c in cands if covers(c, a, b)]
    inter = [c for c in cands if intersects(c, a, b)]
    centre = a + (b - a) / 2

    def one(pool: list[Candidate], key: Callable[[Candidate], object]) -> list[Candidate]:
        return [max(pool, key=key)] if pool else []  # type: ignore[arg-type, type-var]

    def overlap(c: Candidate) -> timedelta:
        return min(c.stop, b) - max(c.start, a)

    def by_start(pool: list[Candidate]) -> list[Candidate]:  # start, then newest first (as the SQL orders)
        return sorted(sorted(pool, key=newest, reverse=True), key=lambda c: c.start)

    match mode:
        case "ValCover":
            return by_start(cover)
        case "LatestValCover":
            return one(cover, newest)
        case "ValIntersect":
            return by_start(inter)
        case "LatestValIntersect":
            return one(inter, newest)
        case "LatestValidityClosest":
            return one(cands, lambda c: (-abs(c.start - centre), newest(c)))
        case "BestCentredCover":
            return one(cover, lambda c: (min(a - c.start, c.stop - b), newest(c)))
        case "LatestValCoverClosest":
            return one(cover, lambda c: (c.start, newest(c)))
        case "LargestOverlap":
            return one(inter, lambda c: (overlap(c), -abs(c.start - a), newest(c)))
        case "LargestOverlap85":
            best = specification("LargestOverlap", cands, a, b)
            return best if best and (b == a or overlap(best[0]) >= 0.85 * (b - a)) else []
        case "LatestValidity" | "LatestStartValidity":
            return one(cands, lambda c: (c.start, newest(c)))
        case "LatestStopValidity":
            return one(cands, lambda c: (c.stop, newest(c)))
        case "LatestValCoverNewestValidity":
            return specification("LatestValCover", cands, a, b) or specification("LatestValidity", cands, a, b)
        case "ClosestStartValidity":
            return one(cands, lambda c: (-abs(c.start - a), newest(c)))
        case "ClosestStopValidity":
            return one(cands, lambda c: (-abs(c.stop - b), newest(c)))
        case "ValIntersectWithoutDuplicates":
            best: dict[tuple[datetime, datetime], Candidate] = {}
            for c in inter:
                key = (c.start, c.stop)
                if key not in best or newest(c) > newest(best[key]):
                    best[key] = c
            return by_start(list(best.values()))
        case "LastCreated":
            return one(cands, newest)
        case "FullCoverage":
            reach = a
            for c in by_start(inter):
                if c.start > reach:
                    break
                reach = max(reach, c.stop)
            return by_start(inter) if reach >= b else []
    raise ValueError(mode)


def ties() -> None:
    """Identical validities and generations (insertion then name decide), equal distances on both sides of every
    target (window [0, 100], centre 50), equal overlaps and margins."""
    g = at(-500)
    aux("AUX_X", name="tie-b", start=at(-20), stop=at(120), generated=g)
    aux("AUX_X", name="tie-a", start=at(-20), stop=at(120), generated=g)  # same everything, inserted later
    aux("AUX_X", name="left", start=at(40), stop=at(90), generated=at(-600))  # start 10 s before the centre
    aux("AUX_X", name="right", start=at(60), stop=at(110), generated=at(-700))  # 10 s after it
    aux("AUX_X", name="early", start=at(-10), stop=at(45), generated=at(-800))  # start 10 s before a
    aux("AUX_X", name="after-a", start=at(10), stop=at(50), generated=at(-850))  # start 10 s after a
    aux("AUX_X", name="late", start=at(70), stop=at(155), generated=at(-900))
    aux("AUX_X", name="sym-1", start=at(-20), stop=at(120), generated=at(-1000))  # centred like the tie pair


def empty_window() -> None:
    """Nothing meets [0, 100]: files end before it or start after it (strictly, and exactly at its edges)."""
    aux("AUX_X", name="before", start=at(-300), stop=at(-100), generated=at(-50))
    aux("AUX_X", name="ends-at-a", start=at(-100), stop=at(0), generated=at(-40))
    aux("AUX_X", name="starts-at-b", start=at(100), stop=at(300), generated=at(-30))
    aux("AUX_X", name="after", start=at(500), stop=None, generated=at(-20))


def overlapping_duplicates() -> None:
    """Pairs of identical validity (different generations), overlapping each other and the window."""
    aux("AUX_X", name="d1-old", start=at(-30), stop=at(40), generated=at(-300))
    aux("AUX_X", name="d1-new", start=at(-30), stop=at(40), generated=at(-200))
    aux("AUX_X", name="d2-old", start=at(30), stop=at(130), generated=at(-250))
    aux("AUX_X", name="d2-new", start=at(30), stop=at(130), generated=at(-150))
    aux("AUX_X", name="d3-open", start=at(20), stop=None, generated=at(-400))
    aux("AUX_X", name="d3-open-new", start=at(20), stop=None, generated=at(-100))


SCENARIOS = {  # name: (catalogue, T0, T1)
    "ties": (ties, 0.0, 0.0),
    "empty window": (empty_window, 0.0, 0.0),
    "negative T1": (overlapping_duplicates, 0.0, -75.0),  # window [0, 25]
    "overlapping duplicates": (overlapping_duplicates, 0.0, 0.0),
    "negative T0 and T1": (ties, -5.0, -5.0),  # window [5, 95]
}


def candidates() -> list[Candidate]:
    return [Candidate(p.name, p.validity_start, p.validity_stop or FAR_FUTURE,
                      p.generation_date or datetime.min.replace(tzinfo=UTC), p.created_at)
            for p in Product.objects.filter(product_type="AUX_X")]


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_every_policy_answers_as_the_specification_on_each_edge_case(scenario):
    build, t0, t1 = SCENARIOS[scenario]
    build()
    a, b = at(0) - timedelta(seconds=t0), at(100) + timedelta(seconds=t1)
    cands = candidates()
    for policy in POLICIES:
        result = select(policy=policy, file_type="AUX_X", start=at(0), stop=at(100), t0=t0, t1=t1, context=S1A)
        expected = [c.name for c in specification(policy, cands, a, b)]
        assert [p.name for p in result.products] == expected, (scenario, policy, result.note)


@pytest.mark.parametrize(("scenario", "policy", "expected"), [
    ("ties", "LatestValCover", ["tie-a"]),  # same generation: the later insertion
    ("ties", "ValCover", ["tie-a", "tie-b", "sym-1"]),
    ("ties", "LatestValidityClosest", ["left"]),  # 10 s each side of the centre: the newer generation
    ("ties", "ClosestStopValidity", ["left"]),  # stops 10 s each side of b: the newer generation
    ("ties", "ClosestStartValidity", ["early"]),  # starts 10 s each side of a: the newer generation
    ("ties", "BestCentredCover", ["tie-a"]),  # three files 20 s off each end: the newest
    ("empty window", "ValIntersect", []),  # touching the window at a single instant is not intersecting
    ("empty window", "LatestValCover", []),
    ("empty window", "LatestValidity", ["after"]),  # no interval test
    ("empty window", "LatestValCoverNewestValidity", ["after"]),
    ("negative T1", "ValCover", ["d1-new", "d1-old"]),  # [0, 25] is covered by the first pair only
    ("negative T1", "FullCoverage", ["d1-new", "d1-old", "d3-open-new", "d3-open"]),
    ("overlapping duplicates", "ValIntersectWithoutDuplicates", ["d1-new", "d3-open-new", "d2-new"]),
    ("overlapping duplicates", "LargestOverlap", ["d3-open-new"]),  # 80 s (d2: 70 s, d1: 40 s); newer of the pair
    ("overlapping duplicates", "LatestStopValidity", ["d3-open-new"]),  # an open stop is the latest
])
def test_pinned_cells_of_the_matrix(scenario, policy, expected):
    build, t0, t1 = SCENARIOS[scenario]
    build()
    result = select(policy=policy, file_type="AUX_X", start=at(0), stop=at(100), t0=t0, t1=t1, context=S1A)
    assert [p.name for p in result.products] == expected
