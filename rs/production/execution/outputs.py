"""Which products a run made (ipf-interface.md §6.3; the processor contract §3): the `.LIST` file, else the
output patterns.

Each declared output has a name pattern (`TaskOutput.name_pattern`): a `Regexp` output's own pattern from the Task
Table, else `^.*<File_Type>.*$`, the pattern its JobOrder `File_Name` carries too. A product name (the last path
component, matched whole) belongs to the first output whose pattern matches it; outputs with a pattern of their own
are tried first, being narrower than the type default. Listed paths and scanned names go through the same test."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from rs.production.choices import Destination
from rs.production.execution.errors import ProcessorFailure
from rs.production.tasktables.definition import TaskTable

CATALOGUED = frozenset({Destination.DB, Destination.DBPROC})


@dataclass(frozen=True)
class ExpectedOutput:
    file_type: str
    destination: str
    mandatory: bool
    patterns: tuple[re.Pattern[str], ...]  # one per declaration of the type (tasks may declare it differently)
    declared: bool = False  # a pattern of its own (Regexp output with Output/File_Name)

    @property
    def catalogued(self) -> bool:
        return self.destination in CATALOGUED

    def matches(self, name: str) -> bool:
        return any(p.fullmatch(name) for p in self.patterns)


@dataclass(frozen=True)
class FoundOutput:
    name: str
    path: Path
    file_type: str


def expected_outputs(table: TaskTable) -> list[ExpectedOutput]:
    """The declared outputs of every task, one per type (mandatory if any task declares it so), those with a
    pattern of their own first."""
    merged: dict[str, ExpectedOutput] = {}
    for pool in table.pools:
        for task in pool.tasks:
            for out in task.outputs:
                known = merged.get(out.file_type)
                destination = out.destination if known is None or known.destination == out.destination \
                    else Destination.DBPROC
                pattern = re.compile(out.name_pattern)
                patterns = known.patterns if known else ()
                merged[out.file_type] = ExpectedOutput(
                    file_type=out.file_type, destination=destination,
                    mandatory=out.mandatory or bool(known and known.mandatory),
                    patterns=patterns if pattern in patterns else (*patterns, pattern),
                    declared=bool(out.pattern) or bool(known and known.declared))
    return sorted(merged.values(), key=lambda e: not e.declared)


def _match(name: str, expected: Iterable[ExpectedOutput]) -> ExpectedOutput | None:
    return next((e for e in expected if e.matches(name)), None)


def list_file_of(workdir: Path) -> Path | None:
    lists = sorted(p for p in workdir.iterdir() if p.is_file() and p.name.endswith(".LIST"))
    if len(lists) > 1:
        raise ProcessorFailure(f"more than one .LIST file in the working directory: {', '.join(p.name for p in lists)}")
    return lists[0] if lists else None


def _inside(workdir: Path, line: str) -> Path:
    root = workdir.resolve()
    path = (root / line).resolve()
    if root not in path.parents:
        raise ProcessorFailure(f".LIST line {line!r} points outside the working directory")
    return path


def _isip_as_safe(path: Path) -> Path:
    """S1 L0 outputs come as .ISIP containers: the product is the .SAFE of the same name."""
    if path.suffix != ".ISIP":
        return path
    renamed = path.with_suffix(".SAFE")
    if not renamed.exists():
        path.rename(renamed)
    return renamed


def outputs_discover(workdir: Path, expected: list[ExpectedOutput], *, skip: Iterable[str] = ()
                     ) -> tuple[list[FoundOutput], list[str]]:
    """The catalogued outputs made by the run, and warnings (unmatched lines). Raises ProcessorFailure for a
    listed file that does not exist or a mandatory catalogued type without a product."""
    warnings: list[str] = []
    list_file = list_file_of(workdir)
    candidates: list[Path] = []
    if list_file is not None:
        for raw in list_file.read_text(encoding="utf-8", errors="replace").splitlines():
            line = raw.strip()
            if not line:
                continue
            path = _inside(workdir, line)
            if not path.exists():
                raise ProcessorFailure(f"{list_file.name} lists {line}, which does not exist")
            candidates.append(path)
    else:  # §6.3 rule 6: no list file, scan the top level with the declared patterns
        ignored = {"JobOrder.xml", "tmp", *skip}
        candidates = sorted(p for p in workdir.iterdir() if p.name not in ignored and not p.name.startswith("."))
    found: dict[str, FoundOutput] = {}
    for path in candidates:
        path = _isip_as_safe(path)
        match = _match(path.name, expected)
        if match is None:
            if list_file is not None:
                warnings.append(f"{path.name}: listed but matches no declared output (ignored)")
            continue
        if not match.catalogued:
            continue
        found.setdefault(path.name, FoundOutput(name=path.name, path=path, file_type=match.file_type))
    made = {f.file_type for f in found.values()}
    missing = [e.file_type for e in expected if e.catalogued and e.mandatory and e.file_type not in made]
    if missing:
        raise ProcessorFailure(f"mandatory output{'s' if len(missing) > 1 else ''} not produced: {', '.join(missing)}")
    return list(found.values()), warnings
