"""`python manage.py ingest PATH... [--no-publish] [--mission S1] [--jobs N]`: one-off bulk ingestion.

Ingests in this process (no worker needed), with a progress bar on a terminal and a summary table at the end. Exit
status 0 when every item is ingested (or was already), 1 when any failed or is left for a later retry, 2 on bad usage.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections

from rs.catalog.choices import Mission
from rs.ingestion.choices import EntryState


class Command(BaseCommand):
    help = "Ingest files and folders now: products, archives, or folders holding them (walked like an inbox)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+", metavar="PATH", type=Path)
        parser.add_argument("--no-publish", action="store_true", help="catalogue without publishing")
        parser.add_argument("--mission", choices=Mission.values, default="",
                            help="mission of session files whose name and path do not tell it")
        parser.add_argument("--jobs", type=int, default=2, help="parallel transfers (default 2)")

    def handle(self, *args: Any, **options: Any) -> None:
        from rs.ingestion.services import cli_inbox, inbox_drain, paths_expand, paths_record

        if not 1 <= options["jobs"] <= 32:
            raise CommandError("--jobs must be between 1 and 32", returncode=2)
        items, problems = paths_expand(options["paths"])
        for problem in problems:
            self.stderr.write(problem)
        if not items:
            raise CommandError("nothing to ingest", returncode=2 if problems else 1)
        inbox = cli_inbox(publish=not options["no_publish"], mission=options["mission"])
        entries = paths_record(inbox=inbox, items=items)
        before = {path: entry.state for path, entry in entries.items()}
        todo = sum(1 for state in before.values() if state == EntryState.PENDING)
        progress = _Progress(self.stderr, total=todo)

        def drain() -> None:
            try:
                inbox_drain(inbox_id=inbox.pk, on_entry=lambda entry, state: progress.step(state))
            finally:
                connections.close_all()  # this thread's own database connection

        with ThreadPoolExecutor(max_workers=options["jobs"]) as pool:
            for future in [pool.submit(drain) for _ in range(options["jobs"])]:
                future.result()
        progress.done()
        failed = self._summary(entries, before)
        if failed or problems:
            raise CommandError(f"{failed + len(problems)} of {len(items) + len(problems)} item(s) not ingested",
                               returncode=1)

    def _summary(self, entries: dict[Path, Any], before: dict[Path, str]) -> int:
        from rs.ingestion.models import InboxEntry

        rows = {e.pk: e for e in InboxEntry.objects.filter(pk__in=[e.pk for e in entries.values()])}
        table = []
        counts: dict[str, int] = {}
        for item_path, entry in sorted(entries.items()):
            now = rows[entry.pk]
            if now.state == EntryState.INGESTED:
                status = "ingested" if before[item_path] != EntryState.INGESTED else "already"
                detail = f"{now.product_name or now.name.rsplit('/', 1)[-1]} {now.product_id}"
            elif now.state == EntryState.FAILED:
                status = "failed"
                detail = now.reason + (f" [quarantine: {now.quarantine_key}]" if now.quarantine_key else "")
            elif now.state == EntryState.PENDING:
                status, detail = "retry", now.reason
            else:
                status, detail = now.state, now.reason
            counts[status] = counts.get(status, 0) + 1
            table.append((status, str(item_path), detail))
        width = max(len(row[1]) for row in table)
        self.stdout.write(f"{'STATUS':<9} {'PATH':<{width}} DETAIL")
        for status, path, detail in table:
            self.stdout.write(f"{status:<9} {path:<{width}} {detail}")
        order = ["ingested", "already", "failed", "retry"]
        self.stdout.write(", ".join(f"{k}: {counts[k]}" for k in order if k in counts))
        return sum(counts.get(k, 0) for k in ("failed", "retry", EntryState.WAITING, EntryState.TRANSFERRING))


class _Progress:
    """A one-line progress bar on a terminal; silent when the output is a file or a pipe."""

    def __init__(self, stream: Any, *, total: int) -> None:
        self.stream, self.total, self.count = stream, total, 0
        self.enabled = total > 0 and stream.isatty()
        self.lock = threading.Lock()
        self.failures = 0

    def step(self, state: str) -> None:
        with self.lock:
            self.count += 1
            self.failures += state == EntryState.FAILED
            if self.enabled:
                filled = int(30 * min(self.count, self.total) / self.total)
                self.stream.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {self.count}/{self.total}"
                                  f"  failed {self.failures}", ending="")
                self.stream.flush()

    def done(self) -> None:
        if self.enabled:
            self.stream.write("")
