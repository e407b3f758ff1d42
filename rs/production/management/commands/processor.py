"""`manage.py processor import FILE | diff NAME V1 V2 | list`: the processor registry from the command line.

A refused Task Table exits with status 1 and prints the element and the reason (never a traceback)."""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from rs.errors import DomainError
from rs.production import selectors, services
from rs.production.choices import JobOrderDialect


class Command(BaseCommand):
    help = "Import Task Tables as processor versions, list them, show what changed between two versions."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        importing = sub.add_parser("import", help="register a Task Table as a new processor version")
        importing.add_argument("file", type=Path)
        importing.add_argument("--dialect", choices=JobOrderDialect.values, default="",
                               help="JobOrder dialect (default: guessed from the processor)")
        diff = sub.add_parser("diff", help="inputs, outputs and parameters that changed between two versions")
        diff.add_argument("name")
        diff.add_argument("before")
        diff.add_argument("after")
        sub.add_parser("list", help="every imported processor version")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            getattr(self, f"_{options['action']}")(**options)
        except DomainError as exc:
            raise CommandError(str(exc)) from None
        except DatabaseError as exc:
            raise CommandError(f"database unavailable: {str(exc).strip()}") from None

    def _import(self, *, file: Path, dialect: str, **_: Any) -> None:
        try:
            data = file.read_bytes()
        except OSError as exc:
            raise CommandError(f"{file}: cannot read ({exc.strerror})") from None
        try:
            version = services.processor_import(data=data, dialect=dialect)
        except DomainError as exc:
            raise CommandError(f"{file}: {exc}") from None
        counts = selectors.processor_tasktable(version=version).counts()
        self.stdout.write(f"imported {version.processor.name} {version.version} (dialect {version.joborder_dialect}): "
                          + ", ".join(f"{v} {k}" for k, v in counts.items()))

    def _diff(self, *, name: str, before: str, after: str, **_: Any) -> None:
        changes = selectors.processor_diff(before=selectors.processor_version_get(name=name, version=before),
                                           after=selectors.processor_version_get(name=name, version=after))
        if not changes:
            self.stdout.write(f"{name}: no difference between {before} and {after}")
        for change in changes:
            self.stdout.write(str(change))

    def _list(self, **_: Any) -> None:
        for version in selectors.processor_versions():
            self.stdout.write(f"{version.processor.name}\t{version.version}\t{version.joborder_dialect}\t"
                              f"{version.imported_at:%Y-%m-%dT%H:%M:%SZ}\t{getattr(version, 'rule_count', 0)} rules")
