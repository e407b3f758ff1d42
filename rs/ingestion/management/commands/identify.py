"""`python manage.py identify NAME... [--json]`: what identification makes of names or relative delivery paths.

START/STOP are the sensing times the name carries, or its validity for aux files (JSON `time_kind` tells which).
Exit status 1 when any name is not recognised; never a traceback.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from rs.ingestion.names import Identification, UnrecognisedName, identify

COLUMNS = ("NAME", "FAMILY", "MISSION", "PLATFORM", "PRODUCT TYPE", "LEVEL", "START", "STOP")


def iso(value: datetime | None) -> str | None:
    """ISO 8601 in UTC with 'Z' (microseconds only when there are some)."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def interval(identification: Identification) -> tuple[str | None, datetime | None, datetime | None]:
    if identification.start is not None or identification.stop is not None:
        return "sensing", identification.start, identification.stop
    if identification.validity_start is not None or identification.validity_stop is not None:
        return "validity", identification.validity_start, identification.validity_stop
    return None, None, None


def as_json(given: str, identification: Identification) -> dict[str, object]:
    kind, start, stop = interval(identification)
    session = identification.session
    return {
        "name": given,
        "product_name": identification.name,
        "archive_suffix": identification.archive_suffix,
        "family": identification.family,
        "mission": identification.mission,
        "platform": identification.platform,
        "product_type": identification.product_type,
        "level": identification.level,
        "start": iso(start),
        "stop": iso(stop),
        "time_kind": kind,
        "generation": iso(identification.generation),
        "timeliness": identification.timeliness,
        "is_container": identification.is_container,
        "metadata_files": list(identification.metadata_files),
        "session": None if session is None else {
            "station": session.station, "satellite": session.satellite, "session_id": session.session_id,
            "channel": session.channel, "kind": session.kind, "chunk": session.chunk,
        },
    }


class Command(BaseCommand):
    help = "Identify product names or relative delivery paths: family, mission, platform, type, level, times."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("names", nargs="+", metavar="NAME", help="product name or relative delivery path")
        parser.add_argument("--json", action="store_true", help="one JSON object per line")

    def handle(self, *args: Any, **options: Any) -> None:
        names: list[str] = options["names"]
        results: list[tuple[str, Identification | str]] = []
        for name in names:
            try:
                results.append((name, identify(name)))
            except UnrecognisedName as exc:
                results.append((name, str(exc)))
        if options["json"]:
            for name, result in results:
                line = {"name": name, "error": result} if isinstance(result, str) else as_json(name, result)
                self.stdout.write(json.dumps(line, ensure_ascii=False))
        else:
            self._table(results)
        failed = sum(isinstance(result, str) for _, result in results)
        if failed:
            raise CommandError(f"{failed} of {len(names)} name(s) not recognised", returncode=1)

    def _table(self, results: list[tuple[str, Identification | str]]) -> None:
        rows: list[tuple[str, ...]] = []
        for name, result in results:
            if isinstance(result, str):
                continue
            _, start, stop = interval(result)
            rows.append((name, result.family, result.mission or "-", result.platform or "-", result.product_type,
                         result.level, iso(start) or "-", iso(stop) or "-"))
        widths = [max([len(c), *(len(r[i]) for r in rows)]) for i, c in enumerate(COLUMNS)]
        if rows:
            self.stdout.write("  ".join(c.ljust(w) for c, w in zip(COLUMNS, widths, strict=True)).rstrip())
        row_of = iter(rows)
        for name, result in results:
            if isinstance(result, str):
                self.stdout.write(f"{name}  NOT RECOGNISED: {result}")
            else:
                row = next(row_of)
                self.stdout.write("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())
