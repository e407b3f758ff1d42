"""manage.py stac rebuild-extents: recompute the collections and their extents from the published products."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "STAC API maintenance: `rebuild-extents` recomputes every collection from the catalogue."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["rebuild-extents"])

    def handle(self, *args: Any, **options: Any) -> None:
        from rs.stac.services import collection_extents_rebuild

        count = collection_extents_rebuild()
        self.stdout.write(f"{count} collections")
