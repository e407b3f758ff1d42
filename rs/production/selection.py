"""Selection policies (Task Table Retrieval_Mode) as index-backed queries on the catalogue.

Definitions follow the ESA Generic IPF ICD as written in ipf-interface.md §3.2/§3.3 (where COPRS or prosEO differ,
§3.4, the ESA reading wins). Each policy is one or a few SQL queries on `catalog.selectors.products_for_selection`
that use the (product_type, validity_start, validity_stop) index for aux files and (product_type, content_start)
for level products; single-result policies end in ORDER BY … LIMIT 1, list policies are bounded by the window.
A policy is planned (`SelectionPlan`: its queries, all up front) and answered from the rows; `plans_run` sends
the queries of many plans in one UNION ALL round trip. Each plan's SQL is returned with its result (values as
literals), so an operator sees exactly what was asked ("why is this job waiting").
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING, Any

from django.db import connections
from django.db.models import DateTimeField, DurationField, ExpressionWrapper, F, Q, QuerySet, Value, Window
from django.db.models.expressions import OrderBy
from django.db.models.functions import Coalesce, Greatest, Least, RowNumber
from django.utils.dateparse import parse_datetime

from rs.catalog import selectors as catalog_selectors

if TYPE_CHECKING:
    from rs.catalog.selectors import Product

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
# S2 GIPs delivered one file per band (COPRS processing-sentinel-2 AuxProductType "band dependent"): a Task Table
# input of one of these types gets one selection per band, all thirteen files in band order (ipf-interface.md §3.1;
# samples/joborders/s2/JobOrder_QL_GEO_01.xml lists 13 GIP_VIEDIR files).
BAND_DEPENDENT_TYPES = frozenset({
    "GIP_R2DECT", "GIP_R2DEFI", "GIP_R2DENT", "GIP_R2EOB2", "GIP_R2EQOG", "GIP_R2L2NC", "GIP_R2MACO", "GIP_R2WAFI",
    "GIP_VIEDIR",
})
S2_BANDS = ("01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12", "8A")
ECE_BY_POLARISATION = {"V": ("AMV_ERRMAT",), "H": ("AMH_ERRMAT",)}
# Aux types selected with the instrument configuration of the L0 input (ipf-interface.md §3.1).
ICID_TYPES = frozenset({"AUX_PP1", "AUX_PP2", "AUX_CAL", "AUX_INS"})
# Types whose candidates are compared on their validity (aux files); every other type on its sensing time.
_VALIDITY_TYPE = re.compile(r"^(AUX_|MPL_|GIP_|DEM_|AMH_|AMV_|AM__|AX_)|AX$")


def uses_validity(product_type: str) -> bool:
    return bool(_VALIDITY_TYPE.search(product_type))


def bands_of(file_type: str, *, mission: str) -> tuple[str, ...]:
    """The bands an input of this type is selected for one by one; () = one selection for the whole type."""
    return S2_BANDS if mission == "S2" and file_type in BAND_DEPENDENT_TYPES else ()


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
    band: str = ""  # the band of a band-dependent GIP selection ("01" … "12", "8A")

    @property
    def found(self) -> bool:
        return bool(self.products)


class UnknownPolicy(ValueError):
    pass


UNBOUNDED_POLICIES = frozenset({
    "LatestValidityClosest", "LatestValidity", "LatestStartValidity", "LatestStopValidity", "ClosestStartValidity",
    "ClosestStopValidity", "LastCreated", "LatestValCoverNewestValidity",
})


@lru_cache(maxsize=4)
def _columns(start: str, stop: str) -> tuple[str, ...]:
    """The selected columns in the order the compiler writes them (model field order)."""
    return catalog_selectors.product_columns_in_model_order(
        names=("id", "name", "generation_date", "created_at", start, stop))


class _Query:
    """The candidates of one alternative (one band of it, for band-dependent GIPs) and the queries over them."""

    def __init__(self, file_type: str, context: SelectionContext, a: datetime, b: datetime, *,
                 band: str = "") -> None:
        self.types = catalog_types(file_type, polarisation=context.polarisation)
        self.validity = uses_validity(self.types[0])
        self.start, self.stop = ("validity_start", "validity_stop") if self.validity else ("content_start",
                                                                                          "content_end")
        self.a, self.b = a, b
        self.file_type, self.context, self.band = file_type, context, band
        self.columns = _columns(self.start, self.stop)

    @cached_property
    def base(self) -> QuerySet[Product]:
        """The candidates: type, unit, ICID, mode, band; built only when a query must be compiled."""
        context, band = self.context, self.band
        qs = catalog_selectors.products_for_selection().filter(
            product_type__in=self.types, platform__in=sorted({context.platform, "_"}))
        if self.file_type in ICID_TYPES and context.instrument_configuration_id is not None:
            qs = qs.filter(instrument_configuration_id=context.instrument_configuration_id)
        if context.mission == "S1" and not self.validity and context.acquisition_mode:
            qs = qs.filter(mode=context.acquisition_mode)
        if band:  # S2 PDI names end in _B<band> (naming-and-metadata.md §3); a file extension may follow
            qs = qs.filter(Q(name__endswith=f"_B{band}") | Q(name__contains=f"_B{band}."))
        return qs.filter(**{f"{self.start}__isnull": False})

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

    def first(self, qs: QuerySet[Product]) -> QuerySet[Product]:
        return qs[:1]

    def probes(self, column: str, target: datetime) -> list[QuerySet[Product]]:
        """The two index probes of a "closest" policy: the nearest `column` at or below `target`, and at or above
        (an open stop counts as the far future)."""
        is_stop = column == self.stop
        below_q = Q(**{f"{column}__lte": target})
        above_q = Q(**{f"{column}__gte": target}) | (Q(**{f"{column}__isnull": True}) if is_stop else Q())
        fields = ("id", "name", "generation_date", "created_at", self.start, self.stop)
        below = self.base.filter(below_q).order_by(F(column).desc(), *self.newest()).only(*fields)[:1]
        above = self.base.filter(above_q).order_by(F(column).asc(nulls_last=True), *self.newest()).only(*fields)[:1]
        return [below, above]


@dataclass(frozen=True)
class _Row:
    """One candidate as the batched query returns it."""

    product_id: uuid.UUID
    name: str
    generation_date: datetime | None
    created_at: datetime
    start: datetime
    stop: datetime | None

    @property
    def selected(self) -> Selected:
        return Selected(product_id=self.product_id, name=self.name, start=self.start, stop=self.stop)

    @property
    def newest_key(self) -> tuple[datetime, datetime, str]:
        return (self.generation_date or datetime.min.replace(tzinfo=UTC), self.created_at, self.name)


def _duration(expression: object) -> ExpressionWrapper:
    return ExpressionWrapper(expression, output_field=DurationField())


# Window ends standing in for a job's while a policy's SQL is compiled once (`SelectionPlan.compiled`): far from any
# real date, so no other parameter can equal one of them or of the moments derived from them.
_STAND_IN_A = datetime(1001, 1, 1, tzinfo=UTC)
_STAND_IN_B = datetime(1003, 1, 1, tzinfo=UTC)
_TEMPLATES: dict[tuple[Any, ...], list[tuple[str, Any]]] = {}
_TEMPLATES_MAX = 4096


def _stand_ins(a: datetime, b: datetime) -> tuple[datetime, ...]:
    """Every moment a policy's query derives from the window ends (`_branches`, `_Query._bounded`)."""
    return (a, b, a - MAX_SENSING_SPAN, a + (b - a) / 2)


