"""Input resolution: for each declared Task Table input of a job, try its alternatives in Order with their selection
policies, and say what was found, what is missing, until when it is waited for, and which product types could
still change the answer. Inputs are resolved together, one catalogue round trip per alternative rank. Reads only:
preparation persists the result, the dry-run shows it.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from rs.production.choices import InputMode, InputStatus, Origin
from rs.production.models import InputTimeout
from rs.production.selection import (
    FAR_FUTURE,
    UNBOUNDED_POLICIES,
    Selected,
    SelectionContext,
    SelectionPlan,
    SelectionResult,
    bands_of,
    catalog_types,
    plans_run,
    selection_window,
)
from rs.production.tasktables.definition import Alternative, TaskInput, TaskTable


class TimeoutRules:
    """The InputTimeout rules, read once, the first time a missing optional input needs them (most evaluations
    find every optional input and never read them)."""

    def __init__(self) -> None:
        self._rows: list[InputTimeout] | None = None

    def __iter__(self) -> Iterator[InputTimeout]:
        if self._rows is None:
            self._rows = list(InputTimeout.objects.all())
        return iter(self._rows)


@dataclass(frozen=True)
class JobFacts:
    """What resolution needs to know about a job, whether it exists (a Job row) or is only planned."""

    processor_name: str
    processor_version: str
    mission: str
    platform: str
    timeliness: str
    input_mode: str
    acquisition_mode: str
    instrument_configuration_id: int | None
    polarisation: str
    interval_start: datetime
    interval_stop: datetime
    created_at: datetime
    mandatory_deadline_at: datetime
    sensing_time_from: str = ""
    wide_interval_types: frozenset[str] = frozenset()

    @property
    def context(self) -> SelectionContext:
        return SelectionContext(mission=self.mission, platform=self.platform,
                                instrument_configuration_id=self.instrument_configuration_id,
                                acquisition_mode=self.acquisition_mode, polarisation=self.polarisation)


@dataclass(frozen=True)
class Attempt:
    """One alternative tried: the question asked of the catalogue and its answer."""

    order: int
    origin: str
    policy: str
    file_type: str
    catalog_types: tuple[str, ...]
    window: tuple[datetime, datetime] | None
    queries: tuple[str, ...]
    found: tuple[str, ...]
    note: str = ""

    def as_json(self) -> dict[str, object]:
        return {"order": self.order, "origin": self.origin, "policy": self.policy, "file_type": self.file_type,
                "catalog_types": list(self.catalog_types),
                "window": [w.isoformat() for w in self.window] if self.window else None,
                "queries": list(self.queries), "found": list(self.found), "note": self.note}


@dataclass(frozen=True)
class Awaited:
    product_type: str
    window_start: datetime | None  # None: any product of the type (policy without interval test)
    window_stop: datetime | None


@dataclass(frozen=True)
class Resolution:
    key: str
    position: int
    mandatory: bool
    status: str
    alternative: Alternative | None
    files: tuple[Selected, ...]
    attempts: tuple[Attempt, ...]
    deadline: datetime | None
    reason: str
    awaited: tuple[Awaited, ...]

    @property
    def window(self) -> tuple[datetime, datetime] | None:
        chosen = next((a for a in self.attempts if self.alternative and a.order == self.alternative.order), None)
        first = chosen or (self.attempts[0] if self.attempts else None)
        return first.window if first else None

    def fingerprint(self) -> str:
        """Identity of the outcome (not of the SQL text), to skip writes when nothing changed."""
        data = [self.status, self.alternative.order if self.alternative else None,
                [(str(f.product_id), f.start.isoformat(), f.stop.isoformat() if f.stop else None) for f in self.files],
                self.deadline.isoformat() if self.deadline else None, self.reason,
                [(a.product_type, a.window_start.isoformat() if a.window_start else None,
                  a.window_stop.isoformat() if a.window_stop else None) for a in self.awaited]]
        return hashlib.sha256(json.dumps(data).encode()).hexdigest()


def mode_applies(input_mode: str, job_mode: str) -> bool:
    return InputMode.ALWAYS in (input_mode, job_mode) or input_mode == job_mode


def input_label(item: TaskInput) -> str:
    """The name operators and timeout rules know an input by: its id, or its first alternative's type."""
    return item.id or (item.alternatives[0].file_type if item.alternatives else item.key)


