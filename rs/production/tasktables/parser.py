"""Task Table XML → `TaskTable`. Accepts the S1/COPRS and S3 spellings, refuses with the element and the reason.

Untrusted uploads: DTD and entity declarations are refused before parsing (no entity expansion, no external
fetch), the size is capped, and every refusal is a `TaskTableError` naming the element path, never a traceback.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET

from rs.errors import DomainError
from rs.production.choices import (
    CUSTOM_POLICY_CLASSES,
    POLICY_SPELLINGS,
    SELECTION_POLICIES,
    Destination,
    InputMode,
    Origin,
)
from rs.production.tasktables.definition import (
    Alternative,
    Breakpoint,
    ConfigFile,
    DynParam,
    Pool,
    Task,
    TaskInput,
    TaskOutput,
    TaskTable,
)

MAX_TABLE_BYTES = 5 * 1024 * 1024  # the largest real table is 30 KB
_DECLARATION = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_YES = {"yes": True, "true": True, "no": False, "false": False}
# File_Name_Type values of the ICD, plus those of other ICD versions and S2 JobOrders (passed through).
FILE_NAME_TYPES = {"Physical", "Directory", "Regexp", "Logical", "Stem", "Prefix", "File", "Archive"}


class TaskTableError(DomainError):
    """A Task Table refused at import: `element` is the path of the offending element, `reason` what is wrong."""

    code = "invalid_task_table"

    def __init__(self, element: str, reason: str) -> None:
        super().__init__(f"{element}: {reason}", details={"element": element, "reason": reason})
        self.element = element
        self.reason = reason


class _Node:
    """An element with its path, so every error can say where it is."""

    def __init__(self, element: ET.Element, path: str) -> None:
        self.element = element
        self.path = path

    def children(self, *tags: str) -> list[_Node]:
        found = [c for c in self.element if isinstance(c.tag, str) and c.tag in tags]
        return [_Node(c, f"{self.path}/{c.tag}[{n}]") for n, c in enumerate(found, start=1)]

    def child(self, *tags: str, required: bool = True) -> _Node | None:
        found = self.children(*tags)
        if len(found) > 1:
            raise TaskTableError(found[1].path, f"{found[1].element.tag} appears more than once")
        if not found:
            if required:
                raise TaskTableError(f"{self.path}/{'|'.join(tags)}", "missing")
            return None
        return _Node(found[0].element, f"{self.path}/{found[0].element.tag}")

    def text(self, *tags: str, required: bool = True, default: str = "") -> str:
        node = self.child(*tags, required=required)
        if node is None:
            return default
        value = (node.element.text or "").strip()
        if required and not value:
            raise TaskTableError(node.path, "empty")
        return value

    def flag(self, *tags: str, required: bool = True) -> bool | None:
        node = self.child(*tags, required=required)
        if node is None:
            return None
        value = (node.element.text or "").strip()
        if value.lower() not in _YES:
            raise TaskTableError(node.path, f"{value!r} is not Yes/No or true/false")
        return _YES[value.lower()]

    def number(self, *tags: str, required: bool = True, integer: bool = False) -> float | None:
        node = self.child(*tags, required=required)
        if node is None:
            return None
        raw = (node.element.text or "").strip()
        try:
            value = float(raw)
        except ValueError:
            raise TaskTableError(node.path, f"{raw!r} is not a number") from None
        if not math.isfinite(value):
            raise TaskTableError(node.path, f"{raw!r} is not a finite number")
        if integer and not value.is_integer():
            raise TaskTableError(node.path, f"{raw!r} is not an integer")
        return value


def _int(value: float | None) -> int | None:
    return None if value is None else int(value)


def tasktable_parse(data: bytes | str) -> TaskTable:
    """Parse and validate a Task Table; raises TaskTableError with the element path and the reason."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if len(raw) > MAX_TABLE_BYTES:
        raise TaskTableError("(file)", f"larger than {MAX_TABLE_BYTES // (1024 * 1024)} MB")
    if _DECLARATION.search(raw):
        raise TaskTableError("(file)", "DTD and ENTITY declarations are not accepted")
    try:
        root = ET.fromstring(raw)  # noqa: S314 - DTD/ENTITY refused above: no expansion, nothing fetched
    except ET.ParseError as exc:
        line, column = exc.position
        raise TaskTableError(f"(file) line {line}, column {column}", f"not well-formed XML ({exc})") from None
    if root.tag != "Ipf_Task_Table":
        raise TaskTableError(f"/{root.tag}", "the root element must be Ipf_Task_Table")
    top = _Node(root, "Ipf_Task_Table")

    spelling = "s1"
    config_files = []
    cfg_list = top.child("List_of_Cfg_Files", required=False)
    if cfg_list is not None:
        for cfg in cfg_list.children("Cfg_Files", "Cfg_File"):
            spelling = "s3" if cfg.element.tag == "Cfg_File" else spelling
            config_files.append(ConfigFile(version=cfg.text("Version", required=False),
                                           file_name=cfg.text("File_Name")))
    dyn_params = []
    params = top.child("List_of_Dyn_ProcParam", "List_of_Dyn_ProcParams", required=False)
    if params is not None:
        spelling = "s3" if params.element.tag == "List_of_Dyn_ProcParams" else spelling
        names: set[str] = set()
        for param in params.children("Dyn_ProcParam"):
            name = param.text("Param_Name")
            if name in names:
                raise TaskTableError(param.path, f"parameter {name!r} is declared twice")
            names.add(name)
            default_node = param.child("Param_Default", required=False)
            dyn_params.append(DynParam(
                name=name, type=param.text("Param_Type", required=False),
                default=None if default_node is None else (default_node.element.text or "").strip(),
            ))

    pools_node = top.child("List_of_Pools")
    assert pools_node is not None
    pools = [_pool(node, index) for index, node in enumerate(pools_node.children("Pool"), start=1)]
    if not pools:
        raise TaskTableError(pools_node.path, "a Task Table needs at least one Pool")
    table = TaskTable(
        processor_name=top.text("Processor_Name"),
        version=top.text("Version"),
        test=bool(top.flag("Test")),
        min_disk_space_mb=_int(top.number("Min_Disk_Space", integer=True)) or 0,
        max_time_s=_int(top.number("Max_Time", integer=True)) or 0,
        sensing_time_flag=top.flag("Sensing_Time_flag", "Sensing_Time_Flag", required=False),
        config_files=tuple(config_files),
        dyn_params=tuple(dyn_params),
        pools=tuple(pools),
        spelling=spelling if not any(_s3_output_spelling(p) for p in pools_node.children("Pool")) else "s3",
    )
    _check_references(table, pools_node.path)
    return table


