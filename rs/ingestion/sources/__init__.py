"""Pickup-point sources behind one small protocol.

A source lists what its pickup point holds (`listing`, streamed, with `Checkpoint`s where the listing position may
be saved) and fetches one recorded entry as a local file or folder (`fetch`, a context manager that cleans up
after itself). Everything else — recording, stability, sampling, transfer, catalogue — is the same for every kind.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from rs.ingestion.models import Inbox, InboxEntry


@dataclass(frozen=True)
class ListedItem:
    """One item as the source lists it."""

    key: str  # unique within the inbox: relative path, object key or remote id
    name: str  # what identification reads: relative path (sessions need their folders) or product name
    size: int | None
    fingerprint: str  # changes when the item changes (size + mtime, ETag, remote id)
    source_time: datetime | None  # t0 (OriginDate): mtime, LastModified or PublicationDate
    stable: bool  # complete as listed; False: wait until a second listing shows the same fingerprint
    md5: str = ""
    blake3: str = ""
    remote: Mapping[str, Any] = field(default_factory=dict)
    skip_reason: str = ""  # recorded as skipped at once (e.g. offline at the source)


@dataclass(frozen=True)
class Checkpoint:
    """Every item before this one is listed: once they are recorded, the listing may resume from `cursor`."""

    cursor: Mapping[str, Any]


@dataclass(frozen=True)
class LocalItem:
    """An entry made available locally: the file or folder to read, and what the source announced about it."""

    path: Path
    expected_size: int | None = None  # announced size of a single-file item
    expected_md5: str = ""
    expected_blake3: str = ""
    received_md5: str = ""  # digest of the bytes downloaded when the item was staged ('' when read in place)
    received_blake3: str = ""
    staged: bool = False


class Source(Protocol):
    def listing(self, *, cursor: Mapping[str, Any]) -> Iterator[ListedItem | Checkpoint]: ...

    def fetch(self, entry: InboxEntry) -> AbstractContextManager[LocalItem]: ...


def source_for(inbox: Inbox) -> Source:
    """The source of an inbox, by kind (direct imports: four kinds, no plug-in machinery)."""
    from rs.ingestion.choices import InboxKind
    from rs.ingestion.errors import InboxConfigError

    if inbox.kind == InboxKind.DIRECTORY:
        from rs.ingestion.sources.directory import DirectorySource

        return DirectorySource(inbox)
    if inbox.kind == InboxKind.S3:
        from rs.ingestion.sources.s3 import S3Source

        return S3Source(inbox)
    if inbox.kind == InboxKind.ODATA:
        from rs.ingestion.sources.odata import ODataSource

        return ODataSource(inbox)
    if inbox.kind == InboxKind.CADIP:
        from rs.ingestion.sources.cadip import CadipSource

        return CadipSource(inbox)
    raise InboxConfigError(f"inbox {inbox.name}: unknown kind {inbox.kind!r}")
