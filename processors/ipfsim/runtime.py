"""The life of a simulated IPF task: JobOrder, IPF log lines, injected behaviour, outputs, `.LIST`, exit code.

Injection (dynamic processing parameters of the JobOrder, i.e. Task Table defaults or production-rule parameters;
never the environment, which the execution workers keep minimal):

| Parameter | Effect |
|---|---|
| `Sim_Duration_S` | seconds the task works (progress lines meanwhile); default per processor |
| `Sim_Memory_MB` | MiB allocated and touched while working (peak memory) |
| `Sim_Exit_Code` | exit code: 1-127 = warning (outputs written), >= 128 = error (no outputs, no `.LIST`) |
| `Sim_Kill_Signal` | signal number the task sends itself after working (a crash: SIGSEGV 11, SIGKILL 9 …) |
| `Sim_Skip_Outputs` | comma-separated output types not written (a missing mandatory output) |
| `Sim_Fail_Tasks` | comma-separated task names the failure knobs apply to (default: every task) |
"""

from __future__ import annotations

import os
import signal
import socket
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from ipfsim.joborder import JobOrder, JobOrderError, Proc, joborder_read

EXIT_OK, EXIT_INPUT_ERROR, EXIT_CRASH = 0, 128, 255
MIB = 1024 * 1024


class InputError(Exception):
    """A mandatory input is missing or unreadable: the task fails with EXIT_INPUT_ERROR."""


class IpfLog:
    """`<UTC time> <node> <processor> <version> [<pid>]: [<level>] <message>` on stdout (ipf-interface.md §6.2)."""

    def __init__(self, processor: str, version: str) -> None:
        self.processor, self.version = processor or "unknown", version or "0"
        self.node = socket.gethostname().split(".")[0] or "localhost"
        self.pid = os.getpid()

    def line(self, level: str, message: str) -> None:
        now = datetime.now(UTC)
        stream = sys.stderr if level == "E" else sys.stdout
        print(f"{now:%Y-%m-%dT%H:%M:%S.%f} {self.node} {self.processor} {self.version} [{self.pid:010d}]: "
              f"[{level}] {message}", file=stream, flush=True)

    def info(self, message: str) -> None:
        self.line("I", message)

    def warning(self, message: str) -> None:
        self.line("W", message)

    def error(self, message: str) -> None:
        self.line("E", message)

    def progress(self, message: str) -> None:
        self.line("P", message)


@dataclass(frozen=True)
class Knobs:
    duration_s: float
    memory_mb: int
    exit_code: int
    kill_signal: int
    skip_outputs: frozenset[str]

    @classmethod
    def of(cls, joborder: JobOrder, task: str, *, default_duration_s: float) -> Knobs:
        def number(name: str, default: str) -> float:
            text = joborder.parameter(name, default)
            try:
                return float(text)
            except ValueError:
                raise JobOrderError(f"parameter {name}: {text!r} is not a number") from None

        targets = {t.strip() for t in joborder.parameter("Sim_Fail_Tasks").split(",") if t.strip()}
        failing = not targets or task in targets
        exit_code = int(number("Sim_Exit_Code", "0")) if failing else 0
        if not 0 <= exit_code <= 255:
            raise JobOrderError(f"parameter Sim_Exit_Code: {exit_code} is not an exit code (0-255)")
        return cls(duration_s=max(0.0, number("Sim_Duration_S", str(default_duration_s))),
                   memory_mb=max(0, int(number("Sim_Memory_MB", "0"))), exit_code=exit_code,
                   kill_signal=int(number("Sim_Kill_Signal", "0")) if failing else 0,
                   skip_outputs=frozenset(t.strip() for t in joborder.parameter("Sim_Skip_Outputs").split(",")
                                          if t.strip()) if failing else frozenset())


