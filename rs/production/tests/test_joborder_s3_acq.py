"""The S3 ACQ JobOrder generated from TaskTable.S3ACQ.xml equals COPRS's JobOrderEWExample for the same session,
field by field, apart from three documented serialisation differences."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import pytest

from rs.production import selectors
from rs.production.choices import JobOrderDialect, JobState
from rs.production.models import Job, RuleParameter
from rs.production.tests import builders
from rs.production.tests.builders import JOBORDERS, TASKTABLES, needs_samples
from rs.production.tests.xml_compare import differences, parse

pytestmark = [pytest.mark.django_db, needs_samples]

# The chain values COPRS passes to the ACQ (AIOP-style), as rule parameters with placeholders.
ACQ_PARAMETERS = [
    ("TimeoutSec", "7200"), ("Mission_Id", "{mission_id}"), ("Processing_Mode", "FAST24"), ("RSEncode", "yes"),
    ("NRTOutputPath", "{workdir}NRT"), ("Descramble", "yes"), ("PTOutputPath", "{workdir}PT"),
    ("DownlinkTime", "{sensing_start:%Y%m%dT%H%M%S}"), ("Processing_Station", "S3__"), ("PT_Assembly", "yes"),
]


def sample_without_intentional_differences() -> tuple[ET.Element, list[str]]:
    """The sample with what we write differently on purpose brought to our form, and the list of those changes."""
    sample = parse((JOBORDERS / "s3" / "JobOrderEWExample_S3ACQ.xml").read_bytes())
    changes = []
    conf = sample.find("Ipf_Conf")
    assert conf is not None
    artefact = conf.find("List_of_Dynamic_Processing_Parameters")
    # 1. COPRS serialises an empty second parameter list beside Dynamic_Processing_Parameters (§5.1: artefact)
    assert artefact is not None and len(artefact) == 0 and artefact.get("count") == "10"
    conf.remove(artefact)
    changes.append("empty List_of_Dynamic_Processing_Parameters removed")
    for proc in sample.iter("Ipf_Proc"):
        brk = proc.find("Breakpoint")
        assert brk is not None
        # 2. COPRS writes Breakpoint after List_of_Outputs; we write it at its ICD position, after Task_Version
        proc.remove(brk)
        # 3. … and without <Enable>OFF</Enable>: Breakpoint_Enable=false in Ipf_Conf already disables them
        enable = brk.find("Enable")
        assert enable is not None and enable.text == "OFF"
        brk.remove(enable)
        proc.insert(2, brk)
        changes.append(f"{proc.findtext('Task_Name')}: Breakpoint moved before List_of_Inputs, Enable dropped")
    # (xsi:type attributes on Ipf_Conf, Ipf_Proc and Breakpoint are dropped by the canonical form: artefacts too)
    return sample, changes


def test_the_acq_job_order_matches_the_coprs_sample(deliver):
    # given the S3 ACQ processor and a rule on complete S3B sessions with the chain parameters
    version = builders.processor(TASKTABLES / "s3" / "TaskTable.S3ACQ.xml")
    assert version.joborder_dialect == JobOrderDialect.MMFI
    rule = builders.rule(version, name="s3-acq", mission="S3", product_types="SESSION_COMPLETE", grouping="session")
    for n, (name, value) in enumerate(ACQ_PARAMETERS):
        RuleParameter.objects.create(rule=rule, position=n, name=name, value=value)

    # when the session 08:09:39-08:12:32 is catalogued
    session = builders.level(
        "SESSION_COMPLETE", mission="S3", platform="B", family="EDRS_SESSION", mode="",
        start=datetime(2020, 9, 28, 8, 9, 39, tzinfo=UTC), stop=datetime(2020, 9, 28, 8, 12, 32, tzinfo=UTC),
        attributes={"sessionId": "S3B_20200928080939039402"}, name="S3B_20200928080939039402")
    deliver(session)

    # then the job is ready at once (no inputs) and its JobOrder for working directory 6 is the sample's
    job = Job.objects.get()
    assert (job.state, job.group_key) == (JobState.READY, "B:S3B_20200928080939039402")
    generated = parse(selectors.job_joborder(job_id=job.pk, workdir="/data/localWD/6/"))
    expected, changes = sample_without_intentional_differences()
    assert changes == ["empty List_of_Dynamic_Processing_Parameters removed",
                       "ACQ: Breakpoint moved before List_of_Inputs, Enable dropped"]
    assert differences(expected, generated) == []
