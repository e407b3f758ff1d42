"""Reading a JobOrder in any of the dialects the Reference System writes (MMFI 1.8, S1 L1/L2, GMES 1.1, S2)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

_COMPACT = re.compile(r"^(\d{8})_(\d{6})(\d{6})$")
PARAMETER_TAGS = ("Processing_Parameter", "Dynamic_Processing_Parameter", "Dyn_Processing_Parameter")


class JobOrderError(Exception):
    """The JobOrder cannot be read: the processor stops with an error exit code."""


def parse_time(text: str | None) -> datetime | None:
    """`20171213_121623685188` (S1, S3, Generic ICD) or ISO 8601 `2019-12-08T03:03:16.229Z` (S2); None if open."""
    if not text or not text.strip():
        return None
    value = text.strip()
    if value.startswith("9999"):
        return None
    match = _COMPACT.match(value)
    if match:
        return datetime.strptime(f"{match[1]}{match[2]}{match[3]}", "%Y%m%d%H%M%S%f").replace(tzinfo=UTC)
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise JobOrderError(f"not a JobOrder date: {value!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class JobInput:
    file_type: str
    file_name_type: str
    file_names: tuple[str, ...]


@dataclass(frozen=True)
class JobOutput:
    file_type: str
    file_name_type: str
    file_name: str
    mandatory: bool


@dataclass(frozen=True)
class Proc:
    task_name: str
    task_version: str
    inputs: tuple[JobInput, ...]
    outputs: tuple[JobOutput, ...]

    def files_of(self, *file_types: str) -> list[Path]:
        """Every file of the inputs of these types, in JobOrder order, without duplicates."""
        seen: dict[str, None] = {}
        for item in self.inputs:
            if item.file_type in file_types:
                seen.update(dict.fromkeys(item.file_names))
        return [Path(name) for name in seen]

    def output(self, file_type: str) -> JobOutput | None:
        return next((o for o in self.outputs if o.file_type == file_type), None)


@dataclass(frozen=True)
class JobOrder:
    path: Path
    processor_name: str
    version: str
    processing_station: str
    acquisition_station: str
    sensing_start: datetime | None
    sensing_stop: datetime | None
    stdout_log_level: str
    parameters: dict[str, str] = field(default_factory=dict)
    config_files: tuple[str, ...] = ()
    procs: tuple[Proc, ...] = ()

    @property
    def workdir(self) -> Path:
        return self.path.parent

    def proc(self, task_name: str) -> Proc:
        """The Ipf_Proc of this task (by Task_Name); the first one when the name is not listed."""
        if not self.procs:
            raise JobOrderError("the JobOrder lists no Ipf_Proc")
        return next((p for p in self.procs if p.task_name == task_name), self.procs[0])

    def parameter(self, name: str, default: str = "") -> str:
        value = self.parameters.get(name)
        return value if value else default


def _text(element: ET.Element | None, path: str) -> str:
    if element is None:
        return ""
    return (element.findtext(path) or "").strip()


def _input(element: ET.Element) -> JobInput:
    names = tuple((n.text or "").strip() for n in element.findall("List_of_File_Names/File_Name") if n.text)
    return JobInput(file_type=_text(element, "File_Type"), file_name_type=_text(element, "File_Name_Type"),
                    file_names=names)


def _output(element: ET.Element) -> JobOutput:
    return JobOutput(file_type=_text(element, "File_Type"), file_name_type=_text(element, "File_Name_Type"),
                     file_name=_text(element, "File_Name"),
                     mandatory=element.get("mandatory", "true").lower() == "true")


def joborder_read(path: Path) -> JobOrder:
    try:
        root = ET.parse(path).getroot()  # noqa: S314 (written by the Reference System; expat resolves no entity)
    except (OSError, ET.ParseError) as exc:
        raise JobOrderError(f"cannot read the JobOrder {path}: {exc}") from None
    if root.tag != "Ipf_Job_Order":
        raise JobOrderError(f"{path}: root element {root.tag} is not Ipf_Job_Order")
    conf = root.find("Ipf_Conf")
    if conf is None:
        raise JobOrderError(f"{path}: no Ipf_Conf")
    parameters: dict[str, str] = {}
    for tag in PARAMETER_TAGS:
        for item in conf.iter(tag):
            parameters.setdefault(_text(item, "Name"), _text(item, "Value"))
    config = tuple((c.text or "").strip() for tag in ("Conf_File_Name", "Config_File") for c in conf.iter(tag))
    procs = tuple(
        Proc(task_name=_text(p, "Task_Name"), task_version=_text(p, "Task_Version"),
             inputs=tuple(_input(i) for i in p.findall("List_of_Inputs/Input")),
             outputs=tuple(_output(o) for o in p.findall("List_of_Outputs/Output")))
        for p in root.findall("List_of_Ipf_Procs/Ipf_Proc"))
    return JobOrder(
        path=path.resolve(), processor_name=_text(conf, "Processor_Name"), version=_text(conf, "Version"),
        processing_station=_text(conf, "Processing_Station"), acquisition_station=_text(conf, "Acquisition_Station"),
        sensing_start=parse_time(_text(conf, "Sensing_Time/Start")),
        sensing_stop=parse_time(_text(conf, "Sensing_Time/Stop")),
        stdout_log_level=_text(conf, "Stdout_Log_Level") or "INFO",
        parameters=parameters, config_files=config, procs=procs)
