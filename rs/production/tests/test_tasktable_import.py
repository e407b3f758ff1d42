"""Every sample Task Table imports with its exact shape; malformed tables are refused with the element and the
reason, from the service and from `manage.py processor import` (exit status 1, no traceback)."""

from __future__ import annotations

import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from rs.production import selectors, services
from rs.production.choices import JobOrderDialect
from rs.production.models import ProcessorVersion, TaskTableAlternative, TaskTableInput, TaskTableOutput
from rs.production.tasktables.parser import TaskTableError, tasktable_parse
from rs.production.tests.builders import TASKTABLES, needs_samples

ROOT = Path(__file__).resolve().parents[3]

# file: (processor, version, dialect, counts, Max_Time, Min_Disk_Space), counts as in ipf-interface.md §2.6
SAMPLES = {
    "s1/TaskTable.AIOP.xml": ("AIO_PROCESSOR", "5.1.0", "mmfi", dict(
        pools=3, tasks=5, inputs=11, refs=0, alternatives=11, outputs=66, dyn_params=10, config_files=9), 0, 10240),
    "s1/TaskTable.L0ASP.xml": ("L0_ASSEMBLY_SLICING_PROC", "5.1.2", "mmfi", dict(
        pools=2, tasks=2, inputs=4, refs=0, alternatives=14, outputs=19, dyn_params=1, config_files=10), 0, 10240),
    "s1/IW_RAW__0_SLC__1_GRDH_1.xml": ("IW_RAW__0_SLC__1_GRDH_1", "3.90", "s1_l1l2", dict(
        pools=5, tasks=5, inputs=12, refs=21, alternatives=14, outputs=7, dyn_params=9, config_files=1), 0, 33000),
    "s1/IW_RAW__0_SLC__1_GRDH_1.v3.52.xml": ("IW_RAW__0_SLC__1_GRDH_1", "3.52", "s1_l1l2", dict(
        pools=5, tasks=5, inputs=12, refs=21, alternatives=14, outputs=7, dyn_params=9, config_files=1), 0, 33000),
    "s1/WV_RAW__0_SLC__1.xml": ("WV_RAW__0_SLC__1", "3.90", "s1_l1l2", dict(
        pools=3, tasks=3, inputs=9, refs=10, alternatives=11, outputs=4, dyn_params=9, config_files=1), 0, 7200),
    "s1/WV_RAW__0_OCN__2.xml": ("WV_RAW__0_OCN__2", "3.90", "s1_l1l2", dict(
        pools=5, tasks=5, inputs=19, refs=10, alternatives=21, outputs=8, dyn_params=9, config_files=1), 0, 7200),
    "s3/TaskTable.S3ACQ.xml": ("S3A_ACQ", "00.01", "mmfi", dict(
        pools=1, tasks=1, inputs=0, refs=0, alternatives=0, outputs=11, dyn_params=0, config_files=0), 1800, 2048),
    "s3/TaskTable_S3A_L0_OL_EFR_06_15.xml": ("S3A_OL_EFR_L0", "06.15", "gmes", dict(
        pools=1, tasks=1, inputs=5, refs=0, alternatives=11, outputs=1, dyn_params=11, config_files=1), 1800, 2048),
    "s3/TaskTable_S3A_OL1_06_17.xml": ("S3A_OL1", "06.17", "gmes", dict(
        pools=1, tasks=1, inputs=17, refs=0, alternatives=20, outputs=2, dyn_params=4, config_files=1), 1800, 2048),
    "s3/TaskTable.PUG_OL_1_EFR.03.xml": ("PUG_OL_1_EFR", "03.48", "gmes", dict(
        pools=4, tasks=4, inputs=8, refs=0, alternatives=14, outputs=5, dyn_params=13, config_files=12), 0, 1024),
}


