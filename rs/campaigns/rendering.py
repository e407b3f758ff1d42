"""The report shaped for the HTML document (Django templates cannot look up a key held in a variable)."""

from __future__ import annotations

from typing import Any

METRIC_LABELS = {"wall_s": "wall time (s)", "cpu_s": "CPU time (s)", "peak_memory_bytes": "peak memory (MiB)",
                 "read_bytes": "input (MiB)", "written_bytes": "output (MiB)"}
MIB = 1024 * 1024


def _shown(metric: str, value: float) -> str:
    if metric.endswith("_bytes"):
        return f"{value / MIB:.2f}"
    return f"{value:.3f}"


def report_context(report: dict[str, Any]) -> dict[str, Any]:
    labels = [v["label"] for v in report["versions"]]
    rows = []
    for task, metrics in report["costs"]["tasks"].items():
        for metric, row in metrics.items():
            if metric in ("read_bytes", "written_bytes") and not any(
                    isinstance(row.get(label), dict) and row[label]["maximum"] for label in labels):
                continue  # I/O volumes are a job's, not a task's: shown on the job row only
            cells = []
            for label in labels:
                spread = row.get(label)
                if not isinstance(spread, dict):
                    cells.append({"text": "—", "change": ""})
                    continue
                change = row.get("change_percent", {}).get(label)
                low, high = _shown(metric, spread["minimum"]), _shown(metric, spread["maximum"])
                cells.append({
                    "text": f"{_shown(metric, spread['median'])} ({low} to {high}, n={spread['n']})",
                    "change": "" if change is None else f"{change:+.1f} %"})
            rows.append({"task": task, "metric": METRIC_LABELS.get(metric, metric), "cells": cells})
    return {"report": report, "labels": labels, "cost_rows": rows}
