"""`python manage.py lifecycle evict [--dry-run] [--json] | pressure | purge | recompute | policies`."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from rs.catalog.storage import StorageError
from rs.errors import DomainError


class Command(BaseCommand):
    help = "Data lifecycle: eviction (with a dry-run report), storage pressure, metadata purge, policies."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        evict = sub.add_parser("evict", help="evict the products whose EvictionDate has passed")
        evict.add_argument("--dry-run", action="store_true", help="list what would be evicted and why; change nothing")
        evict.add_argument("--json", action="store_true", help="the report as JSON")
        sub.add_parser("pressure", help="apply the storage quotas (evict the oldest above the high-water mark)")
        sub.add_parser("purge", help="remove the entries of products evicted longer ago than the purge delay")
        sub.add_parser("recompute", help="recompute every EvictionDate from the current policies")
        sub.add_parser("policies", help="list the retention policies in order, with unreachable ones flagged")

    def handle(self, *args: Any, **options: Any) -> None:
        from rs.lifecycle import selectors, services

        try:
            action = options["action"]
            if action == "evict":
                report = services.eviction_run(dry_run=options["dry_run"])
                if options["json"]:
                    self.stdout.write(json.dumps({"evicted": report.evicted, "removed": report.removed,
                                                  "planned": report.planned, "protected": report.protected}))
                    return
                for item in report.planned:
                    self.stdout.write(f"would evict  {item['name']}  {item['reason']}")
                for item in report.protected:
                    self.stdout.write(f"kept         {item['name']}  {item['reason']}")
                verb = "would be evicted" if options["dry_run"] else "evicted"
                count = len(report.planned) if options["dry_run"] else report.evicted
                self.stdout.write(f"{count} product(s) {verb}, {len(report.protected)} protected")
            elif action == "pressure":
                for family, count in services.pressure_run().items():
                    self.stdout.write(f"{family}: {count} product(s) evicted")
            elif action == "purge":
                self.stdout.write(f"{services.metadata_purge()} entry(ies) purged")
            elif action == "recompute":
                self.stdout.write(f"{services.eviction_dates_recompute()} eviction date(s) changed")
            else:
                self._policies(selectors)
        except StorageError as exc:
            raise CommandError(f"object storage is not usable: {exc}") from None
        except DomainError as exc:
            raise CommandError(str(exc)) from None

    def _policies(self, selectors: Any) -> None:
        from rs.lifecycle.models import RetentionPolicy

        shadowed = {s.policy.pk: s.shadowed_by for s in selectors.policies_shadowed()}
        for policy in RetentionPolicy.objects.order_by("position", "id"):
            days = "for ever" if policy.retention_days is None else f"{policy.retention_days} d"
            flag = f"  UNREACHABLE (after {shadowed[policy.pk].name})" if policy.pk in shadowed else ""
            state = "" if policy.enabled else "  (disabled)"
            self.stdout.write(f"{policy.position:>4} {policy.name:<28} {policy.family or '*':<16} "
                              f"{policy.name_regex or '*':<40.40} {days}{state}{flag}")