@needs_samples
@pytest.mark.django_db
@pytest.mark.parametrize("path", sorted(SAMPLES))
def test_every_sample_table_imports_with_its_exact_shape(path):
    name, version_text, dialect, counts, max_time, min_disk = SAMPLES[path]
    version = services.processor_import(data=(TASKTABLES / path).read_bytes())
    assert (version.processor.name, version.version, version.joborder_dialect) == (name, version_text, dialect)
    assert (version.max_time_s, version.min_disk_space_mb) == (max_time, min_disk)
    table = selectors.processor_tasktable(version=version)
    assert table.counts() == counts
    assert table == tasktable_parse((TASKTABLES / path).read_bytes())  # the rows give back the parsed table
    rows = TaskTableInput.objects.filter(task__pool__processor_version=version)
    assert rows.filter(ref="").count() == counts["inputs"] and rows.exclude(ref="").count() == counts["refs"]
    assert TaskTableAlternative.objects.filter(input__task__pool__processor_version=version).count() == \
        counts["alternatives"]
    assert TaskTableOutput.objects.filter(task__pool__processor_version=version).count() == counts["outputs"]


@needs_samples
def test_the_ol1_table_keeps_order_policies_margins_and_s3_extras():
    table = tasktable_parse((TASKTABLES / "s3" / "TaskTable_S3A_OL1_06_17.xml").read_bytes())
    inputs = list(table.declared_inputs().values())
    time_init = inputs[3]
    assert [(a.order, a.file_type, a.policy, a.t0, a.t1) for a in time_init.alternatives] == [
        (1, "AX___FRO_AX", "LatestValCover", 8.8, 8.8), (2, "AX___FPO_AX", "LatestValCover", 8.8, 8.8),
        (3, "AX___OSF_AX", "LatestValCover", 8.8, 8.8), (4, "AX___BB2_AX", "LatestValCover", 8.8, 8.8)]
    ecmwf = [i for i in inputs if i.mode in ("NRT", "NTC")]
    assert [(i.mode, i.alternatives[0].file_type, i.alternatives[0].min_results, i.alternatives[0].max_results)
            for i in ecmwf] == [("NRT", "AX___MF1_AX", 2, 3), ("NTC", "AX___MA1_AX", 2, 3)]
    assert [p.name for p in table.dyn_params] == ["facilityName", "orderType", "hardwareName", "baselineCollection"]
    assert table.config_files[0].file_name == "/usr/local/conf/S3IPF_OL1_06.17/S3A/S3IPF_OL1_Configuration.xml"
    assert table.spelling == "s3"


@needs_samples
def test_refs_orders_from_zero_bracketed_ids_and_log_origins_are_accepted():
    pug = tasktable_parse((TASKTABLES / "s3" / "TaskTable.PUG_OL_1_EFR.03.xml").read_bytes())
    assert [a.order for i in pug.declared_inputs().values() for a in i.alternatives][:2] == [0, 1]
    assert "LOG" in {a.origin for i in pug.declared_inputs().values() for a in i.alternatives}
    l0 = tasktable_parse((TASKTABLES / "s3" / "TaskTable_S3A_L0_OL_EFR_06_15.xml").read_bytes())
    assert "[OL_0_EFR__G]" in l0.declared_inputs()
    iw = tasktable_parse((TASKTABLES / "s1" / "IW_RAW__0_SLC__1_GRDH_1.xml").read_bytes())
    assert [i.ref for i in list(iw.tasks())[4].inputs] == ["SL1", "AUX_PP1", "AUX_CAL", "AUX_INS", "Orbit", "AUX_ATT"]
    assert iw.input_types() == {"IW_RAW__0S", "IW_RAW__0C", "IW_RAW__0N", "IW_RAW__0A", "AUX_PP1", "AUX_CAL",
                                "AUX_INS", "AUX_POE", "AUX_RES", "AUX_PRE", "AUX_ATT"}


MINIMAL = """<?xml version="1.0"?>
<Ipf_Task_Table>
  <Processor_Name>P</Processor_Name><Version>1.0</Version><Test>No</Test>
  <Min_Disk_Space units="MB">10</Min_Disk_Space><Max_Time>0</Max_Time>
  <List_of_Pools count="1"><Pool><Detached>false</Detached><Killing_Signal>15</Killing_Signal>
    <List_of_Tasks count="1"><Task>
      <Name>T1</Name><Version>1.0</Version><Critical>true</Critical><Criticality_Level>2</Criticality_Level>
      <File_Name>/bin/t1</File_Name>
      <List_of_Inputs count="2">
        <Input id="AUX"><Mode>ALWAYS</Mode><Mandatory>Yes</Mandatory><List_of_Alternatives count="1"><Alternative>
          <Order>1</Order><Origin>DB</Origin><Retrieval_Mode>LatestValCover</Retrieval_Mode><T0>0</T0><T1>0</T1>
          <File_Type>AUX_X</File_Type><File_Name_Type>Physical</File_Name_Type>
        </Alternative></List_of_Alternatives></Input>
        <Input ref="AUX"/>
      </List_of_Inputs>
      <List_of_Outputs count="1"><Output><Destination>DB</Destination><Mandatory>Yes</Mandatory>
        <Type>OUT_X</Type><File_Name_Type>Directory</File_Name_Type></Output></List_of_Outputs>
    </Task></List_of_Tasks></Pool></List_of_Pools>
</Ipf_Task_Table>"""
TASK = "Ipf_Task_Table/List_of_Pools/Pool[1]/List_of_Tasks/Task[1](T1)"
ALT = f"{TASK}/List_of_Inputs/Input[1]/List_of_Alternatives/Alternative[1]"


