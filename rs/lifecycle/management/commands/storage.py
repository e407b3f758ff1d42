"""`python manage.py storage ensure-bucket|check [--repair] [--checksums] [--resume]`."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from rs.errors import DomainError


class Command(BaseCommand):
    help = "Object storage: ensure-bucket (create the bucket or root), check (catalog versus storage)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        sub.add_parser("ensure-bucket", help="create the bucket (S3) or the root folder (filesystem) if missing")
        check = sub.add_parser("check", help="compare the catalog with the object store")
        check.add_argument("--repair", action="store_true",
                           help="delete orphan objects older than the grace, evict products without a sound object")
        check.add_argument("--checksums", action="store_true", help="also read every object and compare its MD5")
        check.add_argument("--resume", action="store_true", help="continue the last interrupted check")
        check.add_argument("--json", action="store_true", help="one JSON object per finding, then the counts")

    def handle(self, *args: Any, **options: Any) -> None:
        from rs.catalog.storage import StorageError, object_store

        try:
            if options["action"] == "ensure-bucket":
                object_store().ensure_bucket()
                where = settings.RS_S3_BUCKET if settings.RS_STORAGE == "s3" else settings.RS_STORAGE_ROOT
                self.stdout.write(f"object storage ready: {settings.RS_STORAGE} {where}")
            else:
                self._check(options)
        except StorageError as exc:
            raise CommandError(f"object storage ({settings.RS_STORAGE}) is not usable: {exc}") from None
        except DomainError as exc:
            raise CommandError(str(exc)) from None

    def _check(self, options: dict[str, Any]) -> None:
        from rs.lifecycle.storage_check import storage_check

        as_json = options["json"]

        def report(finding: dict[str, Any]) -> None:
            if as_json:
                self.stdout.write(json.dumps(finding))
            else:
                details = " ".join(f"{k}={v}" for k, v in finding.items() if k != "kind")
                self.stdout.write(f"{finding['kind']:<18} {details}")

        run = storage_check(repair=options["repair"], verify_checksums=options["checksums"],
                            resume=options["resume"], report=report)
        if as_json:
            self.stdout.write(json.dumps({"run": run.pk, "counts": run.counts}))
        else:
            counts = ", ".join(f"{k}: {v}" for k, v in sorted(run.counts.items())) or "nothing checked"
            self.stdout.write(f"storage check #{run.pk} finished: {counts}")
        problems = sum(v for k, v in run.counts.items() if k in {"orphan_object", "missing_object", "size_mismatch",
                                                               "checksum_mismatch"})
        if problems and not options["repair"]:
            raise CommandError(f"{problems} inconsistency(ies) found; run with --repair to fix them")
