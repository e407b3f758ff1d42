"""A Task Table as frozen values: what the parser produces, what the registry stores and what preparation and
JobOrder generation read. One spelling for every dialect (ipf-interface.md §2.5)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from rs.production.choices import LIST_POLICIES, Destination, Origin


@dataclass(frozen=True)
class Alternative:
    order: int
    origin: str
    policy: str  # the canonical selection policy (Custom PolicyIntersectMinNumber → ValIntersect)
    retrieval_mode: str  # as written in the table, trimmed
    custom_class: str
    t0: float  # seconds before the job start (negative shrinks the window)
    t1: float  # seconds after the job stop
    file_type: str
    file_name_type: str
    min_results: int | None = None
    max_results: int | None = None

    @property
    def returns_list(self) -> bool:
        return self.policy in LIST_POLICIES


@dataclass(frozen=True)
class TaskInput:
    """A declared input (its alternatives, tried in ascending Order) or a `ref` to one declared earlier."""

    key: str  # the id, or "<pool>.<task>.<input>" positions for inputs without id
    id: str
    ref: str
    mode: str
    mandatory: bool
    alternatives: tuple[Alternative, ...]

    @property
    def is_ref(self) -> bool:
        return bool(self.ref)

    @property
    def db_types(self) -> tuple[str, ...]:
        return tuple(a.file_type for a in self.alternatives if a.origin == Origin.DB)


@dataclass(frozen=True)
class TaskOutput:
    file_type: str
    destination: str
    mandatory: bool
    file_name_type: str
    pattern: str = ""  # a Regexp output's own pattern (Task Table Output/File_Name); "" = the default

    @property
    def catalogued(self) -> bool:
        return self.destination in (Destination.DB, Destination.DBPROC)

    @property
    def name_pattern(self) -> str:
        """The regular expression a product name of this output matches (ipf-interface.md §5.3, §6.3 rule 4):
        a Regexp output's declared pattern, else `^.*<File_Type>.*$`."""
        if self.file_name_type == "Regexp" and self.pattern:
            return self.pattern
        return f"^.*{re.escape(self.file_type)}.*$"


@dataclass(frozen=True)
class Breakpoint:
    file_name: str
    file_name_type: str


@dataclass(frozen=True)
class Task:
    name: str
    version: str
    critical: bool
    criticality_level: int | None
    file_name: str
    inputs: tuple[TaskInput, ...]
    outputs: tuple[TaskOutput, ...]
    breakpoints: tuple[Breakpoint, ...]
    number_of_cpus: int | None


@dataclass(frozen=True)
class Pool:
    detached: bool
    killing_signal: int | None
    tasks: tuple[Task, ...]


@dataclass(frozen=True)
class DynParam:
    name: str
    type: str
    default: str | None  # None: the table gives no default (the JobOrder writes an empty value)


@dataclass(frozen=True)
class ConfigFile:
    version: str
    file_name: str


@dataclass(frozen=True)
class TaskTable:
    processor_name: str
    version: str
    test: bool
    min_disk_space_mb: int
    max_time_s: int
    sensing_time_flag: bool | None
    config_files: tuple[ConfigFile, ...]
    dyn_params: tuple[DynParam, ...]
    pools: tuple[Pool, ...]
    spelling: str = "s1"  # "s3" when the table uses the S3 spellings (Cfg_File, List_of_Dyn_ProcParams, …)

    def tasks(self) -> Iterator[Task]:
        for pool in self.pools:
            yield from pool.tasks

    def declared_inputs(self) -> dict[str, TaskInput]:
        """Every declared (non-ref) input by key, in table order: the unit of input resolution."""
        return {i.key: i for task in self.tasks() for i in task.inputs if not i.is_ref}

    def input_types(self) -> frozenset[str]:
        """Product types a catalogue query can select: the types whose arrival may complete a job."""
        return frozenset(t for i in self.declared_inputs().values() for t in i.db_types)

    def output_types(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(o.file_type for task in self.tasks() for o in task.outputs if o.catalogued))

    def counts(self) -> dict[str, int]:
        tasks = list(self.tasks())
        inputs = [i for t in tasks for i in t.inputs]
        return {
            "pools": len(self.pools),
            "tasks": len(tasks),
            "inputs": sum(1 for i in inputs if not i.is_ref),
            "refs": sum(1 for i in inputs if i.is_ref),
            "alternatives": sum(len(i.alternatives) for i in inputs),
            "outputs": sum(len(t.outputs) for t in tasks),
            "dyn_params": len(self.dyn_params),
            "config_files": len(self.config_files),
        }
