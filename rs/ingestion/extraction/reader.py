"""ProductReader: read-only access to a delivered product, whatever its packaging.

Packagings:
* a folder: the folder is the product root (`X.SAFE/`);
* a `.zip`, `.tar`, `.tgz`/`.tar.gz`: when every member lies under one top folder, that folder is the root
  (`X.SAFE.zip` holding `X.SAFE/…`), otherwise the archive root is;
* a single file (EOF, XML aux, DSIB, jp2 …), or an archive holding exactly one file and no folder: the product is that
  one file, read with `read("")` (or with its member name).

Nothing is ever extracted to disk; members are read in memory up to a cap. Unsafe archives (member names escaping
the root, links, too many members, too much uncompressed data, suspicious compression ratios) are refused at open.
"""

from __future__ import annotations

import os
import re
import stat
import tarfile
import zipfile
import zlib
from fnmatch import fnmatchcase
from pathlib import Path
from types import TracebackType
from typing import IO

from rs.ingestion.extraction.errors import ExtractionError
from rs.ingestion.extraction.limits import (
    DEFAULT_MAX_READ,
    MAX_COMPRESSION_RATIO,
    MAX_MEMBERS,
    MAX_TOTAL_UNCOMPRESSED,
    RATIO_CHECK_FLOOR,
)

_DRIVE = re.compile(r"^[A-Za-z]:")
_COMPRESSED_MAGIC = (b"\x1f\x8b", b"BZh", b"\xfd7zXZ\x00")


def _archive_kind(path: Path) -> str:
    """'zip', 'tar' or '' by the archive suffix, else by the first bytes: remote PRIPs serve a SAFE's zip under its
    bare name ('X.SAFE'). A gzip stream without suffix is taken for a tar only if tarfile can read it."""
    lower = path.name.lower()
    if lower.endswith(".zip"):
        return "zip"
    if lower.endswith((".tar", ".tgz", ".tar.gz")):
        return "tar"
    with path.open("rb") as handle:
        head = handle.read(512)
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "zip"
    if head[257:262] == b"ustar" or (head.startswith(_COMPRESSED_MAGIC) and tarfile.is_tarfile(path)):
        return "tar"
    return ""


def _member_path(name: str, *, label: str) -> str:
    """A member name as a clean relative posix path; unsafe names are refused."""
    if "\x00" in name or "\\" in name:
        raise ExtractionError(f"{label}: member name {name!r} contains a NUL or a backslash")
    if name.startswith("/") or _DRIVE.match(name):
        raise ExtractionError(f"{label}: member {name!r} has an absolute path")
    parts = [part for part in name.split("/") if part not in ("", ".")]
    if ".." in parts:
        raise ExtractionError(f"{label}: member {name!r} escapes the archive (path traversal)")
    return "/".join(parts)


def _glob(pattern: list[str], path: list[str]) -> bool:
    if not pattern:
        return not path
    if pattern[0] == "**":
        return any(_glob(pattern[1:], path[index:]) for index in range(len(path) + 1))
    return bool(path) and fnmatchcase(path[0], pattern[0]) and _glob(pattern[1:], path[1:])


