"""The working directory of a run (the processor contract §2, rs/production/README.md): created fresh, inputs
staged in parallel, archived, removed."""

from __future__ import annotations

import logging
import os
import re
import shutil
import tarfile
import tempfile
import time
import zipfile
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from django.conf import settings

from rs.catalog.storage import ObjectNotFound, StorageError, object_store
from rs.catalog.storage.keys import workdir_key
from rs.production.execution.errors import ProcessorFailure, TransientFailure

logger = logging.getLogger(__name__)

JOBORDER_NAME = "JobOrder.xml"
_RUN_DIR = re.compile(r"^(?P<job>\d+)_(?P<run>\d+)$")
_CHANNEL = re.compile(r"_ch(?P<channel>\d)_", re.IGNORECASE)
MIB = 1024 * 1024


@dataclass(frozen=True)
class StagedInput:
    """A catalogued product to place in the working directory (`folder` "" = top level, else ch01/ch02)."""

    name: str
    storage_key: str
    folder: str = ""


def workdir_path(job_id: int, run: int) -> Path:
    return Path(settings.RS_WORKDIR_ROOT) / f"{job_id}_{run}"


def workdir_create(job_id: int, run: int) -> Path:
    """A fresh, empty working directory (a leftover of the same run number is removed first)."""
    path = workdir_path(job_id, run)
    if path.exists():
        shutil.rmtree(path, ignore_errors=True)
    (path / "tmp").mkdir(parents=True)
    return path


def disk_space_check(min_disk_space_mb: int) -> None:
    """Min_Disk_Space of the Task Table against the free space of the working-directory volume."""
    if min_disk_space_mb <= 0:
        return
    root = Path(settings.RS_WORKDIR_ROOT)
    root.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(root).free
    if free < min_disk_space_mb * MIB:
        raise TransientFailure(f"not enough disk space: the processor needs {min_disk_space_mb} MB, "
                               f"{free // MIB} MB are free under the working-directory root")


def executable_resolve(file_name: str) -> Path:
    """Task File_Name → the program to run: relative names under RS_PROCESSOR_ROOT, absolute ones as they are."""
    if not file_name.strip():
        raise ProcessorFailure("the Task Table names no executable")
    given = Path(file_name.strip())
    path = given if given.is_absolute() else Path(settings.RS_PROCESSOR_ROOT) / given
    if not given.is_absolute() and ".." in given.parts:
        raise ProcessorFailure(f"executable {file_name!r} leaves the processor root")
    if not path.is_file():
        raise ProcessorFailure(f"executable {file_name!r} not found (looked at {path})")
    if not os.access(path, os.X_OK):
        raise ProcessorFailure(f"executable {path} is not executable (chmod +x)")
    return path


def session_folder(name: str) -> str:
    """ch01/ch02 for a session file of channel 1/2 (DCS_…_ch1_DSDB_…), '' when the name tells no channel."""
    found = _CHANNEL.search(name)
    return f"ch{int(found['channel']):02d}" if found else ""


def inputs_stage(workdir: Path, inputs: Sequence[StagedInput]) -> None:
    """Fetch every input in parallel and unpack it at <workdir>/<folder>/<name>."""
    if not inputs:
        return
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=workdir))
    try:
        with ThreadPoolExecutor(max_workers=settings.RS_EXECUTION_FETCH_THREADS) as pool:
            for future in [pool.submit(_stage_one, workdir, staging, item) for item in inputs]:
                future.result()
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _stage_one(workdir: Path, staging: Path, item: StagedInput) -> None:
    if not item.storage_key:
        raise TransientFailure(f"input {item.name} is not online (no stored object)")
    target = workdir / item.folder if item.folder else workdir
    target.mkdir(parents=True, exist_ok=True)
    download = staging / PurePosixPath(item.storage_key).name
    try:
        with download.open("wb") as handle:
            for chunk in object_store().open_range(key=item.storage_key):
                handle.write(chunk)
    except ObjectNotFound:
        raise TransientFailure(f"input {item.name}: object {item.storage_key} is missing from storage") from None
    except StorageError as exc:
        raise TransientFailure(f"input {item.name}: storage unavailable ({exc})") from None
    except OSError as exc:
        raise TransientFailure(f"input {item.name}: cannot write it to the working directory ({exc})") from None
    key = item.storage_key.lower()
    try:
        if key.endswith(".zip"):
            _unzip(download, target)
        elif key.endswith((".tar", ".tar.gz", ".tgz")):
            _untar(download, target)
        else:
            download.replace(target / item.name)
    except (zipfile.BadZipFile, tarfile.TarError, UnsafeMember) as exc:
        raise ProcessorFailure(f"input {item.name}: its stored archive cannot be unpacked ({exc})") from None


class UnsafeMember(Exception):
    pass


def _unzip(path: Path, target: Path) -> None:
    root = target.resolve()
    with zipfile.ZipFile(path) as archive:
        for member in archive.infolist():
            destination = (root / member.filename).resolve()
            if destination != root and root not in destination.parents:
                raise UnsafeMember(f"member {member.filename!r} would land outside the working directory")
        archive.extractall(root)  # noqa: S202 - every member checked above


def _untar(path: Path, target: Path) -> None:
    """Regular files and folders only, all inside the target (no links, devices or escaping names)."""
    root = target.resolve()
    with tarfile.open(path) as archive:
        members = archive.getmembers()
        for member in members:
            destination = (root / member.name).resolve()
            if destination != root and root not in destination.parents:
                raise UnsafeMember(f"member {member.name!r} would land outside the working directory")
            if not (member.isfile() or member.isdir()):
                raise UnsafeMember(f"member {member.name!r} is neither a file nor a folder")
        archive.extractall(root, members=members)  # noqa: S202 - every member checked above


def workdir_archive(workdir: Path, *, job_id: int, run: int) -> str:
    """The whole working directory as workdirs/<job>/run-<n>-workdir.tar.gz in object storage; returns the key (kept
    on the job row, which is where every reader finds the archive)."""
    key = workdir_key(job_id=job_id, name=f"run-{run}-workdir.tar.gz")
    with tempfile.TemporaryFile() as buffer:
        with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
            archive.add(workdir, arcname=workdir.name)
        buffer.seek(0)
        object_store().put_stream(key=key, stream=buffer, content_type="application/gzip")
    return key


def workdir_remove(workdir: Path) -> None:
    if settings.RS_EXECUTION_KEEP_WORKDIR:
        return
    shutil.rmtree(workdir, ignore_errors=True)


def workdirs_stale(active: Iterable[tuple[int, int]], *, older_than_s: float) -> list[Path]:
    """Run folders under the root that belong to no active (job, run) and were not touched for a while: left by
    a worker that vanished on this machine."""
    root = Path(settings.RS_WORKDIR_ROOT)
    if not root.is_dir():
        return []
    keep = set(active)
    cutoff = time.time() - older_than_s
    stale = []
    for entry in os.scandir(root):
        found = _RUN_DIR.match(entry.name)
        if not found or not entry.is_dir(follow_symlinks=False):
            continue
        if (int(found["job"]), int(found["run"])) in keep or entry.stat().st_mtime > cutoff:
            continue
        stale.append(Path(entry.path))
    return stale
