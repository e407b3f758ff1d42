"""Writing demo products: folders, zipped folders, single files, deterministic payloads, tiny PNG quicklooks."""

from __future__ import annotations

import hashlib
import os
import random
import struct
import zipfile
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

FMT = "%Y%m%dT%H%M%S"


def iso(moment: datetime, *, digits: int = 6, zone: bool = True) -> str:
    text = moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")
    text = text[: len(text) - (6 - digits)] if digits else text[:19]
    return text + ("Z" if zone else "")


def payload(seed: str, size: int) -> bytes:
    """Deterministic pseudo-random bytes: regenerating the demo gives the same checksums."""
    return random.Random(seed).randbytes(size)


def md5_hex(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def png(width: int = 64, height: int = 48, *, seed: str = "") -> bytes:
    """A small grey-level PNG with a diagonal gradient (a plausible stand-in for a quick-look)."""
    shift = sum(seed.encode()) % 97
    rows = b"".join(b"\x00" + bytes(((x + y) * 3 + shift) % 256 for x in range(width)) for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


@dataclass(frozen=True)
class Written:
    path: Path  # what an inbox sees: a folder, an archive or a file
    name: str  # the product (or session file) name


def _touch(path: Path, moment: datetime) -> None:
    stamp = moment.timestamp()
    os.utime(path, (stamp, stamp))


def write_folder(root: Path, name: str, files: Mapping[str, bytes], *, available: datetime,
                 archive: str = "") -> Written:
    """Write `name/` with `files` under `root`, or `name<archive>` holding them when `archive` is ".zip"."""
    root.mkdir(parents=True, exist_ok=True)
    if archive == ".zip":
        target = root / f"{name}.zip"
        if not target.exists():
            partial = target.with_name("." + target.name + ".part")
            with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as bundle:
                for relative, data in sorted(files.items()):
                    info = zipfile.ZipInfo(f"{name}/{relative}", date_time=available.timetuple()[:6])
                    info.compress_type = zipfile.ZIP_DEFLATED
                    bundle.writestr(info, data)
            partial.rename(target)  # appears complete: an inbox never sees a half-written archive
            _touch(target, available)
        return Written(target, name)
    if archive:
        raise ValueError(f"unsupported archive {archive!r}")
    folder = root / name
    if not folder.exists():
        partial = root / f".{name}.part"
        for relative, data in files.items():
            path = partial / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            _touch(path, available)
        partial.rename(folder)
        for path in [folder, *folder.rglob("*")]:
            _touch(path, available)
    return Written(folder, name)


def write_file(root: Path, relative: str, data: bytes, *, available: datetime, name: str = "") -> Written:
    """Write the file `relative` under `root`; `name` is its product name when it differs from the file name."""
    target = root / relative
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.part")
        partial.write_bytes(data)
        partial.rename(target)
        _touch(target, available)
    return Written(target, name or target.name)
