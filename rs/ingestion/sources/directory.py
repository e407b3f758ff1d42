"""Directory inbox (local disk or NFS): items are read in place, never copied to a staging area."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rs.ingestion.errors import BadInput, ItemGone, SourceUnavailable
from rs.ingestion.sources import Checkpoint, ListedItem, LocalItem
from rs.ingestion.sources.layout import (
    COMPANION_SUFFIXES,
    companion_md5,
    is_companion,
    is_product_folder,
    segment_ignored,
)

if TYPE_CHECKING:
    from rs.ingestion.models import Inbox, InboxEntry

# Station trees are station/satellite/session/channel/file; deeper folders are not walked (and loops are impossible
# anyway because symbolic links are never followed).
MAX_DEPTH = 8


class DirectorySource:
    def __init__(self, inbox: Inbox) -> None:
        self.root = Path(inbox.location)

    def listing(self, *, cursor: Mapping[str, Any]) -> Iterator[ListedItem | Checkpoint]:
        if not self.root.is_dir():
            raise SourceUnavailable(f"directory {self.root} does not exist or is not reachable")
        return self._walk(self.root, "", depth=0)

    def _walk(self, folder: Path, prefix: str, *, depth: int) -> Iterator[ListedItem]:
        try:
            with os.scandir(folder) as scan:
                children = sorted(scan, key=lambda e: e.name)
        except FileNotFoundError:
            return  # removed while we walked: it will not be there next time either
        except OSError as exc:
            raise SourceUnavailable(f"cannot list {folder}: {exc.strerror or exc}") from exc
        for child in children:
            if segment_ignored(child.name) or is_companion(child.name):
                continue
            relative = prefix + child.name
            try:
                if child.is_symlink():
                    # Listed so that it is recorded and failed with its reason; never followed.
                    yield ListedItem(key=relative, name=relative, size=None, fingerprint="symlink",
                                     source_time=None, stable=True)
                elif child.is_dir(follow_symlinks=False):
                    if is_product_folder(child.name):
                        yield self._folder_item(Path(child.path), relative)
                    elif depth < MAX_DEPTH:
                        yield from self._walk(Path(child.path), relative + "/", depth=depth + 1)
                elif child.is_file(follow_symlinks=False):
                    stat = child.stat(follow_symlinks=False)
                    yield ListedItem(
                        key=relative, name=relative, size=stat.st_size,
                        fingerprint=f"{stat.st_size}:{stat.st_mtime_ns}",
                        source_time=datetime.fromtimestamp(stat.st_mtime, UTC), stable=False,
                    )
            except FileNotFoundError:
                continue

    @staticmethod
    def _folder_item(path: Path, relative: str) -> ListedItem:
        """A folder product: its size, file count and latest modification decide stability and t0."""
        size = count = 0
        latest = path.stat().st_mtime_ns
        for folder, dirs, files in os.walk(path):
            for name, is_file in [(d, False) for d in dirs] + [(f, True) for f in files]:
                try:
                    stat = os.stat(os.path.join(folder, name), follow_symlinks=False)
                except FileNotFoundError:
                    continue
                latest = max(latest, stat.st_mtime_ns)
                if is_file:
                    size += stat.st_size
                    count += 1
        return ListedItem(
            key=relative, name=relative, size=size, fingerprint=f"{size}:{latest}:{count}",
            source_time=datetime.fromtimestamp(latest / 1e9, UTC), stable=False,
        )

    @contextmanager
    def fetch(self, entry: InboxEntry) -> Iterator[LocalItem]:
        path = self.root / entry.key
        if path.is_symlink():
            raise BadInput("symbolic link: items are never read through links (they could point outside the inbox)")
        if not path.exists():
            if not self.root.is_dir():
                raise SourceUnavailable(f"directory {self.root} is not reachable")
            raise ItemGone(f"{entry.key} is no longer in the inbox")
        expected_md5 = ""
        for suffix in COMPANION_SUFFIXES:
            companion = path.with_name(path.name + suffix)
            if path.is_file() and companion.is_file() and not companion.is_symlink():
                with companion.open("rb") as handle:
                    expected_md5 = companion_md5(handle.read(4096))
                break
        yield LocalItem(path=path, expected_md5=expected_md5)
