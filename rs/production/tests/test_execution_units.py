"""Execution parts without workers: IPF log lines, .LIST discovery, executable lookup, backoff, safe unpacking."""

from __future__ import annotations

import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from rs.production.execution.claims import retry_delay_s, will_retry
from rs.production.execution.errors import MaxTimeReached, ProcessorFailure, TransientFailure
from rs.production.execution.logs import TaskLog, line_parse
from rs.production.execution.outputs import ExpectedOutput, outputs_discover
from rs.production.execution.workdir import UnsafeMember, _unzip, executable_resolve, session_folder
from rs.production.models import Job, ProductionRule
from rs.production.tasktables.parser import tasktable_parse
from rs.production.tests.execution_support import sim_table

IW_SLICE = "S1A_IW_RAW__0SDV_20171213T121623_20171213T121656_019684_021735_C6DB"


def test_an_ipf_log_line_is_parsed_into_its_fields() -> None:
    line = line_parse("2020-06-03T13:56:37.940000 docker-desktop sample-processor 00.01 [0000012345]: [W] low disk",
                      task="T1", stream="stdout")
    assert (line.at, line.node, line.pid, line.level, line.message, line.ipf_format) == (
        datetime(2020, 6, 3, 13, 56, 37, 940000, tzinfo=UTC), "docker-desktop", 12345, "W", "low disk", True)


def test_other_lines_are_kept_verbatim_at_the_level_of_their_stream() -> None:
    now = datetime(2024, 1, 1, tzinfo=UTC)
    out = line_parse('{"json": "log"}\n', task="T1", stream="stdout", now=now)
    err = line_parse("Segmentation fault", task="T1", stream="stderr", now=now)
    assert (out.message, out.level, out.ipf_format, out.at) == ('{"json": "log"}', "I", False, now)
    assert (err.message, err.level) == ("Segmentation fault", "E")


def test_a_task_log_keeps_its_first_lines_and_counts_the_rest() -> None:
    log = TaskLog(task="T1", max_lines=3)
    for n in range(10):
        log.add(f"line {n}", stream="stdout")
    assert [line.message for line in log.lines] == ["line 0", "line 1", "line 2"]
    assert log.dropped == 7


def expected(*types: str, mandatory: bool = True, destination: str = "DB") -> list[ExpectedOutput]:
    import re

    return [ExpectedOutput(file_type=t, destination=destination, mandatory=mandatory,
                           patterns=(re.compile(rf"^.*{t}.*$"),)) for t in types]


def test_the_list_file_names_the_outputs_isip_become_safe_and_reports_are_ignored(tmp_path: Path) -> None:
    (tmp_path / "NRT" / f"{IW_SLICE}.ISIP").mkdir(parents=True)
    (tmp_path / "report.xml").write_text("<r/>")
    (tmp_path / "AIOProc.LIST").write_text(f"NRT/{IW_SLICE}.ISIP\n\nreport.xml\n")
    found, warnings = outputs_discover(tmp_path, expected("IW_RAW__0S"))
    assert [(f.name, f.file_type, f.path) for f in found] == [
        (f"{IW_SLICE}.SAFE", "IW_RAW__0S", tmp_path / "NRT" / f"{IW_SLICE}.SAFE")]
    assert warnings == ["report.xml: listed but matches no declared output (ignored)"]


def test_a_listed_file_that_does_not_exist_fails_the_job(tmp_path: Path) -> None:
    (tmp_path / "job.LIST").write_text(f"{IW_SLICE}.SAFE\n")
    with pytest.raises(ProcessorFailure, match=rf"^job.LIST lists {IW_SLICE}.SAFE, which does not exist$"):
        outputs_discover(tmp_path, expected("IW_RAW__0S"))


def test_two_list_files_and_lines_leaving_the_workdir_are_refused(tmp_path: Path) -> None:
    (tmp_path / "a.LIST").write_text("../etc/passwd\n")
    with pytest.raises(ProcessorFailure, match=r"^\.LIST line '\.\./etc/passwd' points outside the working directory$"):
        outputs_discover(tmp_path, expected("IW_RAW__0S"))
    (tmp_path / "b.LIST").write_text("")
    with pytest.raises(ProcessorFailure,
                       match=r"^more than one \.LIST file in the working directory: a\.LIST, b\.LIST$"):
        outputs_discover(tmp_path, expected("IW_RAW__0S"))


