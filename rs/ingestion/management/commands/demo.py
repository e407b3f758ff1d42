"""`python manage.py demo generate DIR` and `demo inbox [DIR] [--name demo]`: demo products and their inbox.

`make run` wiring: `demo generate var/demo-inbox` then `demo inbox var/demo-inbox`; the beat polls the inbox and the
worker ingests everything within about a minute (two polls to see the files stable).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "Demo data: generate DIR (write demo products of every mission), inbox [DIR] (a directory inbox on DIR)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        generate = sub.add_parser("generate", help="write the demo products into DIR (existing ones are kept)")
        generate.add_argument("directory", type=Path, metavar="DIR")
        inbox = sub.add_parser("inbox", help="create (or update) a directory inbox on DIR")
        inbox.add_argument("directory", type=Path, metavar="DIR", nargs="?",
                           default=Path(settings.VAR_DIR) / "demo-inbox")
        inbox.add_argument("--name", default="demo")

    def handle(self, *args: Any, **options: Any) -> None:
        directory: Path = options["directory"].resolve()
        if options["action"] == "generate":
            from rs.ingestion.demo import demo_generate

            if directory.exists() and not directory.is_dir():
                raise CommandError(f"{directory} exists and is not a directory")
            written = demo_generate(directory)
            self.stdout.write(self.style.SUCCESS(f"{len(written)} demo items in {directory}"))
            return
        self._inbox(directory=directory, name=options["name"])

    def _inbox(self, *, directory: Path, name: str) -> None:
        from rs.errors import NotFound
        from rs.ingestion import selectors, services

        if not directory.is_dir():
            raise CommandError(f"{directory} is not a directory (run `demo generate {directory}` first)")
        try:
            try:
                existing = selectors.inbox_get_by_name(name=name)
            except NotFound:
                existing = None
            if existing is None:
                services.inbox_create(name=name, kind="directory", location=str(directory), poll_interval_s=10)
                self.stdout.write(self.style.SUCCESS(f"inbox {name} created on {directory}"))
            else:
                services.inbox_update(inbox_id=existing.pk, kind="directory", location=str(directory), enabled=True)
                self.stdout.write(f"inbox {name} on {directory} (already there)")
        except ValidationError as exc:
            raise CommandError("; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())) from None