def _s3_output_spelling(pool: _Node) -> bool:
    return any(out.child("File_Type", required=False) is not None
               for tasks in pool.children("List_of_Tasks") for task in tasks.children("Task")
               for outputs in task.children("List_of_Outputs") for out in outputs.children("Output"))


def _pool(node: _Node, pool_index: int) -> Pool:
    tasks_node = node.child("List_of_Tasks")
    assert tasks_node is not None
    tasks = [_task(t, pool_index, n) for n, t in enumerate(tasks_node.children("Task"), start=1)]
    if not tasks:
        raise TaskTableError(tasks_node.path, "a Pool needs at least one Task")
    return Pool(detached=bool(node.flag("Detached")),
                killing_signal=_int(node.number("Killing_Signal", integer=True, required=False)),
                tasks=tuple(tasks))


def _task(node: _Node, pool_index: int, task_index: int) -> Task:
    name = node.text("Name")
    node.path = f"{node.path}({name})"
    inputs_node = node.child("List_of_Inputs")
    outputs_node = node.child("List_of_Outputs")
    assert inputs_node is not None and outputs_node is not None
    inputs = [_input(i, f"{pool_index}.{task_index}.{n}")
              for n, i in enumerate(inputs_node.children("Input"), start=1)]
    outputs = [_output(o) for o in outputs_node.children("Output")]
    breakpoints = []
    breakpoints_node = node.child("List_of_Breakpoints", required=False)
    if breakpoints_node is not None:
        for bp in breakpoints_node.children("Breakpoint"):
            breakpoints.append(Breakpoint(file_name=bp.text("File_Name"),
                                          file_name_type=bp.text("File_Name_Type", required=False)))
    critical = node.flag("Critical", required=False)
    return Task(
        name=name, version=node.text("Version"), critical=True if critical is None else critical,
        criticality_level=_int(node.number("Criticality_Level", integer=True, required=False)),
        file_name=node.text("File_Name"), inputs=tuple(inputs), outputs=tuple(outputs),
        breakpoints=tuple(breakpoints),
        number_of_cpus=_int(node.number("Number_of_CPUs", integer=True, required=False)),
    )


