"""`python manage.py catalog load FILE.ndjson`: catalogue administration."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from rs.errors import DomainError


class Command(BaseCommand):
    help = "Catalog administration: load (bulk-load metadata-only products)."

    def add_arguments(self, parser: CommandParser) -> None:
        from rs.catalog.bulk import DEFAULT_BATCH_SIZE

        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        load = sub.add_parser(
            "load", help="bulk-load metadata-only products from NDJSON (format: rs/catalog/bulk/)",
            description="Each batch is validated, then written in one transaction. The first bad line stops the "
                        "load: nothing of its batch is written, earlier batches stay (or nothing with --atomic).")
        load.add_argument("file", metavar="FILE", help="NDJSON file, one product per line ('-' for stdin)")
        load.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE,
                          help=f"lines per transaction (default {DEFAULT_BATCH_SIZE})")
        load.add_argument("--atomic", action="store_true", help="one transaction for the whole file")
        load.add_argument("--skip-existing", action="store_true",
                          help="skip products already loaded (same id and name) instead of failing: resumes a load")
        load.add_argument("--emit-events", action="store_true",
                          help="write created/published events (off: bulk-loaded products are history); slow")
        load.add_argument("--workers", type=int, default=None,
                          help="parser processes (default: one a core on PostgreSQL; 0: a thread of this process)")
        load.add_argument("--defer-indexes", action="store_true",
                          help="PostgreSQL: drop the catalog's secondary indexes and rebuild them once at the end "
                               "(much faster for large loads; only on a catalogue out of service)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["action"] == "load":
                self._load(options)
        except DomainError as exc:
            raise CommandError(str(exc)) from None

    def _load(self, options: dict[str, Any]) -> None:
        from rs.catalog.bulk import BulkLoadError, Progress, products_load

        verbosity = options["verbosity"]

        def progress(p: Progress) -> None:
            if verbosity >= 2:
                rate = p.products / p.seconds if p.seconds else 0.0
                self.stdout.write(f"line {p.lines}: {p.products} products ({p.skipped} skipped), {rate:,.0f}/s")

        try:
            with _opened(options["file"]) as lines:
                report = products_load(lines=lines, batch_size=options["batch_size"], atomic=options["atomic"],
                                       skip_existing=options["skip_existing"], emit_events=options["emit_events"],
                                       defer_indexes=options["defer_indexes"], workers=options["workers"],
                                       progress=progress)
        except BulkLoadError as exc:
            if options["atomic"] or exc.batch_first_line is None:
                raise CommandError(f"{exc}; nothing was written") from None
            raise CommandError(
                f"{exc}; nothing of the batch from line {exc.batch_first_line} was written, {exc.loaded} products "
                f"of earlier batches are loaded (fix the line, then load again with --skip-existing)") from None
        except OSError as exc:
            raise CommandError(f"cannot read {options['file']}: {exc.strerror or exc}") from None
        self.stdout.write(self.style.SUCCESS(
            f"loaded {report.products} products ({report.attributes} attributes, {report.skipped} skipped, "
            f"{report.events} events) in {report.seconds:.1f} s: {report.rate:,.0f} products/s"))
        if verbosity >= 2:
            self.stdout.write(f"parsing: {report.parse_cpu_seconds:.1f} s CPU in the parsers; "
                              f"waiting for the database: "
                              f"{report.database_seconds:.1f} s; rebuilding indexes: {report.index_seconds:.1f} s")


@contextmanager
def _opened(path: str) -> Iterator[IO[bytes]]:
    if path == "-":
        yield sys.stdin.buffer
        return
    with open(path, "rb") as handle:
        yield handle