class SelectionPlan:
    """One alternative's question to the catalogue: the queries (branches) it needs and how to read their answers.

    Plans are run together (`plans_run`): every branch of every plan in one UNION ALL round trip, so resolving a
    job's inputs costs one query per alternative rank, not one per input."""

    def __init__(self, *, policy: str, file_type: str, start: datetime, stop: datetime, t0: float, t1: float,
                 context: SelectionContext, min_results: int | None = None, max_results: int | None = None,
                 band: str = "") -> None:
        self.policy, self.file_type = policy, file_type
        self.min_results, self.max_results, self.band = min_results, max_results, band
        self.window = selection_window(start, stop, t0, t1)
        self.query = _Query(file_type, context, *self.window, band=band)

    @property
    def branches(self) -> list[QuerySet[Product]]:
        return _branches(self.policy, self.query, max_results=self.max_results)

    def compiled(self, using: str, vendor: str) -> list[tuple[str, list[Any]]]:
        """(SQL, parameters) of each branch. On PostgreSQL the SQL of a policy depends only on its shape (policy,
        type, unit, ICID, mode, band, limit, point window), the window being parameters: it is compiled once per
        process with stand-in window ends, whose parameters are then replaced by this plan's (the ORM's query
        building and compiling was most of preparation's CPU). Other databases bind datetimes as text at compile
        time: compiled each time."""
        if vendor != "postgresql":
            return [qs.query.get_compiler(using=using).as_sql() for qs in self.branches]
        a, b = self.query.a, self.query.b
        context = self.query.context
        key = (using, self.policy, self.file_type, context, self.band, self.max_results, a == b)
        template = _TEMPLATES.get(key)
        if template is None:
            stand_in = _Query(self.file_type, context, _STAND_IN_A, _STAND_IN_A if a == b else _STAND_IN_B,
                              band=self.band)
            template = [qs.query.get_compiler(using=using).as_sql()
                        for qs in _branches(self.policy, stand_in, max_results=self.max_results)]
            if len(_TEMPLATES) >= _TEMPLATES_MAX:
                _TEMPLATES.clear()
            _TEMPLATES[key] = template
        stand_ins = _stand_ins(_STAND_IN_A, _STAND_IN_A if a == b else _STAND_IN_B)
        real = dict(zip(stand_ins, _stand_ins(a, b), strict=True))
        return [(sql, [real.get(p, p) if isinstance(p, datetime) else p for p in params])
                for sql, params in template]

    def finish(self, rows: Sequence[Sequence[_Row]], sql: Sequence[str]) -> SelectionResult:
        products, note = _answer(self.policy, self.query, rows)
        if self.max_results and len(products) > self.max_results:
            limited = self.policy in LIST_POLICIES  # the query stopped at max + 1 rows
            note = (f"{len(products)}{' or more' if limited else ''} found, the table allows at most "
                    f"{self.max_results}: the first {self.max_results} by start kept")
            products = products[:self.max_results]
        if products and self.min_results and len(products) < self.min_results:
            note = f"{len(products)} found, the table asks for at least {self.min_results}"
            products = []
        return SelectionResult(policy=self.policy, file_type=self.file_type, catalog_types=self.query.types,
                               window=self.window, products=tuple(products), queries=tuple(sql), note=note,
                               unbounded=self.policy in UNBOUNDED_POLICIES, band=self.band)