@dataclass
class Task:
    """What a processor body gets: its JobOrder, its Ipf_Proc, the log and the processing time."""

    joborder: JobOrder
    proc: Proc
    log: IpfLog
    knobs: Knobs
    processing_time: datetime
    outputs: list[tuple[str, str]] = field(default_factory=list)  # (output type, path relative to the workdir)

    @property
    def workdir(self) -> Path:
        return self.joborder.workdir

    def wants(self, file_type: str) -> bool:
        """Whether this output is to be written (declared in the JobOrder and not skipped by injection)."""
        if file_type in self.knobs.skip_outputs:
            self.log.warning(f"output {file_type} not written (Sim_Skip_Outputs)")
            return False
        return self.proc.output(file_type) is not None

    def produced(self, file_type: str, path: Path) -> None:
        relative = path.relative_to(self.workdir).as_posix()
        self.outputs.append((file_type, relative))
        self.log.info(f"Product {relative} ({file_type}) written")

    def inputs(self, *file_types: str, mandatory: bool = True) -> list[Path]:
        paths = self.proc.files_of(*file_types)
        present = [p for p in paths if p.exists()]
        for missing in (p for p in paths if not p.exists()):
            if mandatory:
                raise InputError(f"input {missing} ({'/'.join(file_types)}) is not in the working directory")
            self.log.warning(f"input {missing} is not in the working directory")
        if mandatory and not present:
            raise InputError(f"no input of type {'/'.join(file_types)} in the JobOrder")
        return present


Body = Callable[[Task], None]


def _work(task: Task) -> None:
    knobs, log = task.knobs, task.log
    ballast = bytearray(knobs.memory_mb * MIB) if knobs.memory_mb else None
    if ballast is not None:
        for offset in range(0, len(ballast), 4096):  # touch every page: resident, not just reserved
            ballast[offset] = 1
        log.info(f"{knobs.memory_mb} MiB allocated")
    steps = max(1, min(10, int(knobs.duration_s)))
    for step in range(1, steps + 1):
        time.sleep(knobs.duration_s / steps)
        log.progress(f"Processing {100 * step // steps}%")
    del ballast


def list_write(task: Task, name: str) -> Path:
    """The `.LIST` file: one output path per line, relative to the working directory."""
    path = task.workdir / name
    partial = path.with_name(f".{name}.part")
    partial.write_text("".join(f"{relative}\n" for _, relative in task.outputs))
    partial.rename(path)
    task.log.info(f"List file {name} written with {len(task.outputs)} products")
    return path


def main(*, task_name: str, body: Body, list_name: Callable[[Task], str] | None,
         default_duration_s: float = 0.5, argv: list[str] | None = None) -> int:
    """Run one task; returns its exit code. `list_name` None: this task writes no `.LIST` (a later pool does)."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        IpfLog(task_name, "0").error(f"usage: {Path(sys.argv[0]).name} <JobOrder path> (got {len(args)} arguments)")
        return EXIT_CRASH
    try:
        joborder = joborder_read(Path(args[0]))
    except JobOrderError as exc:
        IpfLog(task_name, "0").error(str(exc))
        return EXIT_INPUT_ERROR
    log = IpfLog(joborder.processor_name, joborder.version)
    log.info(f"Starting {task_name} V{joborder.version} with JobOrder file {joborder.path}")
    code = EXIT_OK
    try:
        task = Task(joborder=joborder, proc=joborder.proc(task_name), log=log, processing_time=datetime.now(UTC),
                    knobs=Knobs.of(joborder, task_name, default_duration_s=default_duration_s))
        _work(task)
        if task.knobs.kill_signal:
            log.error(f"Simulated crash: signal {task.knobs.kill_signal}")
            os.kill(os.getpid(), task.knobs.kill_signal)
            signal.pause()  # a signal that does not end the process leaves it waiting for Max_Time
        if task.knobs.exit_code >= 128:
            log.error(f"Simulated processing error (Sim_Exit_Code {task.knobs.exit_code}): no output written")
            code = task.knobs.exit_code
        else:
            body(task)
            if list_name is not None:
                list_write(task, list_name(task))
            code = task.knobs.exit_code
            if code:
                log.warning(f"Simulated warning (Sim_Exit_Code {code})")
    except (JobOrderError, InputError) as exc:
        log.error(str(exc))
        code = EXIT_INPUT_ERROR
    except Exception as exc:  # a bug of the processor is an error of the task, with its trace on stderr
        log.error(f"{type(exc).__name__}: {exc}")
        traceback.print_exc()
        code = EXIT_CRASH
    verdict = "OK" if code == 0 else "WARNING" if code < 128 else "ERROR"
    log.info(f"Leaving {task_name} with exit code {code} ({verdict})")
    return code


def run(**kwargs: object) -> None:
    """Entry point of a processor executable."""
    raise SystemExit(main(**kwargs))  # type: ignore[arg-type]
