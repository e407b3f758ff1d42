"""A stored product as the comparison sees it (comparison/outputs.OutputFacts): its size, checksum and metadata
documents, read from object storage.

Folder products are stored zipped (`.zip`; S2 as `.tar`): the metadata documents (SAFE `manifest.safe`, S3
`xfdumanifest.xml`, S2 `MTD_*.xml` and `Inventory_Metadata.xml`) are read from the archive and named by their
file name — the folders above them carry the product name, which differs between two runs — with `#2`, `#3` for
the second and third of the same name (in path order). A file product that is XML is itself the document.

The archive is read through ranged requests (`RangeFile`): a zip's central directory and its few documents, a
tar's member headers and documents — kilobytes, whatever the size of the product's measurement files.
"""

from __future__ import annotations

import io
import re
import tarfile
import zipfile
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import IO

from rs.campaigns.comparison.metadata import MAX_DOCUMENT_BYTES
from rs.campaigns.comparison.outputs import OutputFacts
from rs.catalog.storage import ObjectNotFound, StorageError, object_store

METADATA_DOCUMENT = re.compile(r"^(manifest\.safe|xfdumanifest\.xml|MTD_[A-Za-z0-9_]+\.xml|Inventory_Metadata\.xml)$")
# One ranged request reads at least this much: a zip's central directory or a few tar headers at a time.
READ_AHEAD_BYTES = 256 * 1024


class RangeFile(io.RawIOBase):
    """A stored object as a read-only seekable file, each read a ranged request (with read-ahead)."""

    def __init__(self, key: str) -> None:
        super().__init__()
        self._store = object_store()
        self._key = key
        self._size = self._store.size(key)
        self._position = 0
        self._buffer_start = 0
        self._buffer = b""
        self.requests = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self._size}[whence]
        self._position = max(0, base + offset)
        return self._position

    def readinto(self, target: bytearray | memoryview) -> int:  # type: ignore[override]
        wanted = min(len(target), self._size - self._position)
        if wanted <= 0:
            return 0
        offset = self._position - self._buffer_start
        if offset < 0 or offset + wanted > len(self._buffer):
            # near the end, the window ends with the object: a zip's end record and central directory in one read
            start = max(0, min(self._position, self._size - max(wanted, READ_AHEAD_BYTES)))
            end = min(self._size, start + max(wanted + self._position - start, READ_AHEAD_BYTES)) - 1
            self._buffer = b"".join(self._store.open_range(key=self._key, start=start, end=end))
            self._buffer_start, offset = start, self._position - start
            self.requests += 1
        chunk = self._buffer[offset:offset + wanted]
        target[:len(chunk)] = chunk
        self._position += len(chunk)
        return len(chunk)


@dataclass(frozen=True)
class StoredProduct:
    product_type: str
    name: str
    size: int
    md5: str
    storage_key: str


@dataclass
class Fetched:
    facts: OutputFacts
    problems: list[str] = field(default_factory=list)
    lasting: bool = True  # False when the store failed (reading again later may succeed): not worth keeping


def product_fetch(product: StoredProduct) -> Fetched:
    """The product's facts; a product that cannot be read (gone, too big, not an archive) keeps its size and
    checksum, and the problem is said."""
    problems: list[str] = []
    documents: dict[str, bytes] = {}
    lasting = True
    if not product.storage_key:
        problems.append("no stored object: compared by size and checksum only")
    else:
        try:
            documents = _documents(product)
        except (ObjectNotFound, StorageError) as exc:
            problems.append(f"object {product.storage_key} unreadable ({exc}): compared by size and checksum only")
            lasting = isinstance(exc, ObjectNotFound)
        except (zipfile.BadZipFile, tarfile.TarError, OSError, EOFError) as exc:
            problems.append(f"not a readable archive ({exc}): compared by size and checksum only")
    facts = OutputFacts(product_type=product.product_type, name=product.name, size=product.size, md5=product.md5,
                        documents=documents)
    return Fetched(facts=facts, problems=problems, lasting=lasting)


def _documents(product: StoredProduct) -> dict[str, bytes]:
    key = product.storage_key
    if not key.endswith((".zip", ".tar")) and not product.name.lower().endswith(".xml"):
        return {}
    with io.BufferedReader(RangeFile(key)) as stored:
        if key.endswith(".zip"):
            return _from_zip(stored)
        if key.endswith(".tar"):
            return _from_tar(stored)
        return {PurePosixPath(product.name).name: stored.read(MAX_DOCUMENT_BYTES + 1)}


def _named(paths: list[str]) -> dict[str, str]:
    """archive path → document name (file name, `#n` from the second of a name on, in path order)."""
    seen: dict[str, int] = {}
    names = {}
    for path in sorted(paths):
        base = PurePosixPath(path).name
        seen[base] = seen.get(base, 0) + 1
        names[path] = base if seen[base] == 1 else f"{base}#{seen[base]}"
    return names


def _from_zip(spool: IO[bytes]) -> dict[str, bytes]:
    with zipfile.ZipFile(spool) as archive:
        members = {i.filename: i for i in archive.infolist()
                   if not i.is_dir() and METADATA_DOCUMENT.match(PurePosixPath(i.filename).name)}
        documents = {}
        for path, name in _named(list(members)).items():
            with archive.open(members[path]) as member:  # read at most one byte past the limit: refused there
                documents[name] = member.read(MAX_DOCUMENT_BYTES + 1)
        return documents


def _from_tar(spool: IO[bytes]) -> dict[str, bytes]:
    with tarfile.open(fileobj=spool, mode="r:") as archive:
        members = {m.name: m for m in archive.getmembers()
                   if m.isfile() and METADATA_DOCUMENT.match(PurePosixPath(m.name).name)}
        documents = {}
        for path, name in _named(list(members)).items():
            extracted = archive.extractfile(members[path])
            if extracted is not None:
                documents[name] = extracted.read(MAX_DOCUMENT_BYTES + 1)
        return documents