def optional_deadline(timeouts: Iterable[InputTimeout], item: TaskInput, facts: JobFacts) -> datetime | None:
    """min(created + wait_from_creation, sensing start + wait_from_sensing) of the first matching rule; None when
    no rule matches (the missing optional input is dropped at once, as in COPRS)."""
    label = input_label(item)
    for rule in timeouts:
        if (re.fullmatch(rule.processor_pattern, facts.processor_name)
                and re.fullmatch(rule.version_pattern, facts.processor_version)
                and re.fullmatch(rule.input_pattern, label)
                and re.fullmatch(rule.timeliness_pattern, facts.timeliness)):
            candidates = []
            if rule.wait_from_creation_s is not None:
                candidates.append(facts.created_at + timedelta(seconds=rule.wait_from_creation_s))
            if rule.wait_from_sensing_s is not None:
                candidates.append(facts.interval_start + timedelta(seconds=rule.wait_from_sensing_s))
            return min(candidates) if candidates else None
    return None


def _awaited(alternatives: Iterable[Alternative], facts: JobFacts, sensing: tuple[datetime, datetime],
             results: Mapping[int, SelectionResult]) -> list[Awaited]:
    """The catalogue types (and windows) of these alternatives: a product of one of them may change the input."""
    found = []
    for alt in alternatives:
        if alt.origin != Origin.DB:
            continue
        result = results.get(alt.order)
        unbounded = result.unbounded if result else alt.policy in UNBOUNDED_POLICIES
        interval = sensing if alt.file_type in facts.wide_interval_types else _interval(facts)
        window = result.window if result else selection_window(*interval, alt.t0, alt.t1)
        for product_type in catalog_types(alt.file_type, polarisation=facts.polarisation):
            found.append(Awaited(product_type, None if unbounded else window[0], None if unbounded else window[1]))
    return found


class _Pending:
    """One declared input being resolved: the alternative it is at and what was tried so far."""

    def __init__(self, item: TaskInput, position: int, sensing: tuple[datetime, datetime]) -> None:
        self.item, self.position, self.sensing = item, position, sensing
        self.next = 0
        self.attempts: list[Attempt] = []
        self.results: dict[int, SelectionResult] = {}

    @property
    def alternative(self) -> Alternative:
        return self.item.alternatives[self.next]


def _plans(pending: _Pending, facts: JobFacts) -> list[SelectionPlan]:
    """The catalogue questions of the input's current alternative: one, or one per band (S2 band GIPs)."""
    alt = pending.alternative
    start, stop = pending.sensing if alt.file_type in facts.wide_interval_types else _interval(facts)
    return [SelectionPlan(policy=alt.policy, file_type=alt.file_type, start=start, stop=stop, t0=alt.t0, t1=alt.t1,
                          context=facts.context, min_results=alt.min_results, max_results=alt.max_results,
                          band=band)
            for band in bands_of(alt.file_type, mission=facts.mission) or ("",)]


def _merged(results: list[SelectionResult]) -> SelectionResult:
    """The bands of one alternative as one answer: found only when every band has its file, files in band order."""
    if len(results) == 1:
        return results[0]
    missing = [f"B{r.band}" for r in results if not r.found]
    first = results[0]
    return SelectionResult(
        policy=first.policy, file_type=first.file_type, catalog_types=first.catalog_types, window=first.window,
        products=() if missing else tuple(p for r in results for p in r.products),
        queries=tuple(q for r in results for q in r.queries),
        note=f"no file for band{'s' if len(missing) > 1 else ''} {', '.join(missing)}" if missing else "",
        unbounded=first.unbounded)


def _resolve_all(pendings: list[_Pending], facts: JobFacts, *, now: datetime,
                 timeouts: Iterable[InputTimeout]) -> dict[str, Resolution]:
    """Resolve these inputs together: each round asks the catalogue, in one round trip, the current alternative of
    every input still unresolved; an input whose alternative found nothing moves to its next one."""
    done: dict[str, Resolution] = {}
    active = []
    for pending in pendings:
        item = pending.item
        if not mode_applies(item.mode, facts.input_mode):
            done[item.key] = Resolution(item.key, pending.position, item.mandatory, InputStatus.NOT_APPLICABLE, None,
                                        (), (), None, f"input mode {item.mode} is not used in {facts.input_mode} jobs",
                                        ())
        elif not item.alternatives:
            done[item.key] = _missing(pending, facts, now=now, timeouts=timeouts)
        else:
            active.append(pending)
    while active:
        asking: list[tuple[_Pending, list[SelectionPlan]]] = []
        for pending in active:
            alt, n = pending.alternative, pending.next
            if alt.origin != Origin.DB:
                pending.attempts.append(Attempt(alt.order, alt.origin, alt.policy, alt.file_type, (), None, (), ()))
                done[pending.item.key] = Resolution(
                    pending.item.key, pending.position, pending.item.mandatory, InputStatus.PROC, alt, (),
                    tuple(pending.attempts), None, "",
                    tuple(_awaited(pending.item.alternatives[:n], facts, pending.sensing, pending.results)))
            else:
                asking.append((pending, _plans(pending, facts)))
        answers = iter(plans_run([plan for _, plans in asking for plan in plans]))
        active = []
        for pending, plans in asking:
            alt, n = pending.alternative, pending.next
            result = _merged([next(answers) for _ in plans])
            pending.results[alt.order] = result
            pending.attempts.append(Attempt(alt.order, alt.origin, alt.policy, alt.file_type, result.catalog_types,
                                            result.window, result.queries, tuple(p.name for p in result.products),
                                            result.note))
            item = pending.item
            if result.found:
                # a better (lower Order) alternative arriving later is still taken while the job is not queued
                better = _awaited(item.alternatives[:n], facts, pending.sensing, pending.results)
                done[item.key] = Resolution(item.key, pending.position, item.mandatory, InputStatus.FOUND, alt,
                                            result.products, tuple(pending.attempts), None, "", tuple(better))
            elif n + 1 < len(item.alternatives):
                pending.next += 1
                active.append(pending)
            else:
                done[item.key] = _missing(pending, facts, now=now, timeouts=timeouts)
    return done


