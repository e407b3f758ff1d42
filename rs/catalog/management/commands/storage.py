"""`python manage.py storage ensure-bucket`: object-storage administration."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "Object storage administration: ensure-bucket (create the bucket or root folder if missing)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        sub.add_parser("ensure-bucket", help="create the bucket (S3) or the root folder (filesystem) if missing")

    def handle(self, *args: Any, **options: Any) -> None:
        from rs.catalog.storage import StorageError, object_store

        try:
            object_store().ensure_bucket()
        except StorageError as exc:
            raise CommandError(f"object storage ({settings.RS_STORAGE}) is not usable: {exc}") from None
        where = settings.RS_S3_BUCKET if settings.RS_STORAGE == "s3" else settings.RS_STORAGE_ROOT
        self.stdout.write(f"object storage ready: {settings.RS_STORAGE} {where}")
