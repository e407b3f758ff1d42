"""CSV export of the KPI table (`?format=csv`): one row per PI type, completeness as one column per day."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from typing import Any

from rest_framework.renderers import BaseRenderer


def kpi_csv_rows(rows: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    flat = []
    for row in rows:
        completeness = row.get("completeness", {})
        flat.append({
            **{key: value for key, value in row.items() if key != "completeness"},
            **{f"completeness_{days}d": value for days, value in completeness.items()},
        })
    return flat


class KpiCsvRenderer(BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data: Any, accepted_media_type: str | None = None,
               renderer_context: Mapping[str, Any] | None = None) -> bytes:
        if not isinstance(data, Mapping) or "pi_types" not in data:  # an error body: its fields as two columns
            items = data.items() if isinstance(data, Mapping) else [("detail", data)]
            buffer = io.StringIO()
            csv.writer(buffer).writerows([("field", "value"), *items])
            return buffer.getvalue().encode()
        rows = kpi_csv_rows(data["pi_types"])
        buffer = io.StringIO()
        if rows:
            writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
        return buffer.getvalue().encode()