def _input(node: _Node, position: str) -> TaskInput:
    ref = (node.element.get("ref") or "").strip()
    ident = (node.element.get("id") or "").strip()
    if ref:
        if ident or len(node.element):
            raise TaskTableError(node.path, f"an Input with ref={ref!r} has no id and no content of its own")
        return TaskInput(key=ref, id="", ref=ref, mode="", mandatory=False, alternatives=())
    mode = node.text("Mode")
    if mode not in InputMode.values:
        raise TaskTableError(f"{node.path}/Mode", f"unknown mode {mode!r} (one of {', '.join(InputMode.values)})")
    alternatives_node = node.child("List_of_Alternatives")
    assert alternatives_node is not None
    alternatives = [_alternative(a) for a in alternatives_node.children("Alternative")]
    if not alternatives:
        raise TaskTableError(alternatives_node.path, "an Input needs at least one Alternative")
    orders = [a.order for a in alternatives]
    if len(set(orders)) != len(orders):
        raise TaskTableError(alternatives_node.path, f"two alternatives share an Order ({sorted(orders)})")
    return TaskInput(key=ident or position, id=ident, ref="", mode=mode, mandatory=bool(node.flag("Mandatory")),
                     alternatives=tuple(sorted(alternatives, key=lambda a: a.order)))


def _alternative(node: _Node) -> Alternative:
    origin = node.text("Origin")
    if origin not in Origin.values:
        raise TaskTableError(f"{node.path}/Origin", f"unknown origin {origin!r} (DB, PROC or LOG)")
    mode = node.text("Retrieval_Mode")
    custom_class = node.text("customClass", required=False)
    if mode == "Custom":
        policy = CUSTOM_POLICY_CLASSES.get(custom_class)
        if policy is None:
            raise TaskTableError(f"{node.path}/customClass",
                                 f"custom selection class {custom_class!r} is not supported")
    else:
        policy = POLICY_SPELLINGS.get(mode, mode)
        if policy not in SELECTION_POLICIES:
            raise TaskTableError(f"{node.path}/Retrieval_Mode", f"unknown selection policy {mode!r}")
    file_name_type = node.text("File_Name_Type")
    if file_name_type not in FILE_NAME_TYPES:
        raise TaskTableError(f"{node.path}/File_Name_Type", f"unknown file name type {file_name_type!r}")
    return Alternative(
        order=_int(node.number("Order", integer=True)) or 0, origin=origin, policy=policy, retrieval_mode=mode,
        custom_class=custom_class, t0=node.number("T0") or 0.0, t1=node.number("T1") or 0.0,
        file_type=node.text("File_Type"), file_name_type=file_name_type,
        min_results=_int(node.number("minResults", integer=True, required=False)),
        max_results=_int(node.number("maxResults", integer=True, required=False)),
    )


def _output(node: _Node) -> TaskOutput:
    destination = node.text("Destination")
    if destination not in Destination.values:
        raise TaskTableError(f"{node.path}/Destination", f"unknown destination {destination!r} (DB, PROC, DBPROC)")
    file_name_type = node.text("File_Name_Type")
    if file_name_type not in FILE_NAME_TYPES:
        raise TaskTableError(f"{node.path}/File_Name_Type", f"unknown file name type {file_name_type!r}")
    pattern = node.text("File_Name", required=False)
    if pattern and file_name_type != "Regexp":
        raise TaskTableError(f"{node.path}/File_Name", "an output name pattern needs File_Name_Type Regexp")
    if pattern:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise TaskTableError(f"{node.path}/File_Name", f"not a regular expression: {exc}") from None
    return TaskOutput(file_type=node.text("Type", "File_Type"), destination=destination,
                      mandatory=bool(node.flag("Mandatory")), file_name_type=file_name_type, pattern=pattern)


def _check_references(table: TaskTable, pools_path: str) -> None:
    declared: set[str] = set()
    for pool_index, pool in enumerate(table.pools, start=1):
        for task_index, task in enumerate(pool.tasks, start=1):
            where = f"{pools_path}/Pool[{pool_index}]/List_of_Tasks/Task[{task_index}]({task.name})/List_of_Inputs"
            for n, item in enumerate(task.inputs, start=1):
                if item.is_ref and item.ref not in declared:
                    raise TaskTableError(f"{where}/Input[{n}]", f"ref={item.ref!r} names no Input id declared before")
                if item.id:
                    if item.id in declared:
                        raise TaskTableError(f"{where}/Input[{n}]", f"id={item.id!r} is declared twice")
                    declared.add(item.id)