def test_the_minimal_table_is_valid():
    assert tasktable_parse(MINIMAL).counts()["inputs"] == 1


@pytest.mark.parametrize(("change", "element", "reason"), [
    (("LatestValCover<", "LatestFoo<"), f"{ALT}/Retrieval_Mode", "unknown selection policy 'LatestFoo'"),
    (("<Retrieval_Mode>LatestValCover", "<Retrieval_Mode>Custom"), f"{ALT}/customClass",
     "custom selection class '' is not supported"),
    (('ref="AUX"', 'ref="ORBIT"'), f"{TASK}/List_of_Inputs/Input[2]", "ref='ORBIT' names no Input id declared before"),
    (("<File_Name>/bin/t1</File_Name>", ""), f"{TASK}/File_Name", "missing"),
    (("<File_Type>AUX_X</File_Type>", ""), f"{ALT}/File_Type", "missing"),
    (("<File_Type>AUX_X</File_Type>", "<File_Type> </File_Type>"), f"{ALT}/File_Type", "empty"),
    (("<Type>OUT_X</Type>", ""), f"{TASK}/List_of_Outputs/Output[1]/Type|File_Type", "missing"),
    (("<T0>0</T0>", "<T0>zero</T0>"), f"{ALT}/T0", "'zero' is not a number"),
    (("<Origin>DB</Origin>", "<Origin>FTP</Origin>"), f"{ALT}/Origin", "unknown origin 'FTP' (DB, PROC or LOG)"),
    (("<Mode>ALWAYS</Mode>", "<Mode>SOMETIMES</Mode>"), f"{TASK}/List_of_Inputs/Input[1]/Mode",
     "unknown mode 'SOMETIMES' (one of ALWAYS, SLICING, NON_SLICING, NRT, NTC, STC)"),
    (("<Mandatory>Yes</Mandatory><List", "<Mandatory>Maybe</Mandatory><List"),
     f"{TASK}/List_of_Inputs/Input[1]/Mandatory", "'Maybe' is not Yes/No or true/false"),
    (('<Input ref="AUX"/>', '<Input id="AUX"><Mode>ALWAYS</Mode><Mandatory>No</Mandatory><List_of_Alternatives>'
      '<Alternative><Order>1</Order><Origin>PROC</Origin><Retrieval_Mode>ValCover</Retrieval_Mode><T0>0</T0>'
      '<T1>0</T1><File_Type>X</File_Type><File_Name_Type>Regexp</File_Name_Type></Alternative>'
      '</List_of_Alternatives></Input>'), f"{TASK}/List_of_Inputs/Input[2]", "id='AUX' is declared twice"),
    (("<Processor_Name>P</Processor_Name>", ""), "Ipf_Task_Table/Processor_Name", "missing"),
    (("<Ipf_Task_Table>", "<Ipf_Job_Order>"), "(file) line 19, column 2", "not well-formed XML"),
    (('<?xml version="1.0"?>', '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]>'), "(file)",
     "DTD and ENTITY declarations are not accepted"),
])
def test_a_malformed_table_is_refused_with_the_element_and_the_reason(change, element, reason):
    with pytest.raises(TaskTableError) as refused:
        tasktable_parse(MINIMAL.replace(*change))
    assert refused.value.element.startswith(element)
    assert refused.value.reason.startswith(reason)
    assert str(refused.value).startswith(f"{refused.value.element}: {refused.value.reason}")


def test_another_root_is_refused():
    with pytest.raises(TaskTableError, match=r"^/Ipf_Job_Order: the root element must be Ipf_Task_Table$"):
        tasktable_parse("<Ipf_Job_Order/>")