class ProductReader:
    """Read-only view of a product: member paths relative to the product root, with their sizes."""

    def __init__(self, *, label: str, members: dict[str, int], single: str | None = None) -> None:
        self.label = label  # the delivered file or folder name, for messages
        self._members = members
        self._single = single  # the member that is the product when the product is one file

    # --- opening -------------------------------------------------------------------------------------------------

    @classmethod
    def open(cls, path: Path) -> ProductReader:
        path = Path(path)
        try:
            return cls._open(path)
        except OSError as exc:  # permissions, a file vanishing meanwhile: a reason, not a traceback
            raise ExtractionError(f"{path.name or path}: cannot be read ({exc.strerror or exc})") from None

    @classmethod
    def _open(cls, path: Path) -> ProductReader:
        label = path.name or str(path)
        if path.is_dir():
            return FolderReader(path)
        if not path.exists():
            raise ExtractionError(f"{label}: not found")
        if not path.is_file():
            raise ExtractionError(f"{label}: neither a regular file nor a folder")
        if path.stat().st_size == 0:
            raise ExtractionError(f"{label}: empty file (0 bytes)")
        kind = _archive_kind(path)
        if kind == "zip":
            return ZipReader(path)
        if kind == "tar":
            return TarReader(path)
        return SingleFileReader(path)

    # --- queries -------------------------------------------------------------------------------------------------

    @property
    def members(self) -> tuple[str, ...]:
        """Every file of the product, relative to its root, sorted."""
        return tuple(sorted(self._members))

    @property
    def is_single_file(self) -> bool:
        return self._single is not None

    def _resolve(self, relative: str) -> str:
        if relative == "":
            if self._single is None:
                raise ExtractionError(f"{self.label}: holds several files: name the member to read")
            return self._single
        clean = _member_path(relative, label=self.label)
        if clean in self._members:
            return clean
        if self._single is not None and clean == self.label:
            return self._single
        raise ExtractionError(f"{relative} is missing from {self.label}")

    def exists(self, relative: str) -> bool:
        try:
            self._resolve(relative)
        except ExtractionError:
            return False
        return True

    def find(self, pattern: str) -> list[str]:
        """Member paths matching a glob (`*`, `?`, `[…]` within one path segment; `**` any number of segments)."""
        parts = [p for p in pattern.split("/") if p]
        return sorted(m for m in self._members if _glob(parts, m.split("/")))

    def read(self, relative: str, *, max_bytes: int = DEFAULT_MAX_READ) -> bytes:
        member = self._resolve(relative)
        size = self._members[member]
        shown = relative or member
        if size == 0:
            raise ExtractionError(f"{shown} of {self.label} is empty (0 bytes)")
        if size > max_bytes:
            raise ExtractionError(f"{shown} of {self.label} is {size} bytes, more than the {max_bytes} bytes allowed")
        try:
            with self._open_member(member) as stream:
                data = stream.read(max_bytes + 1)
        except (OSError, zipfile.BadZipFile, zlib.error, tarfile.TarError, EOFError, RuntimeError,
                NotImplementedError) as exc:
            raise ExtractionError(f"{shown} of {self.label} cannot be read: {exc}") from None
        if len(data) > max_bytes:
            raise ExtractionError(f"{shown} of {self.label} is more than the {max_bytes} bytes allowed")
        return data

    def _open_member(self, member: str) -> IO[bytes]:
        raise NotImplementedError

    # --- life cycle ----------------------------------------------------------------------------------------------

    def close(self) -> None:
        """Release the archive handle (nothing to do for folders and single files)."""

    def __enter__(self) -> ProductReader:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


class SingleFileReader(ProductReader):
    """A product that is one file: its only member is the file itself (read("") or read(<file name>))."""

    def __init__(self, path: Path) -> None:
        self._path = path
        super().__init__(label=path.name, members={path.name: path.stat().st_size}, single=path.name)

    def _open_member(self, member: str) -> IO[bytes]:
        return self._path.open("rb")


class FolderReader(ProductReader):
    """A product folder; symbolic links are followed only when they stay inside it."""

    def __init__(self, path: Path) -> None:
        self._root = path.resolve()
        label = path.name
        members: dict[str, int] = {}
        for directory, dirnames, filenames in os.walk(self._root, followlinks=False):
            for entry in (*dirnames, *filenames):
                full = Path(directory, entry)
                if full.is_symlink() and not Path(os.path.realpath(full)).is_relative_to(self._root):
                    relative = full.relative_to(self._root).as_posix()
                    raise ExtractionError(f"{label}: symbolic link {relative} points outside the product")
            for filename in filenames:
                full = Path(directory, filename)
                if not full.is_file():
                    continue  # dangling links, sockets, devices: not product content
                members[full.relative_to(self._root).as_posix()] = full.stat().st_size
                if len(members) > MAX_MEMBERS:
                    raise ExtractionError(f"{label}: more than {MAX_MEMBERS} files")
        if not members:
            raise ExtractionError(f"{label}: empty folder")
        super().__init__(label=label, members=members)

    def _open_member(self, member: str) -> IO[bytes]:
        full = Path(os.path.realpath(self._root / member))
        if not full.is_relative_to(self._root):
            raise ExtractionError(f"{member} of {self.label} points outside the product")
        return full.open("rb")


def _root_prefix(entries: list[str], files: list[str]) -> str:
    """'X.SAFE/' when every entry lies under one top folder, else ''."""
    tops = {entry.split("/", 1)[0] for entry in entries}
    if len(tops) == 1 and any("/" in f for f in files):
        return f"{tops.pop()}/"
    return ""


def _check_totals(label: str, total: int, archive_size: int, *, compressed: bool) -> None:
    if total > MAX_TOTAL_UNCOMPRESSED:
        raise ExtractionError(f"{label}: {total} bytes uncompressed, more than the {MAX_TOTAL_UNCOMPRESSED} allowed")
    if compressed and total > RATIO_CHECK_FLOOR and total > MAX_COMPRESSION_RATIO * archive_size:
        raise ExtractionError(f"{label}: compression ratio above {MAX_COMPRESSION_RATIO}:1 (zip bomb?)")


