"""The demo chains: every demo Task Table imports (small resources, the JobOrder dialect of its family), the demo
rules are set up idempotently, and on the ingested demo inputs the dry run plans the first job of every chain."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command

from rs.ingestion.demo import DEMO_T0, demo_generate
from rs.ingestion.tests.ingestion_support import directory_inbox, ingest_now
from rs.production import selectors
from rs.production.choices import JobOrderDialect
from rs.production.demo import DEMO_RULES, DEMO_TABLES
from rs.production.models import InputTimeout, ProcessorVersion, ProductionRule
from rs.production.planning import plan_for_window
from rs.production.tests.simulation import PROCESSORS

pytestmark = pytest.mark.django_db

DEMO_PROCESSORS = {  # processor: (version, dialect, pools, tasks)
    "AIO_PROCESSOR": ("5.1.0-sim", JobOrderDialect.MMFI, 1, 1),
    "L0_ASSEMBLY_SLICING_PROC": ("5.1.2-sim", JobOrderDialect.MMFI, 1, 1),
    "IW_RAW__0_SLC__1_GRDH_1": ("3.90-sim", JobOrderDialect.S1_L1L2, 1, 1),
    "IW_SLC__1_OCN__2": ("3.90-sim", JobOrderDialect.S1_L1L2, 2, 2),
    "S2_L1": ("3.0.3-sim", JobOrderDialect.S2, 1, 1),
    "S2_L2A": ("3.0.3-sim", JobOrderDialect.S2, 1, 1),
    "S3A_OL1": ("06.17-sim", JobOrderDialect.GMES, 1, 1),
    "S3A_OL2": ("06.17-sim", JobOrderDialect.GMES, 1, 1),
    "S3A_SL1": ("06.17-sim", JobOrderDialect.GMES, 1, 1),
    "S3A_SL2": ("06.17-sim", JobOrderDialect.GMES, 1, 1),
}


def setup_command(*options: str) -> str:
    out = io.StringIO()
    call_command("production", "demo-setup", *options, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_every_demo_table_imports_with_small_resources_and_runnable_executables():
    assert setup_command() == ("demo processors: 10 imported, 0 already there; "
                               "demo rules: 10 created, 0 kept as they are\n")
    assert len(list(DEMO_TABLES.rglob("*.xml"))) == len(DEMO_PROCESSORS)
    for version in ProcessorVersion.objects.select_related("processor"):
        expected_version, dialect, pools, tasks = DEMO_PROCESSORS[version.processor.name]
        assert (version.version, version.joborder_dialect) == (expected_version, dialect)
        assert version.min_disk_space_mb <= 64 and 0 < version.max_time_s <= 300
        table = selectors.processor_tasktable(version=version)
        assert (len(table.pools), len(list(table.tasks()))) == (pools, tasks)
        for task in table.tasks():  # relative to RS_PROCESSOR_ROOT, present and executable
            executable = PROCESSORS / task.file_name
            assert not Path(task.file_name).is_absolute() and executable.is_file()
            assert executable.stat().st_mode & 0o111 and executable.read_text().startswith("#!/usr/bin/env python3\n")
        assert {p.name for p in table.dyn_params} >= {"Sim_Duration_S", "Sim_Memory_MB", "Sim_Exit_Code",
                                                      "Sim_Kill_Signal", "Sim_Skip_Outputs", "Sim_Fail_Tasks"}


def edit_demo_rules() -> ProductionRule:
    """An operator's edits: one demo rule disabled, slower and without a parameter, another deleted, the orbit wait
    shortened."""
    rule = ProductionRule.objects.get(name="demo-s1-iw-l1")
    rule.enabled, rule.settle_s = False, 600
    rule.save()
    rule.parameters.filter(name="Slice_Number").delete()
    ProductionRule.objects.filter(name="demo-s3-sl2").delete()
    InputTimeout.objects.update(wait_from_creation_s=60)
    return rule


def test_demo_setup_again_creates_only_what_is_missing_and_keeps_an_operators_edits():
    setup_command()
    rule = edit_demo_rules()

    assert setup_command() == ("demo processors: 0 imported, 10 already there; "
                               "demo rules: 1 created, 9 kept as they are\n")

    rule.refresh_from_db()
    assert (rule.enabled, rule.settle_s) == (False, 600)
    assert list(rule.parameters.values_list("name", "value")) == [
        ("Timeliness_Category", "{timeliness_category}"), ("Mission_Id", "{mission_id}"),
        ("Total_Number_Of_Slices", "{s1_total_slices}")]
    recreated = ProductionRule.objects.get(name="demo-s3-sl2")
    assert (recreated.enabled, recreated.product_types) == (True, "SL_1_RBT___")
    assert ProductionRule.objects.count() == len(DEMO_RULES) and ProcessorVersion.objects.count() == 10
    (timeout,) = InputTimeout.objects.all()
    assert timeout.wait_from_creation_s == 60


def test_demo_setup_reset_puts_the_edited_demo_rules_back_as_shipped():
    setup_command()
    rule = edit_demo_rules()

    assert setup_command("--reset") == ("demo processors: 0 imported, 10 already there; "
                                        "demo rules: 1 created, 1 reset, 8 unchanged\n")

    rule.refresh_from_db()
    assert (rule.enabled, rule.settle_s) == (True, 0)
    assert list(rule.parameters.values_list("name", "value")) == [
        ("Timeliness_Category", "{timeliness_category}"), ("Mission_Id", "{mission_id}"),
        ("Slice_Number", "{attr[sliceNumber]}"), ("Total_Number_Of_Slices", "{s1_total_slices}")]
    assert ProductionRule.objects.count() == len(DEMO_RULES) and ProcessorVersion.objects.count() == 10
    (timeout,) = InputTimeout.objects.all()
    assert (timeout.processor_pattern, timeout.input_pattern, timeout.wait_from_creation_s) == (
        "IW_RAW__0_SLC__1_GRDH_1", "Orbit", 300)


def test_the_demo_inputs_plan_the_first_job_of_every_chain(tmp_path: Path):
    demo_generate(tmp_path / "demo")
    assert ingest_now(directory_inbox(tmp_path / "demo")) == {"ingested": 50}
    setup_command()

    plan = plan_for_window(start=DEMO_T0 - timedelta(hours=1), stop=DEMO_T0 + timedelta(hours=4))
    jobs = sorted((j.rule.name, j.group_key, j.state, tuple(sorted(j.members))) for j in plan.jobs)
    assert plan.skipped == []
    by_rule: dict[str, list[tuple]] = {}
    for rule, key, state, members in jobs:
        by_rule.setdefault(rule, []).append((key, state, members))
    assert sorted(by_rule) == ["demo-s1-aiop", "demo-s1-iw-l1", "demo-s2-l1", "demo-s3-ol1", "demo-s3-ol2",
                               "demo-s3-sl1"]
    # S1: one AIOP job for the session (both DSIBs), one L1 job per demo slice
    ((key, state, members),) = by_rule["demo-s1-aiop"]
    assert (key, state) == ("A:S1A_20261120102500061234", "waiting_inputs")  # complete, settling 10 s as prepared
    assert members == ("DCS_02_S1A_20261120102500061234_ch1_DSIB.xml",
                       "DCS_02_S1A_20261120102500061234_ch2_DSIB.xml")
    assert [(state, len(members)) for _, state, members in by_rule["demo-s1-iw-l1"]] == [("ready", 1)] * 3
    assert all(m[0].startswith("S1A_IW_RAW__0SDV_20261120T1000") for _, _, m in by_rule["demo-s1-iw-l1"])
    # S2: the datastrip; S3: the two L0 products and the two demo OL1 frames
    assert [(state, members[0][:28]) for _, state, members in by_rule["demo-s2-l1"]] == [
        ("waiting_inputs", "S2B_OPER_MSI_L0__DS_SGS__202")]
    settling = [j for j in plan.jobs if j.rule.settle_s]
    assert {j.rule.name for j in settling} == {"demo-s1-aiop", "demo-s2-l1"}
    assert all(j.reason == "" and j.settle_until is not None for j in settling)
    assert all(i.status == "found" for j in settling for i in j.resolutions if i.mandatory)
    assert [state for _, state, _ in by_rule["demo-s3-ol1"] + by_rule["demo-s3-sl1"]] == ["ready", "ready"]
    assert [state for _, state, _ in by_rule["demo-s3-ol2"]] == ["ready", "ready"]

    planned = {j.rule.name: j for j in plan.jobs}
    inputs = {i["key"]: (i["status"], i["file_type"], len(i["files"]))
              for i in planned["demo-s1-iw-l1"].as_json()["inputs"]}
    assert inputs == {"L0": ("found", "IW_RAW__0S", 1), "L0_C": ("found", "IW_RAW__0C", 1),
                      "L0_N": ("found", "IW_RAW__0N", 1), "L0_A": ("found", "IW_RAW__0A", 1),
                      "AUX_PP1": ("found", "AUX_PP1", 1), "AUX_CAL": ("found", "AUX_CAL", 1),
                      "AUX_INS": ("found", "AUX_INS", 1), "Orbit": ("found", "AUX_RES", 1)}
    s2 = {i["key"]: (i["status"], len(i["files"])) for i in planned["demo-s2-l1"].as_json()["inputs"]}
    assert s2 == {"L0_DS": ("found", 1), "L0_GR": ("found", 3), "AUX_UT1UTC": ("found", 1),
                  "GIP_ATMIMA": ("found", 1), "GIP_ATMSAD": ("found", 1), "GIP_DATATI": ("found", 1)}
