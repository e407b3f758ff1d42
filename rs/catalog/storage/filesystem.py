"""Object store on a local filesystem (the embedded default): each key is a file below the storage root."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import BinaryIO

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.urls import reverse

from rs.catalog.storage.base import READ_CHUNK_BYTES, ObjectStore, Source, StoredObject, StreamDigest, range_check
from rs.catalog.storage.errors import ObjectNotFound, StorageError
from rs.catalog.storage.keys import key_check, prefix_check
from rs.catalog.storage.signing import download_token_make

# Uploads are written beside their target under these names and renamed into place; listings skip them.
_PARTIAL_PREFIX = ".rs-upload-"
_PARTIAL_SUFFIX = ".partial"


class FilesystemObjectStore(ObjectStore):
    """Objects as files below the location of a FileSystemStorage; downloads go through /storage/<signed token>."""

    def __init__(self, storage: FileSystemStorage) -> None:
        self._storage = storage
        self.root = Path(storage.location)

    def put_stream(
        self,
        *,
        key: str,
        stream: Source,
        content_type: str = "application/octet-stream",
        expected_size: int | None = None,
        expected_md5: str | None = None,
    ) -> StoredObject:
        # content_type is not kept: downloads are always served as application/octet-stream.
        path = self._path(key)
        digest = StreamDigest(key=key, expected_size=expected_size, expected_md5=expected_md5)
        with _os_errors(key):
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=_PARTIAL_PREFIX, suffix=_PARTIAL_SUFFIX)
        tmp = Path(tmp_name)
        try:
            with open(fd, "wb") as out:
                for chunk in digest.feed(stream):  # errors of the source propagate unchanged
                    with _os_errors(key):
                        out.write(chunk)
                with _os_errors(key):
                    out.flush()
                    os.fsync(out.fileno())
            digest.verify()
            with _os_errors(key):
                if self._storage.file_permissions_mode is not None:
                    os.chmod(tmp, self._storage.file_permissions_mode)  # mkstemp creates files as 0600
                os.replace(tmp, path)  # atomic: readers see the old object or the new one, never a part
                _fsync_directory(path.parent)  # makes the rename itself survive a crash
                stored_size = path.stat().st_size
        except BaseException:
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)
            raise
        if (mismatch := digest.stored_size_mismatch(stored_size)) is not None:
            self.delete(key)
            raise mismatch
        return digest.result()

    def open_range(self, *, key: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        range_check(start, end)
        path = self._path(key)
        try:
            file = open(path, "rb")  # noqa: SIM115 - closed by _file_range when the iterator ends or is closed
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise ObjectNotFound(f"No object {key!r}.", details={"key": key}) from None
        except OSError as exc:
            raise StorageError(f"Filesystem store, {key!r}: {exc}") from exc
        return _file_range(file, key=key, start=start, end=end)

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def size(self, key: str) -> int:
        return self._stat(key).st_size

    def _stat(self, key: str) -> os.stat_result:
        try:
            status = self._path(key).stat()
        except (FileNotFoundError, NotADirectoryError):
            raise ObjectNotFound(f"No object {key!r}.", details={"key": key}) from None
        except OSError as exc:
            raise StorageError(f"Filesystem store, {key!r}: {exc}") from exc
        if not stat.S_ISREG(status.st_mode):  # a directory is a key prefix, not an object
            raise ObjectNotFound(f"No object {key!r}.", details={"key": key})
        return status

    def modified(self, key: str) -> datetime:
        return datetime.fromtimestamp(self._stat(key).st_mtime, tz=UTC)

    def delete(self, key: str) -> None:
        path = self._path(key)
        with _os_errors(key):
            path.unlink(missing_ok=True)

    def download_url(self, *, key: str, filename: str, expires_s: int | None = None) -> str:
        lifetime = settings.RS_DOWNLOAD_URL_EXPIRY_S if expires_s is None else expires_s
        if lifetime < 1:
            raise ValueError(f"expires_s={lifetime}: a download URL must live at least one second")
        expires_at = datetime.now(UTC) + timedelta(seconds=lifetime)
        token = download_token_make(key=key, filename=filename, expires_at=expires_at)
        return reverse("storage-signed-download", kwargs={"token": token})

    def list_keys(self, prefix: str = "") -> Iterator[tuple[str, int]]:
        prefix_check(prefix)
        # Start from the deepest directory the prefix names completely; the rest of it filters names.
        directory_key = prefix.rpartition("/")[0]
        return _walk(self.root / directory_key, directory_key, prefix)

    def ensure_bucket(self) -> None:
        with _os_errors(""):
            self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        # key_check refuses traversal; the storage's safe_join is a second guard against escaping the root.
        return Path(self._storage.path(key_check(key)))


def _file_range(file: BinaryIO, *, key: str, start: int, end: int | None) -> Iterator[bytes]:
    with file, _os_errors(key):
        file.seek(start)
        remaining = None if end is None else end - start + 1
        while remaining is None or remaining > 0:
            chunk = file.read(READ_CHUNK_BYTES if remaining is None else min(READ_CHUNK_BYTES, remaining))
            if not chunk:
                return
            if remaining is not None:
                remaining -= len(chunk)
            yield chunk


def _walk(directory: Path, directory_key: str, prefix: str) -> Iterator[tuple[str, int]]:
    try:
        entries = list(os.scandir(directory))
    except (FileNotFoundError, NotADirectoryError):
        return
    except OSError as exc:
        raise StorageError(f"Filesystem store, listing {directory_key!r}: {exc}") from exc
    entries.sort(key=lambda entry: entry.name)  # a stable order makes listings comparable between runs
    for entry in entries:
        key = f"{directory_key}/{entry.name}" if directory_key else entry.name
        if entry.is_dir(follow_symlinks=False):
            if (key + "/").startswith(prefix) or prefix.startswith(key + "/"):
                yield from _walk(Path(entry.path), key, prefix)
        elif entry.is_file(follow_symlinks=False) and key.startswith(prefix) and not _is_partial(entry.name):
            yield key, entry.stat(follow_symlinks=False).st_size


def _is_partial(name: str) -> bool:
    return name.startswith(_PARTIAL_PREFIX) and name.endswith(_PARTIAL_SUFFIX)


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def _os_errors(key: str) -> Iterator[None]:
    try:
        yield
    except OSError as exc:
        raise StorageError(f"Filesystem store, {key!r}: {exc}") from exc
