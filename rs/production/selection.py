"""Selection policies (Task Table Retrieval_Mode) as index-backed queries on the catalogue.

Definitions follow the ESA Generic IPF ICD as written in ipf-interface.md §3.2/§3.3 (where COPRS or prosEO differ,
§3.4, the ESA reading wins). Each policy is one or a few SQL queries on `catalog.selectors.products_for_selection`
that use the (product_type, validity_start, validity_stop) index for aux files and (product_type, content_start)
for level products; single-result policies end in ORDER BY … LIMIT 1, list policies are bounded by the window.
The SQL run is returned with the result, so an operator sees exactly what was asked ("why is this job waiting").
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import connections
from django.db.models import DateTimeField, DurationField, ExpressionWrapper, F, Q, QuerySet, Value, Window
from django.db.models.expressions import OrderBy
from django.db.models.functions import Coalesce, Greatest, Least, RowNumber

from rs.catalog import selectors as catalog_selectors
from rs.catalog.models import Product

# Open validity stop (S1 SAFE aux without stop, S3 "9999" stops): valid until further notice.
FAR_FUTURE = datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
# No level product spans more than a day of sensing (S3 dumps ≈ 100 min, S1 datatakes ≤ 25 min): the lower bound
# turns "start < b" into a bounded index range on (product_type, content_start) instead of the whole history.
MAX_SENSING_SPAN = timedelta(days=1)

# Task Table File_Type → catalogue product types (ipf-interface.md §3.6). The JobOrder keeps the table's type.
TYPE_ALIASES: dict[str, tuple[str, ...]] = {
    "AUX_POE": ("AUX_POEORB",),
    "AUX_RES": ("AUX_RESORB",),
    "AUX_PRE": ("AUX_PREORB",),
    "AUX_ATT": ("AUX_RESATT",),
    "AUX_ECE": ("AMH_ERRMAT", "AMV_ERRMAT", "AM__ERRMAT"),
    **{f"SM_RAW__0{k}": tuple(f"S{n}_RAW__0{k}" for n in range(1, 7)) for k in "SACN"},
    "AN_RAW__0S": tuple(f"N{n}_RAW__0S" for n in range(1, 7)),
    "ZS_RAW__0S": tuple(f"Z{n}_RAW__0S" for n in range(1, 7)),
}
ECE_BY_POLARISATION = {"V": ("AMV_ERRMAT",), "H": ("AMH_ERRMAT",)}
# Aux types selected with the instrument configuration of the L0 input (ipf-interface.md §3.1).
ICID_TYPES = frozenset({"AUX_PP1", "AUX_PP2", "AUX_CAL", "AUX_INS"})
# Types whose candidates are compared on their validity (aux files); every other type on its sensing time.
_VALIDITY_TYPE = re.compile(r"^(AUX_|MPL_|GIP_|DEM_|AMH_|AMV_|AM__|AX_)|AX$")


def uses_validity(product_type: str) -> bool:
    return bool(_VALIDITY_TYPE.search(product_type))


def catalog_types(file_type: str, *, polarisation: str = "") -> tuple[str, ...]:
    if file_type == "AUX_ECE" and polarisation in ECE_BY_POLARISATION:
        return ECE_BY_POLARISATION[polarisation]
    return TYPE_ALIASES.get(file_type, (file_type,))


def selection_window(start: datetime, stop: datetime, t0: float, t1: float) -> tuple[datetime, datetime]:
    """[t0 - T0, t1 + T1] at full precision; negative margins shrink the window."""
    return start - timedelta(seconds=t0), stop + timedelta(seconds=t1)


@dataclass(frozen=True)
class SelectionContext:
    """What narrows the candidates besides the type: satellite, ICID, acquisition mode, polarisation."""

    mission: str
    platform: str
    instrument_configuration_id: int | None = None
    acquisition_mode: str = ""
    polarisation: str = ""


@dataclass(frozen=True)
class Selected:
    product_id: uuid.UUID
    name: str
    start: datetime
    stop: datetime | None  # None: open validity


@dataclass(frozen=True)
class SelectionResult:
    policy: str
    file_type: str
    catalog_types: tuple[str, ...]
    window: tuple[datetime, datetime]
    products: tuple[Selected, ...]
    queries: tuple[str, ...]
    note: str = ""
    unbounded: bool = field(default=False)  # the policy has no interval test: any product of the type matters

    @property
    def found(self) -> bool:
        return bool(self.products)


class UnknownPolicy(ValueError):
    pass


UNBOUNDED_POLICIES = frozenset({
    "LatestValidityClosest", "LatestValidity", "LatestStartValidity", "LatestStopValidity", "ClosestStartValidity",
    "ClosestStopValidity", "LastCreated", "LatestValCoverNewestValidity",
})


class _Query:
    """The candidates of one alternative and the SQL it ran."""

    def __init__(self, file_type: str, context: SelectionContext, a: datetime, b: datetime) -> None:
        self.types = catalog_types(file_type, polarisation=context.polarisation)
        self.validity = uses_validity(self.types[0])
        self.start, self.stop = ("validity_start", "validity_stop") if self.validity else ("content_start",
                                                                                          "content_end")
        self.a, self.b = a, b
        qs = catalog_selectors.products_for_selection().filter(
            product_type__in=self.types, platform__in=sorted({context.platform, "_"}))
        if file_type in ICID_TYPES and context.instrument_configuration_id is not None:
            qs = qs.filter(instrument_configuration_id=context.instrument_configuration_id)
        if context.mission == "S1" and not self.validity and context.acquisition_mode:
            qs = qs.filter(mode=context.acquisition_mode)
        self.base = qs.filter(**{f"{self.start}__isnull": False})
        self.sql = _StatementRecorder()

    # --- predicates ---------------------------------------------------------------------------------------------

    def _bounded(self, qs: QuerySet[Product]) -> QuerySet[Product]:
        if self.validity:
            return qs
        return qs.filter(**{f"{self.start}__gte": self.a - MAX_SENSING_SPAN})

    def _parts(self, start_q: Q, stop_lookup: str, moment: datetime) -> list[QuerySet[Product]]:
        """`start_q` and a stop at or after `moment`, an open (NULL) stop included.

        Aux files: two UNION ALL branches, `stop >= moment` and `stop IS NULL`, each an index condition on
        (product_type, validity_start, validity_stop); written as one OR, PostgreSQL would fetch every older file of
        the type from the table to test it. Level products: one query, bounded to a day of sensing starts."""
        at_least = Q(**{f"{self.stop}__{stop_lookup}": moment})
        is_open = Q(**{f"{self.stop}__isnull": True})
        if self.validity:
            return [self.base.filter(start_q & at_least), self.base.filter(start_q & is_open)]
        return [self._bounded(self.base.filter(start_q & (at_least | is_open)))]

    def cover(self) -> list[QuerySet[Product]]:
        return self._parts(Q(**{f"{self.start}__lte": self.a}), "gte", self.b)

    def intersect(self) -> list[QuerySet[Product]]:
        if self.a == self.b:  # a point job: the file contains the point
            return self._parts(Q(**{f"{self.start}__lte": self.a}), "gte", self.a)
        return self._parts(Q(**{f"{self.start}__lt": self.b}), "gt", self.a)

    def combined(self, parts: Sequence[QuerySet[Any]], *order: Any, **annotations: Any) -> QuerySet[Product]:
        fields = ("id", "name", "generation_date", "created_at", self.start, self.stop)
        prepared = [(p.annotate(**annotations) if annotations else p).only(*fields) for p in parts]
        qs = prepared[0].union(*prepared[1:], all=True) if len(prepared) > 1 else prepared[0]
        return qs.order_by(*order)

    # --- ordering -----------------------------------------------------------------------------------------------

    @staticmethod
    def newest() -> list[OrderBy]:
        """Latest = most recent generation, then catalogue insertion, then name (deterministic)."""
        return [F("generation_date").desc(nulls_last=True), F("created_at").desc(), F("name").desc()]

    def stop_or_far(self) -> Coalesce:
        return Coalesce(F(self.stop), Value(FAR_FUTURE, output_field=DateTimeField()))

    # --- running ------------------------------------------------------------------------------------------------

    def rows(self, qs: QuerySet[Product], limit: int | None = None) -> list[Selected]:
        if limit is not None:
            qs = qs[:limit]
        with connections[qs.db].execute_wrapper(self.sql):
            found = list(qs)
        return [Selected(product_id=p.id, name=p.name, start=getattr(p, self.start), stop=getattr(p, self.stop))
                for p in found]

    def one(self, qs: QuerySet[Product]) -> list[Selected]:
        return self.rows(qs, limit=1)

    def closest(self, column: str, target: datetime) -> list[Selected]:
        """The product whose `column` is nearest to `target` (absolute, microseconds); ties → latest.

        Two index probes, one on each side of the target; an exact tie between the sides goes to the newest."""
        is_stop = column == self.stop
        below_q = Q(**{f"{column}__lte": target})
        above_q = Q(**{f"{column}__gte": target}) | (Q(**{f"{column}__isnull": True}) if is_stop else Q())
        below = self._full(self.base.filter(below_q).order_by(F(column).desc(), *self.newest()))
        above = self._full(self.base.filter(above_q).order_by(F(column).asc(nulls_last=True), *self.newest()))
        if not below or not above:
            return [s.selected for s in below + above]
        low, high = below[0], above[0]

        def distance(value: datetime | None) -> timedelta:
            return abs((value or FAR_FUTURE) - target)

        d_low, d_high = distance(getattr(low.product, column)), distance(getattr(high.product, column))
        if d_low != d_high:
            return [(low if d_low < d_high else high).selected]
        return [max(low, high, key=lambda s: s.newest_key).selected]

    def _full(self, qs: QuerySet[Product]) -> list[_Row]:
        qs = qs.only("id", "name", "generation_date", "created_at", self.start, self.stop)[:1]
        with connections[qs.db].execute_wrapper(self.sql):
            found = list(qs)
        return [_Row(p, self.start, self.stop) for p in found]


class _StatementRecorder(list[str]):
    """Keeps the SQL each selection ran, as executed (compiled once: no second compilation to show it)."""

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        self.append(sql % tuple(params) if params else sql)
        return execute(sql, params, many, context)


class _Row:
    def __init__(self, product: Product, start: str, stop: str) -> None:
        self.product = product
        self.selected = Selected(product_id=product.id, name=product.name, start=getattr(product, start),
                                 stop=getattr(product, stop))
        self.newest_key = (product.generation_date or datetime.min.replace(tzinfo=UTC), product.created_at,
                           product.name)


def _duration(expression: object) -> ExpressionWrapper:
    return ExpressionWrapper(expression, output_field=DurationField())


def select(
    *, policy: str, file_type: str, start: datetime, stop: datetime, t0: float, t1: float,
    context: SelectionContext, min_results: int | None = None,
) -> SelectionResult:
    """Run one alternative's policy for a job interval [start, stop] with margins T0/T1."""
    a, b = selection_window(start, stop, t0, t1)
    query = _Query(file_type, context, a, b)
    products, note = _run(policy, query)
    if products and min_results and len(products) < min_results:
        note = f"{len(products)} found, the table asks for at least {min_results}"
        products = []
    return SelectionResult(policy=policy, file_type=file_type, catalog_types=query.types, window=(a, b),
                           products=tuple(products), queries=tuple(query.sql), note=note,
                           unbounded=policy in UNBOUNDED_POLICIES)


