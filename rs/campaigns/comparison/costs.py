"""The cost side of a campaign: per task and metric, the distribution over repetitions, and version A against
version B (the ratio of medians, > 1 when B costs more).

    side_by_side({"A": [TaskCost("L1", wall_s=10, …)], "B": [TaskCost("L1", wall_s=12, …)]}, baseline="A")
        → {"L1": {"wall_s": {"A": Distribution(…), "B": Distribution(…), "ratio": {"B": 1.2}}, …}}
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass

METRICS = ("wall_s", "cpu_s", "peak_memory_bytes", "read_bytes", "written_bytes")


@dataclass(frozen=True)
class TaskCost:
    """One run of one task, as the execution workers record it."""

    task: str
    wall_s: float
    cpu_s: float
    peak_memory_bytes: int
    read_bytes: int = 0
    written_bytes: int = 0


@dataclass(frozen=True)
class Distribution:
    n: int
    minimum: float
    median: float
    mean: float
    p95: float
    maximum: float
    stdev: float

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


def distribution(values: Sequence[float]) -> Distribution:
    if not values:
        raise ValueError("a distribution needs at least one value")
    ordered = sorted(values)
    # nearest-rank p95: with few repetitions it is an observed value, never an interpolation between two
    p95 = ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]
    return Distribution(n=len(ordered), minimum=ordered[0], median=statistics.median(ordered),
                        mean=statistics.fmean(ordered), p95=p95, maximum=ordered[-1],
                        stdev=statistics.stdev(ordered) if len(ordered) > 1 else 0.0)


def side_by_side(costs: Mapping[str, Sequence[TaskCost]], *, baseline: str) -> dict[str, dict[str, dict[str, object]]]:
    """task → metric → {version: distribution dict, "ratio": {version: median / baseline median}}."""
    if baseline not in costs:
        raise ValueError(f"baseline {baseline!r} has no runs")
    per_task: dict[str, dict[str, list[TaskCost]]] = defaultdict(lambda: defaultdict(list))
    for version, runs in costs.items():
        for run in runs:
            per_task[run.task][version].append(run)
    table: dict[str, dict[str, dict[str, object]]] = {}
    for task in sorted(per_task):
        table[task] = {}
        for metric in METRICS:
            row: dict[str, object] = {}
            medians: dict[str, float] = {}
            for version in costs:
                runs = per_task[task].get(version, [])
                if runs:
                    spread = distribution([float(getattr(r, metric)) for r in runs])
                    row[version] = spread.as_dict()
                    medians[version] = spread.median
            base = medians.get(baseline)
            row["ratio"] = {version: (round(median / base, 4) if base else None)
                            for version, median in medians.items() if version != baseline}
            table[task][metric] = row
    return table