def _missing(pending: _Pending, facts: JobFacts, *, now: datetime, timeouts: Iterable[InputTimeout]) -> Resolution:
    item, position, attempts = pending.item, pending.position, tuple(pending.attempts)
    types = ", ".join(a.file_type for a in item.alternatives)
    awaited = tuple(_awaited(item.alternatives, facts, pending.sensing, pending.results))
    if item.mandatory:
        if now >= facts.mandatory_deadline_at:
            return Resolution(item.key, position, True, InputStatus.MISSING, None, (), attempts,
                              facts.mandatory_deadline_at, f"missing mandatory input {input_label(item)} ({types})",
                              awaited)
        return Resolution(item.key, position, True, InputStatus.MISSING, None, (), attempts,
                          facts.mandatory_deadline_at, f"waiting for {types}", awaited)
    deadline = optional_deadline(timeouts, item, facts)
    if deadline is None or now >= deadline:
        reason = "optional, not found; no timeout configured" if deadline is None else "optional, timed out"
        return Resolution(item.key, position, False, InputStatus.TIMED_OUT, None, (), attempts, deadline, reason, ())
    return Resolution(item.key, position, False, InputStatus.MISSING, None, (), attempts, deadline,
                      f"optional: waiting for {types} until its timeout", awaited)


def _interval(facts: JobFacts) -> tuple[datetime, datetime]:
    return facts.interval_start, facts.interval_stop


def sensing_interval(resolutions: Iterable[Resolution], facts: JobFacts) -> tuple[datetime, datetime]:
    """Sensing_Time of the JobOrder: the product of the `sensing_time_from` type when found, else the job interval."""
    if facts.sensing_time_from:
        for resolution in resolutions:
            if (resolution.alternative and resolution.alternative.file_type == facts.sensing_time_from
                    and resolution.files):
                first = resolution.files[0]
                return first.start, first.stop or FAR_FUTURE
    return _interval(facts)


def inputs_resolve(table: TaskTable, facts: JobFacts, *, now: datetime, timeouts: Iterable[InputTimeout],
                   previous: Mapping[str, Resolution] | None = None,
                   keys: Iterable[str] | None = None) -> list[Resolution]:
    """Resolve every declared input (or only `keys`, keeping `previous` for the others), in table order.

    The input giving the sensing interval is resolved first; the wide-interval inputs are resolved again when it
    changed."""
    declared = list(table.declared_inputs().values())
    position = {item.key: n for n, item in enumerate(declared, start=1)}
    wanted = None if keys is None else set(keys)
    results: dict[str, Resolution] = dict(previous or {})

    def due(item: TaskInput) -> bool:
        return wanted is None or item.key in wanted or item.key not in results

    first = [i for i in declared if facts.sensing_time_from and facts.sensing_time_from in i.db_types]
    before = sensing_interval(results.values(), facts)
    results.update(_resolve_all([_Pending(i, position[i.key], before) for i in first if due(i)], facts, now=now,
                                timeouts=timeouts))
    sensing = sensing_interval(results.values(), facts)
    rest = [i for i in declared if i not in first
            and (due(i) or (sensing != before and any(t in facts.wide_interval_types for t in i.db_types)))]
    results.update(_resolve_all([_Pending(i, position[i.key], sensing) for i in rest], facts, now=now,
                                timeouts=timeouts))
    return [results[i.key] for i in declared]
