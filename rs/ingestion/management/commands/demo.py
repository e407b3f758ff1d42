"""`python manage.py demo load [DIR] [--if-empty]`, `demo generate DIR` and `demo inbox [DIR] [--name demo]`: the
demo, its products and their inbox.

`make run` calls `demo load var/demo-inbox --if-empty`: on an empty catalog the demo chains are set up (the
simulated processors and their rules), the demo products written to the folder and a directory inbox made on it;
the beat polls the inbox and the worker ingests everything within about a minute (two polls to see the files
stable), and the chains run on what arrives. A catalog with products is left alone, and so are demo rules an
operator edited.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = ("Demo data: load [DIR] (the demo chains, the demo products in DIR and their inbox), generate DIR (write "
            "demo products of every mission), inbox [DIR] (a directory inbox on DIR).")

    def add_arguments(self, parser: CommandParser) -> None:
        default_directory = Path(settings.VAR_DIR) / "demo-inbox"
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        load = sub.add_parser("load", help="the whole demo: `production demo-setup`, `demo generate DIR` and "
                                           "`demo inbox DIR`")
        load.add_argument("directory", type=Path, metavar="DIR", nargs="?", default=default_directory)
        load.add_argument("--if-empty", action="store_true", help="do nothing when the catalog has products")
        generate = sub.add_parser("generate", help="write the demo products into DIR (existing ones are kept)")
        generate.add_argument("directory", type=Path, metavar="DIR")
        inbox = sub.add_parser("inbox", help="create (or update) a directory inbox on DIR")
        inbox.add_argument("directory", type=Path, metavar="DIR", nargs="?", default=default_directory)
        inbox.add_argument("--name", default="demo")

    def handle(self, *args: Any, **options: Any) -> None:
        directory: Path = options["directory"].resolve()
        if options["action"] == "load":
            self._load(directory=directory, if_empty=options["if_empty"])
        elif options["action"] == "generate":
            self._generate(directory=directory)
        else:
            self._inbox(directory=directory, name=options["name"])

    def _load(self, *, directory: Path, if_empty: bool) -> None:
        from rs.catalog import selectors as catalog_selectors

        if if_empty and catalog_selectors.product_search(scope=None).exists():
            self.stdout.write("the catalog has products: demo not loaded")
            return
        # The chains first, so that the demo inputs trigger them when they are catalogued.
        call_command("production", "demo-setup", stdout=self.stdout, stderr=self.stderr)
        self._generate(directory=directory)
        self._inbox(directory=directory, name="demo")

    def _generate(self, *, directory: Path) -> None:
        from rs.ingestion.demo import demo_generate

        if directory.exists() and not directory.is_dir():
            raise CommandError(f"{directory} exists and is not a directory")
        written = demo_generate(directory)
        self.stdout.write(self.style.SUCCESS(f"{len(written)} demo items in {directory}"))

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
                # an operator who switched the demo inbox off keeps it off
                services.inbox_update(inbox_id=existing.pk, kind="directory", location=str(directory))
                state = "" if existing.enabled else ", disabled: left as the operator set it"
                self.stdout.write(f"inbox {name} on {directory} (already there{state})")
        except ValidationError as exc:
            raise CommandError("; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())) from None
