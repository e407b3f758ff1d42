"""Running the simulated processors (processors/) outside the workers: inputs staged as the execution contract says
(rs/production/execution/CONTRACT.md §2), a JobOrder written by rs.production.joborder, each task run as
`<File_Name> <JobOrder path>` with the contract's minimal environment, outputs read back with the ingestion's own
identification and extraction."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from rs.catalog.services import ProductMetadata
from rs.ingestion.extraction import ProductReader, extract_metadata, quicklook_of
from rs.ingestion.identification import Identification, identify
from rs.production.joborder import JobOrderFile, JobOrderInput, JobOrderSpec, dialect_guess, joborder_render
from rs.production.tasktables.definition import TaskTable
from rs.production.tasktables.parser import tasktable_parse

PROCESSORS = Path(__file__).resolve().parents[3] / "processors"
DEMO_TABLES = PROCESSORS / "tasktables" / "demo"


def demo_table(relative: str) -> TaskTable:
    return tasktable_parse((DEMO_TABLES / relative).read_bytes())


def product_name(path: Path) -> str:
    """The product name of a delivered item (`X.SAFE.zip` → `X.SAFE`, `X.TGZ` → `X`)."""
    return identify(path.name).name


def stage(path: Path, workdir: Path) -> Path:
    """Copy (folder or file) or unpack (zip, tar) one input product to `<workdir>/<product name>`."""
    name = product_name(path)
    target = workdir / name
    if path.is_dir():
        shutil.copytree(path, target)
    elif path.suffix.lower() == ".zip":
        with zipfile.ZipFile(path) as archive:
            archive.extractall(workdir)  # noqa: S202 (the demo's own archives)
    elif path.suffix.upper() in (".TGZ", ".TAR"):
        with tarfile.open(path) as archive:
            assert all((m.isfile() or m.isdir()) and not m.name.startswith(("/", "..")) for m in archive)
            archive.extractall(workdir)  # noqa: S202 (the demo's own archives, checked above)
    else:
        shutil.copyfile(path, target)
    assert target.exists(), f"{path.name} staged as {target}"
    return target


def interval_of(name: str, path: Path | None = None) -> tuple[datetime, datetime | None]:
    """Sensing (or validity) interval from the name, else from the product's own files (S2 tiles)."""
    found = identify(name)
    start = found.start or found.validity_start
    if start is None and path is not None:
        metadata = catalogue_view(path).metadata
        start, stop = metadata.content_start, metadata.content_end
        assert start is not None, name
        return start, stop
    assert start is not None, name
    return start, found.stop if found.start else found.validity_stop


@dataclass
class Run:
    workdir: Path
    codes: list[int]
    stdout: str
    stderr: str

    @property
    def list_lines(self) -> list[str]:
        lists = sorted(self.workdir.glob("*.LIST"))
        assert len(lists) == 1, f"one .LIST expected, found {[p.name for p in lists]}"
        return [line for line in lists[0].read_text().splitlines() if line.strip()]

    def product(self, line: str) -> Path:
        return self.workdir / line


def run_table(table: TaskTable, workdir: Path, *, inputs: Mapping[str, Sequence[Path]],
              sensing: tuple[datetime, datetime], parameters: Mapping[str, str] | None = None,
              channels: Mapping[int, Sequence[Path]] | None = None,
              acquisition_station: str = "SGS_", timeout: float = 60) -> Run:
    """Stage `inputs` (declared input key → delivered items), write the JobOrder, run the pools in order."""
    workdir.mkdir(parents=True)
    (workdir / "tmp").mkdir()
    for channel, files in (channels or {}).items():
        folder = workdir / f"ch0{channel}"
        folder.mkdir()
        for file in files:
            shutil.copyfile(file, folder / file.name)
    resolved: dict[str, JobOrderInput] = {}
    declared = table.declared_inputs()
    for key, items in inputs.items():
        alternative = declared[key].alternatives[0]
        files = []
        for item in items:
            staged = stage(item, workdir)
            start, stop = interval_of(staged.name, staged)
            files.append(JobOrderFile(name=staged.name, start=start, stop=stop))
        resolved[key] = JobOrderInput(origin="DB", file_type=alternative.file_type,
                                      file_name_type=alternative.file_name_type, files=tuple(files))
    overrides = dict(parameters or {})
    spec = JobOrderSpec(
        table=table, dialect=dialect_guess(table), workdir=f"{workdir}/", sensing_start=sensing[0],
        sensing_stop=sensing[1], interval_start=sensing[0], interval_stop=sensing[1],
        parameters=[(p.name, overrides.pop(p.name, p.default)) for p in table.dyn_params] + list(overrides.items()),
        inputs=resolved, processing_station="RS__", acquisition_station=acquisition_station)
    joborder = workdir / "JobOrder.xml"
    joborder.write_text(joborder_render(spec))
    environment = {"PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin", "HOME": str(workdir),
                   "TMPDIR": str(workdir / "tmp"), "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "TZ": "UTC"}
    codes, stdout, stderr = [], "", ""
    for pool in table.pools:
        for task in pool.tasks:
            done = subprocess.run([str(PROCESSORS / task.file_name), str(joborder)], cwd=workdir, env=environment,
                                  capture_output=True, text=True, timeout=timeout, check=False)
            codes.append(done.returncode)
            stdout += done.stdout
            stderr += done.stderr
        if any(code < 0 or code >= 128 for code in codes):
            break
    return Run(workdir=workdir, codes=codes, stdout=stdout, stderr=stderr)


@dataclass(frozen=True)
class Catalogued:
    identification: Identification
    metadata: ProductMetadata
    quicklook: tuple[str, bytes, str] | None


def catalogue_view(path: Path) -> Catalogued:
    """What ingestion would catalogue for this output: identification by name, extraction from its own files."""
    name = path.name.removesuffix(".ISIP") + ".SAFE" if path.name.endswith(".ISIP") else path.name
    identification = identify(name)
    with ProductReader.open(path) as reader:
        return Catalogued(identification, extract_metadata(identification, reader),
                          quicklook_of(identification, reader))