def _run(policy: str, q: _Query) -> tuple[list[Selected], str]:
    a, b = q.a, q.b
    start = F(q.start)
    newest = q.newest()
    if policy == "ValCover":
        return q.rows(q.combined(q.cover(), start.asc(), *newest)), ""
    if policy == "LatestValCover":
        return q.one(q.combined(q.cover(), *newest)), ""
    if policy == "ValIntersect":
        return q.rows(q.combined(q.intersect(), start.asc(), *newest)), ""
    if policy == "LatestValIntersect":
        return q.one(q.combined(q.intersect(), *newest)), ""
    if policy == "LatestValidityClosest":
        return q.closest(q.start, a + (b - a) / 2), ""
    if policy == "BestCentredCover":
        margin = Least(_duration(Value(a, output_field=DateTimeField()) - start),
                       _duration(q.stop_or_far() - Value(b, output_field=DateTimeField())))
        return q.one(q.combined(q.cover(), F("margin").desc(), *newest, margin=margin)), ""
    if policy == "LatestValCoverClosest":
        return q.one(q.combined(q.cover(), start.desc(), *newest)), ""
    if policy in ("LargestOverlap", "LargestOverlap85"):
        return _largest_overlap(q, threshold=0.85 if policy == "LargestOverlap85" else None)
    if policy in ("LatestValidity", "LatestStartValidity"):
        return q.one(q.combined([q.base], start.desc(), *newest)), ""
    if policy == "LatestStopValidity":
        return q.one(q.combined([q.base], F(q.stop).desc(nulls_first=True), *newest)), ""
    if policy == "LatestValCoverNewestValidity":
        found = q.one(q.combined(q.cover(), *newest))
        if found:
            return found, ""
        return q.one(q.combined([q.base], start.desc(), *newest)), "no file covers the window: latest validity"
    if policy == "ClosestStartValidity":
        return q.closest(q.start, a), ""
    if policy == "ClosestStopValidity":
        return q.closest(q.stop, b), ""
    if policy == "ValIntersectWithoutDuplicates":
        # duplicates share (start, stop), so they fall in the same branch: rank each branch on its own
        window = Window(RowNumber(), partition_by=[F(q.start), F(q.stop)], order_by=newest)
        ranked = [part.annotate(rank=window).filter(rank=1) for part in q.intersect()]
        return q.rows(q.combined(ranked, start.asc(), *newest)), ""
    if policy == "LastCreated":
        return q.one(q.combined([q.base], *newest)), ""
    if policy == "FullCoverage":
        rows = q.rows(q.combined(q.intersect(), start.asc(), *newest))
        reach = a
        for row in rows:  # the union of the (bounded) intersecting set must have no gap
            if row.start > reach:
                return [], f"gap from {reach.isoformat()} to {row.start.isoformat()}"
            reach = max(reach, row.stop or FAR_FUTURE)
        return (rows, "") if reach >= b else ([], f"nothing covers {reach.isoformat()} to {b.isoformat()}")
    raise UnknownPolicy(f"unknown selection policy {policy!r}")


def _largest_overlap(q: _Query, *, threshold: float | None) -> tuple[list[Selected], str]:
    a, b = q.a, q.b
    va, vb = Value(a, output_field=DateTimeField()), Value(b, output_field=DateTimeField())
    overlap = _duration(Least(q.stop_or_far(), vb) - Greatest(F(q.start), va))
    offset = Greatest(_duration(F(q.start) - va), _duration(va - F(q.start)))
    best = q.one(q.combined(q.intersect(), F("overlap").desc(), F("offset").asc(), *q.newest(), overlap=overlap,
                            offset=offset))
    if not best or threshold is None or a == b:
        return best, ""
    chosen = best[0]
    covered = min(chosen.stop or FAR_FUTURE, b) - max(chosen.start, a)
    if covered >= threshold * (b - a):
        return best, ""
    return [], f"largest overlap {covered / (b - a):.1%} of the window is below {threshold:.0%}"
