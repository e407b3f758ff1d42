"""Outputs are found by the name patterns the Task Table declares (ipf-interface.md §6.3 rule 4): the real tables'
`Regexp` and `Directory` outputs by `^.*<File_Type>.*$`, a `Regexp` output with its own `File_Name` by that
pattern, in the `.LIST` file and in the scan of the working directory alike, and the JobOrder says the same."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from rs.production import services
from rs.production.execution.errors import ProcessorFailure
from rs.production.execution.outputs import expected_outputs, outputs_discover
from rs.production.joborder import JobOrderSpec, joborder_render
from rs.production.registry import tasktable_of
from rs.production.tasktables.parser import TaskTableError, tasktable_parse
from rs.production.tests.builders import JOBORDERS, TASKTABLES, needs_samples

SLC = "S1A_IW_SLC__1SDV_20240604T120000_20240604T120025_054123_069ABC_1A2B.SAFE"
GRD = "S1A_IW_GRDH_1SDV_20240604T120000_20240604T120025_054123_069ABC_3C4D.SAFE"
SLC_PATTERN = r"^S1[AB]_IW_SLC__1S(SH|SV|DH|DV)_\d{8}T\d{6}_\d{8}T\d{6}_\d{6}_[0-9A-F]{6}_[0-9A-F]{4}\.SAFE$"


def l1_table_with_slc_pattern() -> bytes:
    """The real S1 IPF 3.90 IW table, its IW_SLC__1S output (Regexp) given a pattern of its own."""
    xml = (TASKTABLES / "s1" / "IW_RAW__0_SLC__1_GRDH_1.xml").read_text(encoding="utf-8")
    declared = "<Type>IW_SLC__1S</Type>\n              <File_Name_Type>Regexp</File_Name_Type>"
    assert xml.count(declared) == 1
    return xml.replace(declared, f"{declared}\n              <File_Name>{SLC_PATTERN}</File_Name>").encode()


def make(workdir: Path, *names: str) -> None:
    for name in names:
        path = workdir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if name.endswith((".SAFE", ".ISIP")):
            path.mkdir()
        else:
            path.write_text("x")


@needs_samples
def test_the_aiop_sample_list_is_matched_against_the_aiop_tables_declared_outputs(tmp_path: Path) -> None:
    # given the real AIOP table (Regexp and Directory outputs, no pattern of their own) and the real list file
    table = tasktable_parse((TASKTABLES / "s1" / "TaskTable.AIOP.xml").read_bytes())
    expected = expected_outputs(table)
    assert {e.file_type: [p.pattern for p in e.patterns] for e in expected}["IW_RAW__0S"] == ["^.*IW_RAW__0S.*$"]
    assert {e.file_type for e in expected if e.catalogued} >= {"IW_RAW__0S", "SM_RAW__0S", "ZW_RAW__0S"}
    listed = (JOBORDERS / "s1" / "outputs.list").read_text(encoding="utf-8")
    make(tmp_path, *[line for line in listed.splitlines() if line.strip()])
    (tmp_path / "AIOProc.LIST").write_text(listed, encoding="utf-8")
    # when the outputs are discovered
    found, warnings = outputs_discover(tmp_path, expected)
    # then the two IW segments are the products (ISIP → SAFE); the rest matches no declared pattern
    assert [(f.name, f.file_type, f.path.relative_to(tmp_path).as_posix()) for f in found] == [
        ("S1A_IW_RAW__0SDV_20171213T121623_20171213T121656_019684_021735_C6DB.SAFE", "IW_RAW__0S",
         "NRT/S1A_IW_RAW__0SDV_20171213T121623_20171213T121656_019684_021735_C6DB.SAFE"),
        ("S1A_IW_RAW__0SDV_20171213T121623_20171213T121656_019684_021735_C6DA.SAFE", "IW_RAW__0S",
         "S1A_IW_RAW__0SDV_20171213T121623_20171213T121656_019684_021735_C6DA.SAFE"),
    ]
    ignored = "listed but matches no declared output (ignored)"
    assert warnings == [
        f"S1A_IW_RAW__0ADV_20171213T121123_20171213T121947_019684_021735_51B1.SAFE: {ignored}",
        f"report.xml: {ignored}", f"report_1.xml: {ignored}", f"report_2.xml: {ignored}",
        f"S1A_BLANK_FILE.EOF: {ignored}", f"not_match_file: {ignored}",
        f"S1A_IW_RAW__0ADV_20171213T121623_20171213T121656_019684_021735_C6DA.SAFE: {ignored}",
    ]


@needs_samples
@pytest.mark.django_db
def test_a_declared_output_pattern_survives_the_import_and_decides_what_is_an_output(tmp_path: Path) -> None:
    # given the IW L1 table imported with a pattern of its own for IW_SLC__1S, read back from the registry
    version = services.processor_import(data=l1_table_with_slc_pattern())
    table = tasktable_of(version)
    declared = {o.file_type: o for t in table.tasks() for o in t.outputs}
    assert declared["IW_SLC__1S"].pattern == SLC_PATTERN
    assert declared["IW_SLC__1A"].name_pattern == "^.*IW_SLC__1A.*$"  # Regexp without File_Name: the default
    assert declared["IW_GRDH_1S"].name_pattern == "^.*IW_GRDH_1S.*$"  # Directory
    # then the JobOrder names that pattern in the working directory, the others the default
    moment = datetime(2024, 6, 4, 12, tzinfo=UTC)
    joborder = joborder_render(JobOrderSpec(
        table=table, dialect=version.joborder_dialect, workdir="/data/localWD/7/", sensing_start=moment,
        sensing_stop=moment, interval_start=moment, interval_stop=moment, parameters=[], inputs={}))
    assert f"<File_Name>/data/localWD/7/{SLC_PATTERN}</File_Name>" in joborder
    assert "<File_Name>/data/localWD/7/^.*IW_SLC__1A.*$</File_Name>" in joborder

    # when a run leaves the SLC, the GRD and a quicklook whose name holds the SLC type (no list file)
    quicklook = "S1A_IW_SLC__1SDV_20240604T120000_quicklook.png"
    make(tmp_path, SLC, GRD, quicklook)
    found, warnings = outputs_discover(tmp_path, expected_outputs(table))
    # then only names matching the declared pattern are SLC outputs
    assert sorted((f.name, f.file_type) for f in found) == [(GRD, "IW_GRDH_1S"), (SLC, "IW_SLC__1S")]
    assert warnings == []

    # and a list naming the quicklook: the line is ignored with a warning
    (tmp_path / "job.LIST").write_text(f"{SLC}\n{GRD}\n{quicklook}\n", encoding="utf-8")
    found, warnings = outputs_discover(tmp_path, expected_outputs(table))
    assert [(f.name, f.file_type) for f in found] == [(SLC, "IW_SLC__1S"), (GRD, "IW_GRDH_1S")]
    assert warnings == [f"{quicklook}: listed but matches no declared output (ignored)"]

    # and without its SLC the run lacks a mandatory output
    (tmp_path / "job.LIST").write_text(f"{GRD}\n{quicklook}\n", encoding="utf-8")
    with pytest.raises(ProcessorFailure, match=r"^mandatory output not produced: IW_SLC__1S$"):
        outputs_discover(tmp_path, expected_outputs(table))


@needs_samples
@pytest.mark.parametrize(("file_name", "file_name_type", "reason"), [
    ("^S1A_(unclosed.*$", "Regexp", "not a regular expression: missing ), unterminated subpattern"),
    ("^.*IW_SLC__1S.*$", "Directory", "an output name pattern needs File_Name_Type Regexp"),
])
def test_a_pattern_that_cannot_be_used_is_refused_with_its_element(file_name: str, file_name_type: str,
                                                                    reason: str) -> None:
    xml = (TASKTABLES / "s1" / "IW_RAW__0_SLC__1_GRDH_1.xml").read_text(encoding="utf-8")
    declared = "<Type>IW_SLC__1S</Type>\n              <File_Name_Type>Regexp</File_Name_Type>"
    changed = xml.replace(declared, f"<Type>IW_SLC__1S</Type>\n              <File_Name_Type>{file_name_type}"
                                    f"</File_Name_Type><File_Name>{file_name}</File_Name>")
    with pytest.raises(TaskTableError) as refused:
        tasktable_parse(changed.encode())
    assert refused.value.element.endswith("/List_of_Outputs/Output[1]/File_Name")
    assert refused.value.reason.startswith(reason)