def select(
    *, policy: str, file_type: str, start: datetime, stop: datetime, t0: float, t1: float,
    context: SelectionContext, min_results: int | None = None, max_results: int | None = None, band: str = "",
) -> SelectionResult:
    """Run one alternative's policy for a job interval [start, stop] with margins T0/T1."""
    plan = SelectionPlan(policy=policy, file_type=file_type, start=start, stop=stop, t0=t0, t1=t1, context=context,
                         min_results=min_results, max_results=max_results, band=band)
    return plans_run([plan])[0]


def plans_run(plans: Sequence[SelectionPlan]) -> list[SelectionResult]:
    """Every branch of every plan in one round trip; the answers in the order of `plans`.

    Each branch keeps its own ORDER BY … LIMIT inside a derived table (so each stays the index-backed query it is
    alone) and is tagged with its number; rows come back in no guaranteed order across branches, so list policies
    sort their rows again (`_answer`)."""
    if not plans:
        return []
    using = catalog_selectors.products_for_selection().db
    vendor = connections[using].vendor
    per_plan = [plan.compiled(using, vendor) for plan in plans]
    compiled = [branch for branches in per_plan for branch in branches]
    texts = [sql % tuple(_literal(p) for p in params) if params else sql for sql, params in compiled]
    rows: list[list[_Row]] = [[] for _ in compiled]
    owners = [plan.query for plan, branches in zip(plans, per_plan, strict=True) for _ in branches]
    for number, *values in _fetch(connections[using], compiled):
        value = dict(zip(owners[number].columns, values, strict=True))
        rows[number].append(_Row(
            product_id=_uuid(value["id"]), name=value["name"], generation_date=_moment(value["generation_date"]),
            created_at=_moment(value["created_at"]), start=_moment(value[owners[number].start]),
            stop=_moment(value[owners[number].stop])))
    results = []
    first = 0
    for plan, branches in zip(plans, per_plan, strict=True):
        count = len(branches)
        results.append(plan.finish(rows[first:first + count], texts[first:first + count]))
        first += count
    return results