class _ArchiveReader(ProductReader):
    def _index(self, label: str, entries: dict[str, tuple[int, bool]]) -> None:
        """entries: clean path → (size, is_dir); sets the root and the members relative to it."""
        files = [name for name, (_, is_dir) in entries.items() if not is_dir]
        if not files:
            raise ExtractionError(f"{label}: archive holds no file")
        prefix = _root_prefix(list(entries), files)
        members = {name[len(prefix):]: entries[name][0] for name in files}
        single = files[0] if not prefix and len(files) == 1 and "/" not in files[0] else None
        self._prefix = prefix
        super().__init__(label=label, members=members, single=single)


class ZipReader(_ArchiveReader):
    def __init__(self, path: Path) -> None:
        label = path.name
        try:
            self._zip = zipfile.ZipFile(path)
            infos = self._zip.infolist()
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
            raise ExtractionError(f"{label}: unreadable zip archive ({exc})") from None
        try:
            self._names: dict[str, str] = {}
            self._index(label, self._scan(label, infos, archive_size=path.stat().st_size))
        except ExtractionError:
            self._zip.close()
            raise

    def _scan(self, label: str, infos: list[zipfile.ZipInfo], *, archive_size: int) -> dict[str, tuple[int, bool]]:
        if len(infos) > MAX_MEMBERS:
            raise ExtractionError(f"{label}: more than {MAX_MEMBERS} members")
        entries: dict[str, tuple[int, bool]] = {}
        total = 0
        for info in infos:
            clean = _member_path(info.filename, label=label)
            mode = info.external_attr >> 16
            if stat.S_ISLNK(mode):
                raise ExtractionError(f"{label}: member {info.filename!r} is a symbolic link")
            if not clean:
                continue
            if clean in entries:
                raise ExtractionError(f"{label}: member {clean!r} appears twice")
            is_dir = info.is_dir()
            if not is_dir and info.file_size > RATIO_CHECK_FLOOR and (
                info.compress_size == 0 or info.file_size > MAX_COMPRESSION_RATIO * info.compress_size
            ):
                raise ExtractionError(f"{label}: member {clean!r} has a compression ratio above "
                                      f"{MAX_COMPRESSION_RATIO}:1 (zip bomb?)")
            total += info.file_size
            entries[clean] = (info.file_size, is_dir)
            self._names[clean] = info.filename
        _check_totals(label, total, archive_size, compressed=True)
        return entries

    def _open_member(self, member: str) -> IO[bytes]:
        return self._zip.open(self._names[self._prefix + member])

    def close(self) -> None:
        self._zip.close()


class TarReader(_ArchiveReader):
    def __init__(self, path: Path) -> None:
        label = path.name
        with path.open("rb") as probe:
            compressed = probe.read(6).startswith(_COMPRESSED_MAGIC)
        try:
            self._tar = tarfile.open(path, mode="r:*")  # noqa: SIM115 - kept open until close()
        except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
            raise ExtractionError(f"{label}: unreadable tar archive ({exc})") from None
        try:
            self._index(label, self._scan(label, archive_size=path.stat().st_size, compressed=compressed))
        except ExtractionError:
            self._tar.close()
            raise

    def _scan(self, label: str, *, archive_size: int, compressed: bool) -> dict[str, tuple[int, bool]]:
        entries: dict[str, tuple[int, bool]] = {}
        self._infos: dict[str, tarfile.TarInfo] = {}
        total = 0
        try:
            for info in self._tar:
                if len(entries) >= MAX_MEMBERS:
                    raise ExtractionError(f"{label}: more than {MAX_MEMBERS} members")
                clean = _member_path(info.name, label=label)
                if not (info.isfile() or info.isdir()):
                    raise ExtractionError(f"{label}: member {info.name!r} is a link or a special file")
                if not clean:
                    continue
                if clean in entries:
                    raise ExtractionError(f"{label}: member {clean!r} appears twice")
                total += info.size
                _check_totals(label, total, archive_size, compressed=False)
                entries[clean] = (info.size, info.isdir())
                self._infos[clean] = info
        except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
            raise ExtractionError(f"{label}: unreadable tar archive ({exc})") from None
        _check_totals(label, total, archive_size, compressed=compressed)
        return entries

    def _open_member(self, member: str) -> IO[bytes]:
        stream = self._tar.extractfile(self._infos[self._prefix + member])
        if stream is None:
            raise ExtractionError(f"{member} of {self.label} is not a regular file")
        return stream

    def close(self) -> None:
        self._tar.close()