def test_without_list_file_the_top_level_is_scanned_and_a_missing_mandatory_type_fails(tmp_path: Path) -> None:
    (tmp_path / f"{IW_SLICE}.SAFE").mkdir()
    (tmp_path / "S1A_IW_RAW__0SDV_input.SAFE").mkdir()  # a staged input of the same type: not an output
    found, _ = outputs_discover(tmp_path, expected("IW_RAW__0S"), skip=["S1A_IW_RAW__0SDV_input.SAFE"])
    assert [f.name for f in found] == [f"{IW_SLICE}.SAFE"]
    optional = outputs_discover(tmp_path, expected("IW_RAW__0S", "IW_RAW__0A", mandatory=False),
                                skip=["S1A_IW_RAW__0SDV_input.SAFE"])
    assert optional[0] == found
    with pytest.raises(ProcessorFailure, match=r"^mandatory outputs not produced: IW_GRDH_1S, IW_SLC__1S$"):
        outputs_discover(tmp_path, expected("IW_GRDH_1S", "IW_SLC__1S"))


def test_proc_outputs_are_never_catalogued(tmp_path: Path) -> None:
    (tmp_path / f"{IW_SLICE}.SAFE").mkdir()
    assert outputs_discover(tmp_path, expected("IW_RAW__0S", destination="PROC")) == ([], [])


def test_executables_resolve_under_the_processor_root(tmp_path: Path, settings: Any) -> None:
    settings.RS_PROCESSOR_ROOT = tmp_path
    program = tmp_path / "s3" / "ol1.py"
    program.parent.mkdir()
    program.write_text("#!/bin/sh\n")
    with pytest.raises(ProcessorFailure, match=rf"^executable {program} is not executable \(chmod \+x\)$"):
        executable_resolve("s3/ol1.py")
    program.chmod(0o755)
    assert executable_resolve(" s3/ol1.py ") == program
    assert executable_resolve("/bin/true") == Path("/bin/true")
    with pytest.raises(ProcessorFailure, match=r"^executable 's3/missing' not found \(looked at .*/s3/missing\)$"):
        executable_resolve("s3/missing")
    with pytest.raises(ProcessorFailure, match=r"^executable '\.\./s3/ol1\.py' leaves the processor root$"):
        executable_resolve("../s3/ol1.py")


def test_session_files_go_to_their_channel_folder() -> None:
    assert session_folder("DCS_05_S1A_20200120124746030884_ch2_DSDB_00017.raw") == "ch02"
    assert session_folder("DCS_05_S1A_20200120124746030884_ch1_DSIB.xml") == "ch01"
    assert session_folder("S1A_OPER_MPL_ORBPRE_20171208T200309_20171215T200309_0001.EOF") == ""


def test_retry_backoff_doubles_and_is_capped(settings: Any) -> None:
    settings.RS_EXECUTION_RETRY_BACKOFF_S = 60
    settings.RS_EXECUTION_RETRY_BACKOFF_MAX_S = 300
    assert [retry_delay_s(n) for n in range(5)] == [60, 120, 240, 300, 300]


def test_a_max_time_expiry_is_retried_unless_the_rule_says_not_to(settings: Any) -> None:
    settings.RS_EXECUTION_MAX_RETRIES = 3
    expiry, storage = MaxTimeReached("Max_Time of 3 s reached"), TransientFailure("storage unavailable")
    operational = Job(rule=ProductionRule(retry_after_max_time=True), automatic_retries=0)
    campaign_run = Job(rule=ProductionRule(retry_after_max_time=False), automatic_retries=0)
    assert [will_retry(job, failure) for job in (operational, campaign_run) for failure in (expiry, storage)] == [
        True, True, False, True]
    operational.automatic_retries = 3  # the budget spent
    assert will_retry(operational, expiry) is False


def test_an_input_archive_cannot_write_outside_the_working_directory(tmp_path: Path) -> None:
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.writestr("../outside.txt", "x")
    (tmp_path / "wd").mkdir()
    with pytest.raises(UnsafeMember, match=r"^member '\.\./outside\.txt' would land outside the working directory$"):
        _unzip(archive, tmp_path / "wd")
    assert not (tmp_path / "outside.txt").exists()


def test_the_test_table_imports_with_its_resources() -> None:
    table = tasktable_parse(sim_table(max_time_s=7, min_disk_mb=3))
    assert (table.max_time_s, table.min_disk_space_mb, table.pools[0].tasks[0].file_name) == (7, 3, "sim_ipf.py")