def _fetch(connection: Any, compiled: Sequence[tuple[str, Sequence[Any]]]) -> list[tuple[Any, ...]]:
    """(branch number, id, name, generation, insertion, start, stop) of every branch's rows.

    Every branch selects those six columns first, in model field order, whatever names the compiler gave them
    (compound queries alias them col1…); an ordering annotation may follow. PostgreSQL renames the six positionally
    with a derived-table column list, so all branches travel in one UNION ALL; other databases (the embedded
    runtime's SpatiaLite has no column lists) run the branches one by one."""
    if connection.vendor == "postgresql":
        parts: list[str] = []
        params: list[Any] = []
        for number, (sql, branch_params) in enumerate(compiled):
            parts.append(f"SELECT {number}, c1, c2, c3, c4, c5, c6 FROM ({sql}) AS b (c1, c2, c3, c4, c5, c6)")  # noqa: S608
            params.extend(branch_params)
        with connection.cursor() as cursor:
            cursor.execute(" UNION ALL ".join(parts), params)
            return list(cursor.fetchall())
    found: list[tuple[Any, ...]] = []
    with connection.cursor() as cursor:
        for number, (sql, branch_params) in enumerate(compiled):
            cursor.execute(sql, branch_params)
            found.extend((number, *row[:6]) for row in cursor.fetchall())
    return found


def _literal(value: Any) -> str:
    """A parameter as the operator should read it in the recorded SQL."""
    if isinstance(value, datetime):
        return f"'{value.isoformat()}'"
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, (list, tuple)):
        return "(" + ", ".join(_literal(v) for v in value) + ")"
    return str(value)


def _uuid(value: Any) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def _moment(value: Any) -> Any:
    """Datetimes as aware UTC values (SpatiaLite returns naive UTC datetimes, or text from a derived table)."""
    if value is None:
        return None
    moment = value if isinstance(value, datetime) else parse_datetime(str(value))
    if moment is not None and moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment


def _list(rows: Sequence[_Row]) -> list[_Row]:
    """List policies: by start, then newest first (generation, insertion, name)."""
    ordered = sorted(rows, key=lambda r: r.name, reverse=True)
    ordered.sort(key=lambda r: r.created_at, reverse=True)
    ordered.sort(key=lambda r: (r.generation_date is not None, r.generation_date or r.created_at), reverse=True)
    ordered.sort(key=lambda r: r.start)
    return ordered


def _selected(rows: Sequence[_Row]) -> list[Selected]:
    return [r.selected for r in rows]


LIST_POLICIES = frozenset({"ValCover", "ValIntersect", "ValIntersectWithoutDuplicates"})


