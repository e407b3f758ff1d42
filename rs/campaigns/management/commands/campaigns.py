"""`python manage.py campaigns comparisons-store [--campaign ID]`."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from rs.catalog.storage import StorageError
from rs.errors import DomainError


class Command(BaseCommand):
    help = "Validation campaigns: store the comparisons of finished campaigns that have none stored yet."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        store = sub.add_parser("comparisons-store", help="make and store the comparisons not stored yet of every "
                                                          "finished campaign (or of one), in this process")
        store.add_argument("--campaign", type=int, help="this campaign only (finished or not)")

    def handle(self, *args: Any, **options: Any) -> None:
        from rs.campaigns import selectors, services

        try:
            ids = ([options["campaign"]] if options["campaign"] else
                   list(selectors.campaigns_with_comparisons_unstored().values_list("pk", flat=True)))
            for campaign_id in ids:
                stored = services.campaign_comparisons_store(campaign_id=campaign_id)
                self.stdout.write(f"campaign {campaign_id}: {stored} comparison(s) stored")
        except StorageError as exc:
            raise CommandError(f"object storage is not usable: {exc}") from None
        except DomainError as exc:
            raise CommandError(str(exc)) from None
