"""One object per product: folders are packaged on the fly (zip; tar for Sentinel-2), files go as they are.

The archive is produced as a stream of chunks while the files are read, so a product is never copied to a temporary
archive. Members are stored (not compressed: product payloads are already compressed, and deflate would cap the
throughput at one core's speed), in sorted order with their own modification times, so packaging the same folder
twice gives the same bytes — which is what makes "same name and same checksum" recognisable as a duplicate.
"""

from __future__ import annotations

import os
import stat
import tarfile
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from rs.ingestion.errors import BadInput
from rs.ingestion.heartbeat import beat

CHUNK = 1024 * 1024
_TAR_RECORD = 20 * 512


@dataclass(frozen=True)
class Member:
    path: Path
    arcname: str
    size: int
    mtime: float
    is_dir: bool


@dataclass(frozen=True)
class Package:
    """How an item becomes one stored object."""

    path: Path
    suffix: str  # appended to the product name in the object key: ".zip", ".tar" or ""
    content_type: str
    members: tuple[Member, ...]  # folder members; () for a single file
    is_file: bool

    @property
    def file_size(self) -> int | None:
        """The exact object size when the item is stored as it is."""
        return self.members[0].size if self.is_file and self.members else None

    def chunks(self) -> Iterator[bytes]:
        if self.is_file:
            return _file_chunks(self.path)
        if self.suffix == ".tar":
            return _tar_chunks(self.members)
        return _zip_chunks(self.members)


def package_of(path: Path, *, archive: str) -> Package:
    """The package of a file or folder item; `archive` is ".zip" or ".tar" for folders.

    Refuses symbolic links anywhere in a folder (they could make us read outside the item) and unreadable trees.
    """
    if archive not in (".zip", ".tar"):
        raise ValueError(f"unknown archive type {archive!r}")
    if path.is_symlink():
        raise BadInput(f"{path.name}: symbolic link (never followed)")
    if path.is_file():
        size = path.stat().st_size
        return Package(path=path, suffix="", content_type="application/octet-stream",
                       members=(Member(path, path.name, size, path.stat().st_mtime, False),), is_file=True)
    if not path.is_dir():
        raise BadInput(f"{path.name}: neither a regular file nor a folder")
    members = [Member(path, path.name + "/", 0, path.stat().st_mtime, True)]
    for folder, dirs, files in os.walk(path, onerror=_walk_error):
        dirs.sort()
        base = Path(folder)
        for name in sorted(dirs) + sorted(files):
            member_path = base / name
            info = member_path.lstat()
            arcname = member_path.relative_to(path.parent).as_posix()
            if stat.S_ISLNK(info.st_mode):
                raise BadInput(f"symbolic link inside the product: {arcname}")
            if stat.S_ISDIR(info.st_mode):
                members.append(Member(member_path, arcname + "/", 0, info.st_mtime, True))
            elif stat.S_ISREG(info.st_mode):
                members.append(Member(member_path, arcname, info.st_size, info.st_mtime, False))
            else:
                raise BadInput(f"special file inside the product: {arcname}")
    content_type = "application/zip" if archive == ".zip" else "application/x-tar"
    return Package(path=path, suffix=archive, content_type=content_type, members=tuple(members), is_file=False)


def _walk_error(exc: OSError) -> None:
    raise exc


def _file_chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            beat()
            yield chunk


class _Sink:
    """A write-only, non-seekable file: zipfile then writes data descriptors instead of seeking back."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self._parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self._parts)
        self._parts.clear()
        return data


def _zip_chunks(members: tuple[Member, ...]) -> Iterator[bytes]:
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        for member in members:
            info = zipfile.ZipInfo(member.arcname, date_time=time.gmtime(max(member.mtime, 315532800))[:6])
            if member.is_dir:
                info.external_attr = (0o40755 << 16) | 0x10
                archive.writestr(info, b"")
            else:
                info.external_attr = 0o100644 << 16
                info.file_size = member.size  # lets zipfile choose ZIP64 headers up front for members ≥ 4 GiB
                with member.path.open("rb") as source, archive.open(info, "w") as target:
                    while chunk := source.read(CHUNK):
                        target.write(chunk)
                        beat()
                        yield sink.take()
            if data := sink.take():
                yield data
    yield sink.take()  # the central directory, written when the archive closes


def _tar_chunks(members: tuple[Member, ...]) -> Iterator[bytes]:
    written = 0
    for member in members:
        info = tarfile.TarInfo(member.arcname.rstrip("/"))
        info.mtime = int(member.mtime)
        info.mode = 0o755 if member.is_dir else 0o644
        info.type = tarfile.DIRTYPE if member.is_dir else tarfile.REGTYPE
        info.size = 0 if member.is_dir else member.size
        header = info.tobuf(format=tarfile.PAX_FORMAT, encoding="utf-8", errors="strict")
        written += len(header)
        yield header
        if member.is_dir:
            continue
        remaining = member.size
        with member.path.open("rb") as source:
            while remaining > 0 and (chunk := source.read(min(CHUNK, remaining))):
                remaining -= len(chunk)
                written += len(chunk)
                beat()
                yield chunk
        if remaining:
            raise BadInput(f"{member.arcname} shrank while it was packaged")
        if padding := -member.size % 512:
            written += padding
            yield b"\0" * padding
    end = b"\0" * 1024
    written += len(end)
    yield end + b"\0" * (-written % _TAR_RECORD)
