"""`python manage.py quarantine list|retry|purge`: failed entries and their quarantine copies."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from rs.errors import DomainError


class Command(BaseCommand):
    help = "Failed inbox entries: list them with their reason, retry them, purge their quarantine copies."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        listing = sub.add_parser("list", help="failed entries, newest first")
        listing.add_argument("--inbox", help="only this inbox")
        retry = sub.add_parser("retry", help="queue failed entries again (read from their source)")
        retry.add_argument("ids", nargs="*", type=int, metavar="ID")
        retry.add_argument("--all", action="store_true", help="every failed entry (of --inbox if given)")
        retry.add_argument("--inbox", help="only this inbox")
        purge = sub.add_parser("purge", help="delete quarantine copies (entries keep their state and reason)")
        purge.add_argument("ids", nargs="*", type=int, metavar="ID")
        purge.add_argument("--older-than", type=int, metavar="DAYS", help="copies of entries failed before")
        purge.add_argument("--all", action="store_true", help="every quarantine copy")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            getattr(self, f"_{options['action']}")(options)
        except DomainError as exc:
            raise CommandError(str(exc)) from None

    @staticmethod
    def _inbox_id(name: str | None) -> int | None:
        from rs.ingestion.selectors import inbox_get_by_name

        return inbox_get_by_name(name=name).pk if name else None

    def _list(self, options: dict[str, Any]) -> None:
        from rs.ingestion.selectors import entries_failed

        entries = list(entries_failed(inbox_id=self._inbox_id(options["inbox"])))
        if not entries:
            self.stdout.write("no failed entries")
            return
        for entry in entries:
            when = entry.finished_at.strftime("%Y-%m-%dT%H:%M:%SZ") if entry.finished_at else "-"
            self.stdout.write(f"{entry.pk}  {entry.inbox.name}  {when}  {entry.key}")
            self.stdout.write(f"    reason: {entry.reason}")
            self.stdout.write(f"    quarantine: {entry.quarantine_key or '(no copy)'}")
        self.stdout.write(f"{len(entries)} failed entr{'y' if len(entries) == 1 else 'ies'}")

    def _retry(self, options: dict[str, Any]) -> None:
        from rs.ingestion.services import entries_retry

        if bool(options["ids"]) == bool(options["all"]):
            raise CommandError("give entry ids or --all", returncode=2)
        inbox_id = self._inbox_id(options["inbox"])
        count = entries_retry(entry_ids=options["ids"] or None, inbox_id=inbox_id)
        if options["ids"] and count != len(set(options["ids"])):
            self.stderr.write(f"{len(set(options['ids'])) - count} of the ids are not failed entries")
        self.stdout.write(f"{count} entr{'y' if count == 1 else 'ies'} queued again")

    def _purge(self, options: dict[str, Any]) -> None:
        from rs.ingestion.services import quarantine_purge

        chosen = [bool(options["ids"]), options["older_than"] is not None, bool(options["all"])]
        if sum(chosen) != 1:
            raise CommandError("give entry ids, --older-than DAYS or --all", returncode=2)
        count = quarantine_purge(entry_ids=options["ids"] or None, older_than_days=options["older_than"])
        self.stdout.write(f"{count} quarantine cop{'y' if count == 1 else 'ies'} deleted")
