"""`python manage.py inbox list` and `inbox poll NAME [--enqueue]`: inboxes from the command line."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from rs.errors import DomainError
from rs.ingestion.choices import EntryState

_STATES = [EntryState.WAITING, EntryState.PENDING, EntryState.TRANSFERRING, EntryState.INGESTED,
           EntryState.SKIPPED, EntryState.FAILED]


class Command(BaseCommand):
    help = "Inboxes: list (with entry counts per state), poll NAME (list the source now and ingest what is ready)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        sub.add_parser("list", help="every inbox with its entry counts per state")
        poll = sub.add_parser("poll", help="poll one inbox now and ingest in this process")
        poll.add_argument("name")
        poll.add_argument("--enqueue", action="store_true", help="leave the transfers to the ingestion workers")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["action"] == "list":
                self._list()
            else:
                self._poll(name=options["name"], enqueue=options["enqueue"])
        except DomainError as exc:
            raise CommandError(str(exc)) from None

    def _list(self) -> None:
        from rs.ingestion.selectors import inboxes_overview

        rows = [("NAME", "KIND", "ENABLED", "LOCATION", *(s.upper() for s in _STATES), "LAST POLL", "ERROR")]
        for overview in inboxes_overview():
            inbox = overview.inbox
            rows.append((
                inbox.name, inbox.kind, "yes" if inbox.enabled else "no", inbox.location,
                *(str(overview.states.get(s, 0)) for s in _STATES),
                inbox.last_polled_at.strftime("%Y-%m-%dT%H:%M:%SZ") if inbox.last_polled_at else "never",
                inbox.last_poll_error.splitlines()[0][:80] if inbox.last_poll_error else "",
            ))
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        for row in rows:
            self.stdout.write("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())

    def _poll(self, *, name: str, enqueue: bool) -> None:
        from rs.ingestion.selectors import inbox_get_by_name
        from rs.ingestion.services import inbox_drain, inbox_poll

        inbox = inbox_get_by_name(name=name)
        summary = inbox_poll(inbox_id=inbox.pk, enqueue=enqueue)
        if summary.busy:
            raise CommandError(f"inbox {name}: another poll is running")
        self.stdout.write(
            f"polled {name}: listed {summary.listed}, new {summary.new}, pending {summary.pending}, "
            f"waiting {summary.waiting}, skipped {summary.skipped}, changed {summary.changed}"
        )
        if not enqueue:
            drained = inbox_drain(inbox_id=inbox.pk)
            states = drained.states
            self.stdout.write(f"ingested {states.get(EntryState.INGESTED, 0)}, "
                              f"failed {states.get(EntryState.FAILED, 0)}, "
                              f"retry later {states.get(EntryState.PENDING, 0)}")
        if summary.error:
            raise CommandError(f"inbox {name}: {summary.error}")
