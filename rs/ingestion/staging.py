"""Staging of remote items: each is downloaded once into a private folder, with its digests computed on the way.

Archives need random access to read their manifests, so a remote item cannot be extracted from the network stream;
the staged copy is read for extraction and streamed once more to the object store.
"""

from __future__ import annotations

import hashlib
import shutil
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from blake3 import blake3

from rs.ingestion import constants
from rs.ingestion.heartbeat import beat


@dataclass(frozen=True)
class Download:
    size: int
    md5: str
    blake3: str


@contextmanager
def staging_folder(*, label: str) -> Iterator[Path]:
    """A fresh folder under the staging area, removed with everything in it when the block ends."""
    root = Path(constants.STAGING_DIR)
    folder = root / f"{label}-{uuid.uuid4().hex[:12]}"
    folder.mkdir(parents=True)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def chunks_to_file(chunks: Iterable[bytes], destination: Path) -> Download:
    """Write `chunks` to `destination`, returning the length and the MD5 and BLAKE3 of what was written."""
    md5 = hashlib.md5(usedforsecurity=False)
    b3 = blake3(max_threads=blake3.AUTO)
    size = 0
    destination.parent.mkdir(parents=True, exist_ok=True)
    with destination.open("wb") as out:
        for chunk in chunks:
            if not chunk:
                continue
            md5.update(chunk)
            b3.update(chunk)
            size += len(chunk)
            out.write(chunk)
            beat()
    return Download(size=size, md5=md5.hexdigest(), blake3=b3.hexdigest())


def archive_suffix_of(path: Path) -> str:
    """'.zip' or '.tar' when the file starts like one, else ''. Remote PRIPs serve a SAFE's zip under its bare
    CDSE name, so the suffix comes from the bytes."""
    with path.open("rb") as handle:
        head = handle.read(512)
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return ".zip"
    if len(head) >= 262 and head[257:262] == b"ustar":
        return ".tar"
    return ""


def staging_sweep(*, older_than_s: float = 86400.0) -> int:
    """Remove staging folders left by killed processes; returns how many."""
    root = Path(constants.STAGING_DIR)
    if not root.is_dir():
        return 0
    cutoff = time.time() - older_than_s
    removed = 0
    for folder in root.iterdir():
        try:
            if folder.is_dir() and folder.stat().st_mtime < cutoff:
                shutil.rmtree(folder, ignore_errors=True)
                removed += 1
        except FileNotFoundError:
            continue
    return removed
