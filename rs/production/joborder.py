"""JobOrder XML (ipf-interface.md §5): one writer, four dialects.

The structure is the Generic IPF ICD's; the dialect decides how configuration files, parameters and dates are
spelled (§5.1). Every List_of_* carries its count, dates keep microseconds, open validity stops are written as
99991231_235959999999, and the Breakpoint element sits at its ICD position (before the inputs).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from rs.production.choices import JobOrderDialect, Origin
from rs.production.tasktables.definition import Task, TaskInput, TaskTable

OPEN_STOP = "99991231_235959999999"
LOG_LEVEL = "INFO"
_S1_L1L2 = re.compile(r"^(S[1-6]|SM|IW|EW|WV|EN|AN)_(RAW__0|SLC__1)_.*_[12]$")


def dialect_guess(table: TaskTable) -> str:
    """The JobOrder dialect COPRS uses for this kind of processor (an operator may change it)."""
    name = table.processor_name
    if table.spelling == "s3":
        return JobOrderDialect.GMES
    if _S1_L1L2.match(name):
        return JobOrderDialect.S1_L1L2
    if name.startswith("S2"):
        return JobOrderDialect.S2
    if name.startswith(("S3", "PUG_")) and not name.endswith("_ACQ"):
        return JobOrderDialect.GMES
    return JobOrderDialect.MMFI


def date_text(moment: datetime | None, dialect: str) -> str:
    if moment is None:
        return OPEN_STOP if dialect != JobOrderDialect.S2 else "9999-12-31T23:59:59.999Z"
    if dialect == JobOrderDialect.S2:
        return f"{moment:%Y-%m-%dT%H:%M:%S}.{moment.microsecond // 1000:03d}Z"
    return f"{moment:%Y%m%d_%H%M%S}{moment.microsecond:06d}"


@dataclass(frozen=True)
class JobOrderFile:
    name: str
    start: datetime
    stop: datetime | None


@dataclass(frozen=True)
class JobOrderInput:
    """The resolution of one declared input: the alternative that won and its files (none for PROC/LOG)."""

    origin: str
    file_type: str
    file_name_type: str
    files: tuple[JobOrderFile, ...] = ()


@dataclass(frozen=True)
class JobOrderSpec:
    table: TaskTable
    dialect: str
    workdir: str
    sensing_start: datetime
    sensing_stop: datetime
    interval_start: datetime  # the job interval: Time_Interval of PROC inputs
    interval_stop: datetime
    parameters: Sequence[tuple[str, str | None]]
    inputs: Mapping[str, JobOrderInput]  # by declared input key; absent = not in the JobOrder
    processing_station: str = "WILE"
    acquisition_station: str = ""
    output_patterns: Mapping[str, str] = field(default_factory=dict)
    # Session jobs: the session's files (DSIBs, chunks), named in every Ipf_Proc after the table's inputs
    session_inputs: Sequence[JobOrderInput] = ()


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrib: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attrib)
    if text is not None:
        element.text = text
    return element


def joborder_render(spec: JobOrderSpec) -> str:
    root = ET.Element("Ipf_Job_Order")
    _conf(root, spec)
    tasks = list(spec.table.tasks())
    procs = _sub(root, "List_of_Ipf_Procs", count=str(len(tasks)))
    for task in tasks:
        _proc(procs, task, spec)
    ET.indent(root, space="  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _conf(root: ET.Element, spec: JobOrderSpec) -> None:
    d = spec.dialect
    conf = _sub(root, "Ipf_Conf")
    _sub(conf, "Processor_Name", spec.table.processor_name)
    _sub(conf, "Version", spec.table.version)
    _sub(conf, "Stdout_Log_Level", LOG_LEVEL)
    _sub(conf, "Stderr_Log_Level", LOG_LEVEL)
    _sub(conf, "Test", "true" if spec.table.test else "false")
    _sub(conf, "Breakpoint_Enable", "false")
    if d == JobOrderDialect.S2:
        _sub(conf, "Acquisition_Station", spec.acquisition_station)
    _sub(conf, "Processing_Station", spec.processing_station)
    if d == JobOrderDialect.S2:  # the S2 templates write the configuration files before Sensing_Time
        _config_files(conf, spec)
        _sensing(conf, spec)
    else:
        _sensing(conf, spec)
        _config_files(conf, spec)
    params = list(spec.parameters)
    if d == JobOrderDialect.S1_L1L2:
        listing = _sub(conf, "List_of_Dynamic_Processing_Parameters", count=str(len(params)))
        tag = "Dynamic_Processing_Parameter"
    elif d == JobOrderDialect.GMES:
        listing = _sub(conf, "List_of_Dyn_Processing_Parameters", count=str(len(params)))
        tag = "Dyn_Processing_Parameter"
    else:
        listing = _sub(conf, "Dynamic_Processing_Parameters")
        tag = "Processing_Parameter"
    for name, value in params:
        item = _sub(listing, tag)
        _sub(item, "Name", name)
        _sub(item, "Value", value or None)  # a parameter without value is written <Value/> (S3 PUG)


def _sensing(conf: ET.Element, spec: JobOrderSpec) -> None:
    sensing = _sub(conf, "Sensing_Time")
    _sub(sensing, "Start", date_text(spec.sensing_start, spec.dialect))
    _sub(sensing, "Stop", date_text(spec.sensing_stop, spec.dialect))


def _config_files(conf: ET.Element, spec: JobOrderSpec) -> None:
    names = [c.file_name for c in spec.table.config_files]
    if spec.dialect == JobOrderDialect.GMES:
        listing = _sub(conf, "List_of_Config_Files", count=str(len(names)))
        for name in names:
            _sub(listing, "Config_File", name)
    else:
        listing = _sub(conf, "Config_Files")
        for name in names:
            _sub(listing, "Conf_File_Name", name)


def _task_inputs(task: Task, spec: JobOrderSpec) -> list[JobOrderInput]:
    found = []
    for item in task.inputs:
        key = item.ref if item.is_ref else item.key
        resolved = spec.inputs.get(key)
        if resolved is not None and not (spec.dialect == JobOrderDialect.GMES and not resolved.file_type):
            found.append(resolved)
    return found


def _proc(procs: ET.Element, task: Task, spec: JobOrderSpec) -> None:
    proc = _sub(procs, "Ipf_Proc")
    _sub(proc, "Task_Name", task.name)
    _sub(proc, "Task_Version", task.version)
    if spec.dialect != JobOrderDialect.S2:
        breakpoint_element = _sub(proc, "Breakpoint")
        files = _sub(breakpoint_element, "List_of_Brk_Files", count=str(len(task.breakpoints)))
        for bp in task.breakpoints:
            brk = _sub(files, "Brk_File")
            _sub(brk, "File_Name_Type", bp.file_name_type or "Physical")
            _sub(brk, "File_Name", spec.workdir + bp.file_name)
    inputs = [*_task_inputs(task, spec), *spec.session_inputs]
    listing = _sub(proc, "List_of_Inputs", count=str(len(inputs)))
    for resolved in inputs:
        _input(listing, resolved, spec)
    outputs = _sub(proc, "List_of_Outputs", count=str(len(task.outputs)))
    for out in task.outputs:
        element = _sub(outputs, "Output", mandatory="true" if out.mandatory else "false")
        _sub(element, "File_Type", out.file_type)
        _sub(element, "File_Name_Type", out.file_name_type)
        if out.file_name_type == "Regexp":
            name = spec.workdir + spec.output_patterns.get(out.file_type, out.name_pattern)
        else:
            name = spec.workdir
        _sub(element, "File_Name", name)


def _input(listing: ET.Element, resolved: JobOrderInput, spec: JobOrderSpec) -> None:
    element = _sub(listing, "Input")
    _sub(element, "File_Type", resolved.file_type)
    _sub(element, "File_Name_Type", resolved.file_name_type)
    if resolved.origin == Origin.DB:
        entries = [(spec.workdir + f.name, f.start, f.stop) for f in resolved.files]
    else:  # produced in the job: the IPF resolves the pattern in its working directory over the job interval
        entries = [(spec.workdir + resolved.file_type, spec.interval_start, spec.interval_stop)]
    names = _sub(element, "List_of_File_Names", count=str(len(entries)))
    for name, _start, _stop in entries:
        _sub(names, "File_Name", name)
    if spec.dialect == JobOrderDialect.S2:  # the S2 templates carry no time intervals
        return
    intervals = _sub(element, "List_of_Time_Intervals", count=str(len(entries)))
    for name, start, stop in entries:
        interval = _sub(intervals, "Time_Interval")
        _sub(interval, "Start", date_text(start, spec.dialect))
        _sub(interval, "Stop", date_text(stop, spec.dialect))
        _sub(interval, "File_Name", name)


def declared_key(item: TaskInput) -> str:
    return item.ref if item.is_ref else item.key
