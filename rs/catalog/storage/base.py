"""What every object store offers, and the single-pass digest both backends compute while they write."""

from __future__ import annotations

import abc
import hashlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import BinaryIO, TypeAlias

from blake3 import blake3

from rs.catalog.storage.errors import ChecksumMismatch, InvalidKey, StorageError

# Reads and range downloads move 1 MiB at a time: large enough to keep hashing and syscalls cheap, small enough that
# many parallel downloads stay within a worker's memory.
READ_CHUNK_BYTES = 1024 * 1024

Source: TypeAlias = BinaryIO | Iterable[bytes] | bytes

_MD5_HEX = re.compile(r"[0-9a-f]{32}")
# Streams from this size are hashed with BLAKE3 on several threads (1 MiB: the size of one read).
BLAKE3_THREADS_FROM = 1024 * 1024


@dataclass(frozen=True, slots=True)
class StoredObject:
    """An object as written: its key, length and the checksums of the bytes received."""

    key: str
    size: int
    md5: str  # hex
    blake3: str  # hex
    stored_at: datetime  # aware, UTC


class ObjectStore(abc.ABC):
    """Product storage: streamed writes with checksums, ranged reads, download URLs, listings."""

    @abc.abstractmethod
    def put_stream(
        self,
        *,
        key: str,
        stream: Source,
        content_type: str = "application/octet-stream",
        expected_size: int | None = None,
        expected_md5: str | None = None,
    ) -> StoredObject:
        """Store the bytes of `stream` under `key`, replacing any object there, or store nothing and raise."""

    @abc.abstractmethod
    def open_range(self, *, key: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        """Bytes start..end (inclusive, like HTTP; clamped to the object) in chunks of at most READ_CHUNK_BYTES.

        ObjectNotFound is raised by the call itself, before the first chunk, so callers can answer 404 in time.
        """

    @abc.abstractmethod
    def exists(self, key: str) -> bool: ...

    @abc.abstractmethod
    def size(self, key: str) -> int:
        """Length in bytes; ObjectNotFound if there is no such object."""

    @abc.abstractmethod
    def modified(self, key: str) -> datetime:
        """When the object was last written (aware UTC); ObjectNotFound if there is no such object."""

    @abc.abstractmethod
    def delete(self, key: str) -> None:
        """Remove the object; a missing object is not an error."""

    def delete_each(self, keys: Iterable[str]) -> dict[str, str]:
        """Remove several objects (missing ones are fine), each on its own: one that cannot be removed does not keep
        the others. Returns the keys left in place → why; stores with a bulk call override this."""
        failed: dict[str, str] = {}
        for key in keys:
            try:
                self.delete(key)
            except (StorageError, InvalidKey) as exc:
                failed[key] = str(exc)
        return failed

    def delete_many(self, keys: Iterable[str]) -> None:
        """Remove several objects (missing ones are fine); StorageError if any is left in place."""
        failed = self.delete_each(keys)
        if failed:
            key, reason = next(iter(failed.items()))
            raise StorageError(f"could not delete {len(failed)} object(s), e.g. {key!r}: {reason}")

    @abc.abstractmethod
    def download_url(self, *, key: str, filename: str, expires_s: int | None = None) -> str:
        """A URL that lets its holder download the object as `filename` until it expires."""

    @abc.abstractmethod
    def list_keys(self, prefix: str = "") -> Iterator[tuple[str, int]]:
        """(key, size) of every object whose key starts with `prefix`, streamed page by page.

        The order is the store's: AWS lists keys in byte order, SeaweedFS and the filesystem walk directories.
        """

    @abc.abstractmethod
    def ensure_bucket(self) -> None:
        """Create the bucket or root directory if it does not exist yet."""


class StreamDigest:
    """Length, MD5 and BLAKE3 of the bytes an upload passes through `feed`, so its source is read exactly once."""

    def __init__(self, *, key: str, expected_size: int | None, expected_md5: str | None) -> None:
        if expected_md5 is not None and not _MD5_HEX.fullmatch(expected_md5.lower()):
            raise ValueError(f"expected_md5={expected_md5!r}: give 32 hexadecimal digits")
        self.key = key
        self.expected_size = expected_size
        self.expected_md5 = expected_md5.lower() if expected_md5 is not None else None
        self.size = 0
        self._md5 = hashlib.md5(usedforsecurity=False)
        self._blake3: blake3 | None = None  # chosen at the first chunk, by the size of the stream

    def _blake3_for(self, first_chunk: bytes) -> blake3:
        """BLAKE3 on several threads for large streams only: below a few hundred KiB, waking the threads costs more
        than hashing (and, on a busy machine, far more: the threads wait for a core)."""
        size = self.expected_size if self.expected_size is not None else len(first_chunk)
        return blake3(max_threads=blake3.AUTO if size >= BLAKE3_THREADS_FROM else 1)

    def feed(self, stream: Source) -> Iterator[bytes]:
        for chunk in _source_chunks(stream):
            if not chunk:
                continue
            if self._blake3 is None:
                self._blake3 = self._blake3_for(chunk)
            self._md5.update(chunk)
            self._blake3.update(chunk)
            self.size += len(chunk)
            # Stop at the first byte too many instead of uploading the rest of an oversized stream.
            if self.expected_size is not None and self.size > self.expected_size:
                raise self._mismatch(f"more than the expected {self.expected_size} bytes")
            yield chunk

    def verify(self) -> None:
        """Compare what was received with what was announced; call before the object becomes visible."""
        if self.expected_size is not None and self.size != self.expected_size:
            raise self._mismatch(f"{self.size} bytes received, {self.expected_size} expected")
        if self.expected_md5 is not None and self._md5.hexdigest() != self.expected_md5:
            raise self._mismatch(f"MD5 {self._md5.hexdigest()} received, {self.expected_md5} expected")

    def stored_mismatch(self, what: str) -> ChecksumMismatch:
        return self._mismatch(what)

    def stored_size_mismatch(self, stored_size: int) -> ChecksumMismatch | None:
        """The error to raise when the store holds a different length than we sent (it lost or added bytes)."""
        if stored_size == self.size:
            return None
        return self._mismatch(f"the store holds {stored_size} bytes, {self.size} were sent")

    def result(self) -> StoredObject:
        return StoredObject(
            key=self.key,
            size=self.size,
            md5=self._md5.hexdigest(),
            blake3=(self._blake3 or blake3()).hexdigest(),
            stored_at=datetime.now(UTC),
        )

    def _mismatch(self, what: str) -> ChecksumMismatch:
        return ChecksumMismatch(f"Object {self.key!r} was not stored: {what}.", details={"key": self.key})


def range_check(start: int, end: int | None) -> None:
    if start < 0 or (end is not None and end < start):
        raise ValueError(f"invalid byte range {start}-{end}")


def _source_chunks(stream: Source) -> Iterator[bytes]:
    if isinstance(stream, bytes | bytearray):
        yield bytes(stream)
        return
    read = getattr(stream, "read", None)
    if callable(read):
        while chunk := read(READ_CHUNK_BYTES):
            yield chunk
        return
    yield from stream