def runner_for(tmp_path: Path, *, max_time_s: float = 30) -> Any:
    import threading
    import time

    from rs.production.execution.processes import PoolsRunner

    joborder = tmp_path / "JobOrder.xml"
    joborder.write_text("<Ipf_Job_Order/>")
    return PoolsRunner(workdir=tmp_path, joborder=joborder, env={"PATH": "/usr/bin:/bin"},
                       deadline=time.monotonic() + max_time_s, max_time_s=int(max_time_s), kill_grace_s=1,
                       log_max_lines=100, abort=threading.Event(), resolve=lambda name: tmp_path / name)


def script(tmp_path: Path, name: str, body: str) -> str:
    path = tmp_path / name
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)
    return name


def pool_of(*tasks: tuple[str, bool]) -> Any:
    from rs.production.tasktables.definition import Pool, Task

    return Pool(detached=False, killing_signal=15, tasks=tuple(
        Task(name=f"T{n}", version="1", critical=critical, criticality_level=None, file_name=file_name, inputs=(),
             outputs=(), breakpoints=(), number_of_cpus=None) for n, (file_name, critical) in enumerate(tasks)))


def test_a_failing_critical_task_stops_its_pool_siblings(tmp_path: Path) -> None:
    failing = script(tmp_path, "fail.sh", 'echo "broken" >&2; exit 200')
    slow = script(tmp_path, "slow.sh", "sleep 30")
    results = runner_for(tmp_path).pool_run(0, pool_of((failing, True), (slow, True)))
    assert [(r.task.name, r.exit_code, r.signal, r.outcome) for r in results] == [
        ("T0", 200, None, "error"), ("T1", None, 15, "aborted")]
    assert results[1].wall_s < 5
    assert [(line.stream, line.level, line.message) for line in results[0].log.lines] == [("stderr", "E", "broken")]


def test_warnings_and_non_critical_failures_let_the_pool_finish(tmp_path: Path) -> None:
    warning = script(tmp_path, "warn.sh", "exit 3")
    failing = script(tmp_path, "fail.sh", "exit 129")
    ok = script(tmp_path, "ok.sh", "sleep 0.3; echo done")
    results = runner_for(tmp_path).pool_run(0, pool_of((warning, True), (failing, False), (ok, True)))
    assert [(r.exit_code, r.outcome) for r in results] == [(3, "warning"), (129, "error"), (0, "ok")]


def test_a_task_that_cannot_start_is_a_processor_failure(tmp_path: Path) -> None:
    broken = tmp_path / "noshebang"
    broken.write_text("not a program\n")
    broken.chmod(0o755)
    with pytest.raises(ProcessorFailure, match=r"^task T0: cannot start .*/noshebang: \[Errno 8\] Exec format error"):
        runner_for(tmp_path).pool_run(0, pool_of(("noshebang", True)))


def test_min_disk_space_is_checked_against_the_workdir_volume(tmp_path: Path, settings: Any) -> None:
    import shutil

    from rs.production.execution.errors import TransientFailure
    from rs.production.execution.workdir import disk_space_check

    settings.RS_WORKDIR_ROOT = tmp_path / "workdirs"
    free_mb = shutil.disk_usage(tmp_path).free // (1024 * 1024)
    disk_space_check(1)
    with pytest.raises(TransientFailure, match=r"^not enough disk space: the processor needs 1000000000 MB, \d+ MB "
                                               r"are free under the working-directory root$") as refused:
        disk_space_check(1_000_000_000)
    assert abs(int(refused.value.reason.split(", ")[1].split()[0]) - free_mb) < 1024


def test_a_task_killed_by_sigkill_we_did_not_send_is_a_transient_oom_kill(tmp_path: Path) -> None:
    from rs.production.execution.errors import TransientFailure
    from rs.production.execution.run import results_judge

    oom = script(tmp_path, "oom.sh", "kill -9 $$")
    results = runner_for(tmp_path).pool_run(0, pool_of((oom, True)))
    assert [(r.exit_code, r.signal, r.outcome) for r in results] == [(None, 9, "killed")]
    with pytest.raises(TransientFailure, match=r"^task T0 was killed by SIGKILL \(out of memory\?\)$"):
        results_judge(results, pools=1, ran_pools=1, max_time_s=30)
