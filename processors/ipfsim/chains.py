"""What the processors share beyond one mission: choosing the main input, the `.LIST` of the L2 end task."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

from ipfsim.runtime import Task

SceneT = TypeVar("SceneT")


def best_overlap(task: Task, paths: Sequence[Path], read: Callable[[Path], SceneT]) -> SceneT:
    """The input sensed most within the JobOrder's Sensing_Time (ValIntersect may select neighbours too)."""
    scenes = [read(p) for p in paths]
    start, stop = task.joborder.sensing_start, task.joborder.sensing_stop
    if start is None or stop is None or len(scenes) == 1:
        return scenes[0]

    def overlap(scene: SceneT) -> float:
        first, last = max(start, scene.start), min(stop, scene.stop)  # type: ignore[attr-defined]
        return float((last - first).total_seconds())

    return max(scenes, key=overlap)


def workdir_list_name(task: Task) -> str:
    """S1 L1/L2, S2 and S3: `<working directory name>.LIST`."""
    return f"{task.workdir.name}.LIST"


def outputs_collect(task: Task) -> None:
    """The end task of a job (S1 IPF_ProcEND): list every product of the working directory that one of the
    JobOrder's DB outputs names (its Regexp pattern, or `^.*<File_Type>.*$`)."""
    patterns: list[tuple[str, re.Pattern[str]]] = []
    for proc in task.joborder.procs:
        for output in proc.outputs:
            text = output.file_name.rsplit("/", 1)[-1] if output.file_name_type == "Regexp" else ""
            patterns.append((output.file_type, re.compile(text or f"^.*{re.escape(output.file_type)}.*$")))
    for entry in sorted(task.workdir.iterdir()):
        if entry.name.startswith(".") or entry.suffix in (".LIST", ".xml") or entry.name == "tmp":
            continue
        for file_type, pattern in patterns:
            if pattern.match(entry.name):
                task.produced(file_type, entry)
                break