@pytest.mark.django_db
def test_importing_the_same_version_twice_is_refused():
    services.processor_import(data=MINIMAL.encode())
    with pytest.raises(services.ProcessorVersionExists, match=r"P 1\.0 is already imported"):
        services.processor_import(data=MINIMAL.encode())
    assert ProcessorVersion.objects.count() == 1


@pytest.mark.django_db
def test_the_command_imports_a_table_and_reports_its_shape(tmp_path):
    path = tmp_path / "P.xml"
    path.write_text(MINIMAL)
    out = StringIO()
    call_command("processor", "import", str(path), "--dialect", "gmes", stdout=out)
    assert out.getvalue() == ("imported P 1.0 (dialect gmes): 1 pools, 1 tasks, 1 inputs, 1 refs, 1 alternatives, "
                              "1 outputs, 0 dyn_params, 0 config_files\n")
    assert ProcessorVersion.objects.get().joborder_dialect == JobOrderDialect.GMES
    with pytest.raises(CommandError, match=r"P 1\.0 is already imported"):
        call_command("processor", "import", str(path))


def test_the_command_exits_1_with_the_element_and_reason_and_no_traceback(tmp_path):
    path = tmp_path / "bad.xml"
    path.write_text(MINIMAL.replace("LatestValCover<", "Sometimes<"))
    done = subprocess.run([sys.executable, "manage.py", "processor", "import", str(path)], cwd=ROOT,
                          capture_output=True, text=True, env=os.environ.copy(), timeout=60)
    assert done.returncode == 1
    assert done.stderr == (f"CommandError: {path}: {ALT}/Retrieval_Mode: unknown selection policy 'Sometimes'\n")
    assert done.stdout == ""


def test_the_command_says_when_the_file_cannot_be_read(tmp_path):
    with pytest.raises(CommandError, match=r"missing.xml: cannot read \(No such file or directory\)"):
        call_command("processor", "import", str(tmp_path / "missing.xml"))


@needs_samples
@pytest.mark.django_db
def test_diff_shows_what_changed_between_two_versions():
    services.processor_import(data=(TASKTABLES / "s1" / "IW_RAW__0_SLC__1_GRDH_1.v3.52.xml").read_bytes())
    services.processor_import(data=(TASKTABLES / "s1" / "IW_RAW__0_SLC__1_GRDH_1.xml").read_bytes())
    out = StringIO()
    call_command("processor", "diff", "IW_RAW__0_SLC__1_GRDH_1", "3.52", "3.90", stdout=out)
    assert out.getvalue().splitlines() == [
        "~ input PSC/Orbit: ALWAYS optional [1:AUX_POE DB LatestValCover(0, 0) Physical; "
        "2:AUX_RES DB LatestValCover(0, 0) Physical; 3:AUX_PRE DB LatestValCover(0, 0) Physical] → "
        "ALWAYS optional [1:AUX_POE DB LatestValCover(0, 360) Physical; 2:AUX_RES DB LatestValCover(0, 360) Physical; "
        "3:AUX_PRE DB LatestValCover(0, 360) Physical]",
        "~ config /usr/local/components/S1IPF/etc/processorConfiguration.xml: 3.52 → 3.90",
    ]
    with pytest.raises(CommandError, match=r"no processor IW_RAW__0_SLC__1_GRDH_1 version 9\.99"):
        call_command("processor", "diff", "IW_RAW__0_SLC__1_GRDH_1", "3.52", "9.99")


@needs_samples
def test_diff_reports_added_and_removed_inputs_outputs_and_parameters():
    from rs.production.tasktables.diff import tasktable_diff

    wv_slc = tasktable_parse((TASKTABLES / "s1" / "WV_RAW__0_SLC__1.xml").read_bytes())
    wv_ocn = tasktable_parse((TASKTABLES / "s1" / "WV_RAW__0_OCN__2.xml").read_bytes())
    changes = tasktable_diff(wv_slc, wv_ocn)
    kinds = {(c.section, c.kind) for c in changes}
    assert kinds == {("task", "added"), ("input", "added"), ("output", "added"), ("output", "changed")}
    assert any(str(c).startswith("+ input LOP/") and "LatestValidityClosest(0, 0)" in str(c) for c in changes)
