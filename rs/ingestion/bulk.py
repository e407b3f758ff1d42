"""One-off ingestion of paths given on the command line (`manage.py ingest PATH...`).

Each path is recorded as an entry of the `cli` inbox (root "/", keyed by absolute path) and ingested by the same
transfer as the polled inboxes, so nothing is ingested twice across runs and a killed run resumes. A path that is a
product (file, archive, SAFE/SEN3/S2 folder) is one entry; any other folder is walked like a directory inbox.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from rs.ingestion.choices import EntryState, InboxKind
from rs.ingestion.constants import CLI_INBOX
from rs.ingestion.models import Inbox, InboxEntry
from rs.ingestion.sources import ListedItem
from rs.ingestion.sources.directory import DirectorySource
from rs.ingestion.sources.layout import is_product_folder

_SESSION_PARENTS = 4  # [station/][S1A/][session/][ch01/]DCS_…: what a session file name needs of its path


@dataclass(frozen=True)
class BulkItem:
    path: Path
    name: str  # what identification reads
    size: int | None
    source_time: datetime | None


def cli_inbox(*, publish: bool, mission: str = "") -> Inbox:
    """The `cli` inbox (created on first use; never polled). `publish` and `mission` apply to this run."""
    inbox, _ = Inbox.objects.get_or_create(
        name=CLI_INBOX,
        defaults={"kind": InboxKind.DIRECTORY, "location": "/", "enabled": False, "publish": publish},
    )
    if inbox.publish != publish or inbox.mission != mission:
        Inbox.objects.filter(pk=inbox.pk).update(publish=publish, mission=mission)
        inbox.publish, inbox.mission = publish, mission
    return inbox


def _direct_name(path: Path) -> str:
    """Name of a path given directly: the file name, with its delivery folders for a session file."""
    if not path.name.startswith("DCS_"):
        return path.name
    parts = [path.name]
    for parent in list(path.parents)[:_SESSION_PARENTS]:
        if not parent.name or any(c.isspace() for c in parent.name):
            break
        parts.insert(0, parent.name)
    return "/".join(parts)


def paths_expand(paths: Iterable[Path]) -> tuple[list[BulkItem], list[str]]:
    """The items under the given paths, and a message for every path that does not exist."""
    items: list[BulkItem] = []
    problems: list[str] = []
    for given in paths:
        path = Path(os.path.abspath(given))
        if not path.exists() and not path.is_symlink():
            problems.append(f"{given}: no such file or folder")
            continue
        if path.is_dir() and not path.is_symlink() and not is_product_folder(path.name):
            walker = DirectorySource(Inbox(location=str(path)))
            for listed in walker.listing(cursor={}):
                if isinstance(listed, ListedItem):
                    items.append(BulkItem(path / listed.key, listed.name, listed.size, listed.source_time))
            continue
        stat = path.lstat()
        items.append(BulkItem(path, _direct_name(path), stat.st_size if path.is_file() else None,
                              datetime.fromtimestamp(stat.st_mtime, UTC)))
    return items, problems


@transaction.atomic
def paths_record(*, inbox: Inbox, items: list[BulkItem]) -> dict[Path, InboxEntry]:
    """Entries for the items: new ones and failed or skipped ones become pending; ingested ones stay as they are."""
    keys = {str(item.path).lstrip("/"): item for item in items}
    existing = {e.key: e for e in InboxEntry.objects.filter(inbox=inbox, key__in=list(keys))}
    InboxEntry.objects.bulk_create(
        [InboxEntry(inbox=inbox, key=key, name=item.name[:1024], size=item.size, source_time=item.source_time,
                    state=EntryState.PENDING, fingerprint=f"{item.size}")
         for key, item in keys.items() if key not in existing],
        ignore_conflicts=True,
    )
    InboxEntry.objects.filter(
        inbox=inbox, key__in=[k for k, e in existing.items() if e.state in (EntryState.FAILED, EntryState.SKIPPED)]
    ).update(state=EntryState.PENDING, attempts=0, next_attempt_at=None, finished_at=None, reason="")
    # Entries already pending from an earlier run are due now: this run is the operator's request to do them.
    InboxEntry.objects.filter(inbox=inbox, key__in=list(keys), state=EntryState.PENDING).update(
        next_attempt_at=timezone.now())
    rows = InboxEntry.objects.filter(inbox=inbox, key__in=list(keys))
    return {Path("/" + e.key): e for e in rows}
