"""What changed between two versions of a processor: inputs (and their policies), outputs, parameters, resources.

Inputs are matched by task and id, or by task, mode and file types when they have no id, so a reordered table
does not show as a change of every input."""

from __future__ import annotations

from dataclasses import dataclass

from rs.production.tasktables.definition import Alternative, TaskInput, TaskTable


@dataclass(frozen=True)
class Change:
    section: str  # "processor" | "task" | "input" | "output" | "parameter" | "config"
    key: str
    kind: str  # "added" | "removed" | "changed"
    before: str = ""
    after: str = ""

    def __str__(self) -> str:
        if self.kind == "added":
            return f"+ {self.section} {self.key}: {self.after}"
        if self.kind == "removed":
            return f"- {self.section} {self.key}: {self.before}"
        return f"~ {self.section} {self.key}: {self.before} → {self.after}"


def _alternative_text(alt: Alternative) -> str:
    return f"{alt.order}:{alt.file_type} {alt.origin} {alt.policy}({alt.t0:g}, {alt.t1:g}) {alt.file_name_type}"


def _input_key(task: str, item: TaskInput) -> str:
    if item.id:
        return f"{task}/{item.id}"
    if item.is_ref:
        return f"{task}/ref:{item.ref}"
    return f"{task}/{item.mode}:{'|'.join(a.file_type for a in item.alternatives)}"


def _input_text(item: TaskInput) -> str:
    if item.is_ref:
        return f"ref {item.ref}"
    mandatory = "mandatory" if item.mandatory else "optional"
    return f"{item.mode} {mandatory} [{'; '.join(_alternative_text(a) for a in item.alternatives)}]"


def _inputs(table: TaskTable) -> dict[str, str]:
    found: dict[str, str] = {}
    for task in table.tasks():
        for item in task.inputs:
            key = _input_key(task.name, item)
            while key in found:  # two identical id-less inputs in one task (AIOP_PROC_APP x2)
                key += "'"
            found[key] = _input_text(item)
    return found


def _outputs(table: TaskTable) -> dict[str, str]:
    found: dict[str, str] = {}
    for task in table.tasks():
        for out in task.outputs:
            key = f"{task.name}/{out.file_type}"
            while key in found:
                key += "'"
            found[key] = (f"{out.destination} {'mandatory' if out.mandatory else 'optional'} {out.file_name_type}"
                          + (f" {out.pattern}" if out.pattern else ""))
    return found


def _compare(section: str, before: dict[str, str], after: dict[str, str]) -> list[Change]:
    changes = [Change(section, k, "removed", before=v) for k, v in before.items() if k not in after]
    changes += [Change(section, k, "added", after=v) for k, v in after.items() if k not in before]
    changes += [Change(section, k, "changed", before=before[k], after=v)
                for k, v in after.items() if k in before and before[k] != v]
    return changes


def tasktable_diff(before: TaskTable, after: TaskTable) -> list[Change]:
    """Every difference that matters to production, grouped by section; versions of tasks are not reported."""
    header = {
        "Max_Time": (str(before.max_time_s), str(after.max_time_s)),
        "Min_Disk_Space": (str(before.min_disk_space_mb), str(after.min_disk_space_mb)),
        "Test": (str(before.test), str(after.test)),
    }
    changes = [Change("processor", k, "changed", b, a) for k, (b, a) in header.items() if a != b]
    changes += _compare("task", {f"{t.name}#{n}": t.file_name for n, t in enumerate(before.tasks(), start=1)},
                        {f"{t.name}#{n}": t.file_name for n, t in enumerate(after.tasks(), start=1)})
    changes += _compare("input", _inputs(before), _inputs(after))
    changes += _compare("output", _outputs(before), _outputs(after))
    changes += _compare("parameter", {p.name: f"{p.type} default={p.default!r}" for p in before.dyn_params},
                        {p.name: f"{p.type} default={p.default!r}" for p in after.dyn_params})
    changes += _compare("config", {c.file_name: c.version for c in before.config_files},
                        {c.file_name: c.version for c in after.config_files})
    return changes
