"""`python manage.py catalog demo [--if-empty]`: catalogue administration from the command line."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from rs.errors import DomainError


class Command(BaseCommand):
    help = "Catalog administration: demo (load the demo products)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        demo = sub.add_parser("demo", help="register the demo products (bytes in object storage, published)")
        demo.add_argument("--if-empty", action="store_true", help="do nothing when the catalog has products")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["action"] == "demo":
                self._demo(if_empty=options["if_empty"])
        except DomainError as exc:
            raise CommandError(str(exc)) from None

    def _demo(self, *, if_empty: bool) -> None:
        from rs.catalog import selectors
        from rs.catalog.demo import demo_catalog_load

        if if_empty and selectors.product_search(scope=None).exists():
            self.stdout.write("catalog not empty: demo products not loaded")
            return
        added = demo_catalog_load()
        self.stdout.write(self.style.SUCCESS(f"demo products registered: {added}"))
