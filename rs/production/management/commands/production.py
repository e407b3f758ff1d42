"""`manage.py production demo-setup [--reset]`: the demo chains (simulated processors and their rules), idempotently."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from rs.errors import DomainError


class Command(BaseCommand):
    help = "Production set-up: demo-setup imports the simulated processors' Task Tables and creates the demo rules."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        setup = sub.add_parser("demo-setup", help="import processors/tasktables/demo/ and create the demo rules that "
                                                  "are missing (existing ones are kept as an operator left them)")
        setup.add_argument("--reset", action="store_true",
                           help="put every demo rule and the demo orbit wait back as shipped")

    def handle(self, *args: Any, **options: Any) -> None:
        from rs.production.demo import demo_setup

        try:
            outcome = demo_setup(reset=options["reset"])
        except DomainError as exc:
            raise CommandError(str(exc)) from None
        except DatabaseError as exc:
            raise CommandError(f"database unavailable: {str(exc).strip()}") from None
        for label in outcome.differing:
            self.stderr.write(f"warning: {label} is already imported from a different table: kept as it is "
                              "(a changed table needs a new <Version>)")
        rules = (f"{len(outcome.rules_created)} created, {len(outcome.rules_updated)} reset, "
                 f"{len(outcome.rules_unchanged)} unchanged" if options["reset"] else
                 f"{len(outcome.rules_created)} created, {len(outcome.rules_kept)} kept as they are")
        self.stdout.write(
            f"demo processors: {len(outcome.imported)} imported, {len(outcome.already) + len(outcome.differing)} "
            f"already there; demo rules: {rules}")