def _branches(policy: str, q: _Query, *, max_results: int | None = None) -> list[QuerySet[Product]]:
    """The queries a policy needs (all of them up front: a fallback costs no extra round trip)."""
    a, b = q.a, q.b
    start = F(q.start)
    newest = q.newest()
    if policy in LIST_POLICIES:
        if policy == "ValCover":
            qs = q.combined(q.cover(), start.asc(), *newest)
        elif policy == "ValIntersect":
            qs = q.combined(q.intersect(), start.asc(), *newest)
        else:  # duplicates share (start, stop), so they fall in the same branch: rank each branch on its own
            window = Window(RowNumber(), partition_by=[F(q.start), F(q.stop)], order_by=newest)
            ranked = [part.annotate(rank=window).filter(rank=1) for part in q.intersect()]
            qs = q.combined(ranked, start.asc(), *newest)
        return [qs[:max_results + 1] if max_results else qs]  # one more: enough to tell some were left out
    if policy == "LatestValCover":
        return [q.first(q.combined(q.cover(), *newest))]
    if policy == "LatestValIntersect":
        return [q.first(q.combined(q.intersect(), *newest))]
    if policy == "LatestValidityClosest":
        return q.probes(q.start, a + (b - a) / 2)
    if policy == "BestCentredCover":
        margin = Least(_duration(Value(a, output_field=DateTimeField()) - start),
                       _duration(q.stop_or_far() - Value(b, output_field=DateTimeField())))
        return [q.first(q.combined(q.cover(), F("margin").desc(), *newest, margin=margin))]
    if policy == "LatestValCoverClosest":
        return [q.first(q.combined(q.cover(), start.desc(), *newest))]
    if policy in ("LargestOverlap", "LargestOverlap85"):
        va, vb = Value(a, output_field=DateTimeField()), Value(b, output_field=DateTimeField())
        overlap = _duration(Least(q.stop_or_far(), vb) - Greatest(start, va))
        offset = Greatest(_duration(start - va), _duration(va - start))
        return [q.first(q.combined(q.intersect(), F("overlap").desc(), F("offset").asc(), *newest, overlap=overlap,
                                   offset=offset))]
    if policy in ("LatestValidity", "LatestStartValidity"):
        return [q.first(q.combined([q.base], start.desc(), *newest))]
    if policy == "LatestStopValidity":
        return [q.first(q.combined([q.base], F(q.stop).desc(nulls_first=True), *newest))]
    if policy == "LatestValCoverNewestValidity":
        return [q.first(q.combined(q.cover(), *newest)), q.first(q.combined([q.base], start.desc(), *newest))]
    if policy == "ClosestStartValidity":
        return q.probes(q.start, a)
    if policy == "ClosestStopValidity":
        return q.probes(q.stop, b)
    if policy == "LastCreated":
        return [q.first(q.combined([q.base], *newest))]
    if policy == "FullCoverage":
        return [q.combined(q.intersect(), start.asc(), *newest)]
    raise UnknownPolicy(f"unknown selection policy {policy!r}")


def _answer(policy: str, q: _Query, rows: Sequence[Sequence[_Row]]) -> tuple[list[Selected], str]:
    """What the policy selects from the rows of its branches."""
    a, b = q.a, q.b
    if policy in LIST_POLICIES:
        return _selected(_list(rows[0])), ""
    if policy in ("LatestValidityClosest", "ClosestStartValidity", "ClosestStopValidity"):
        column = "stop" if policy == "ClosestStopValidity" else "start"
        target = {"LatestValidityClosest": a + (b - a) / 2, "ClosestStartValidity": a, "ClosestStopValidity": b}
        return _closest(rows[0], rows[1], column, target[policy]), ""
    if policy in ("LargestOverlap", "LargestOverlap85"):
        best = _selected(rows[0])
        if not best or policy == "LargestOverlap" or a == b:
            return best, ""
        chosen = best[0]
        covered = min(chosen.stop or FAR_FUTURE, b) - max(chosen.start, a)
        if covered >= 0.85 * (b - a):
            return best, ""
        return [], f"largest overlap {covered / (b - a):.1%} of the window is below 85%"
    if policy == "LatestValCoverNewestValidity":
        if rows[0]:
            return _selected(rows[0]), ""
        return _selected(rows[1]), "no file covers the window: latest validity" if rows[1] else ""
    if policy == "FullCoverage":
        ordered = _list(rows[0])
        reach = a
        for row in ordered:  # the union of the (bounded) intersecting set must have no gap
            if row.start > reach:
                return [], f"gap from {reach.isoformat()} to {row.start.isoformat()}"
            reach = max(reach, row.stop or FAR_FUTURE)
        return (_selected(ordered), "") if reach >= b else ([], f"nothing covers {reach.isoformat()} to "
                                                                f"{b.isoformat()}")
    return _selected(rows[0]), ""


def _closest(below: Sequence[_Row], above: Sequence[_Row], column: str, target: datetime) -> list[Selected]:
    """The product whose `column` is nearest to `target` (absolute, microseconds); an exact tie → the newest."""
    if not below or not above:
        return _selected([*below, *above])
    low, high = below[0], above[0]

    def distance(row: _Row) -> timedelta:
        return abs((getattr(row, column) or FAR_FUTURE) - target)

    d_low, d_high = distance(low), distance(high)
    if d_low != d_high:
        return [(low if d_low < d_high else high).selected]
    return [max(low, high, key=lambda r: r.newest_key).selected]
