"""Session jobs (S1 AIOP-like rules triggered by DSIB descriptors, grouped by session) are prepared only once
ingestion declares the session complete (SESSION_COMPLETE marker): every DSIB and DSDB chunk of both channels is
then a member of the job, staged in its channel folder and named in the JobOrder; the marker is in the lineage."""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from rs.catalog.models import CatalogEvent, Product
from rs.ingestion.demo import DEMO_T0
from rs.ingestion.demo.sessions import session as write_session
from rs.ingestion.sessions import SESSION_PRODUCT_TYPE
from rs.ingestion.tests.ingestion_support import directory_inbox, ingest_now
from rs.production import selectors, services
from rs.production.choices import Grouping, JobState
from rs.production.execution.run import job_inputs
from rs.production.models import Job, JobAwaitedType, JobMember, ProductionRule
from rs.production.tests.conftest import deliver_created

pytestmark = pytest.mark.django_db

SESSION_ID = "S1A_20261120102500061234"
DSIB = [f"DCS_02_{SESSION_ID}_ch{c}_DSIB.xml" for c in (1, 2)]
CHUNKS = [f"DCS_02_{SESSION_ID}_ch{c}_DSDB_{n:05d}.raw" for n in (1, 2) for c in (1, 2)]  # interleaved

SESSION_TABLE = b"""<?xml version="1.0" encoding="UTF-8"?>
<Ipf_Task_Table>
  <Processor_Name>SESSION_L0</Processor_Name><Version>1.0</Version><Test>No</Test>
  <Min_Disk_Space units="MB">1</Min_Disk_Space><Max_Time>60</Max_Time>
  <List_of_Pools><Pool><Detached>false</Detached><Killing_Signal>15</Killing_Signal><List_of_Tasks>
    <Task><Name>MKDIR</Name><Version>1.0</Version><Critical>true</Critical><Criticality_Level>2</Criticality_Level>
      <File_Name>/bin/true</File_Name><List_of_Inputs/><List_of_Outputs/></Task>
    <Task><Name>PROC</Name><Version>1.0</Version><Critical>true</Critical><Criticality_Level>2</Criticality_Level>
      <File_Name>/bin/true</File_Name><List_of_Inputs/>
      <List_of_Outputs><Output><Destination>DB</Destination><Mandatory>No</Mandatory><Type>IW_RAW__0S</Type>
        <File_Name_Type>Regexp</File_Name_Type></Output></List_of_Outputs></Task>
  </List_of_Tasks></Pool></List_of_Pools>
</Ipf_Task_Table>"""


@pytest.fixture
def delivery(tmp_path: Path) -> dict[str, Path]:
    written = write_session(tmp_path / "staging", station="MTI_", satellite="S1A",
                            start=DEMO_T0 + timedelta(minutes=25), orbit=61234)
    return {w.name: w.path for w in written}


@pytest.fixture
def session_rule() -> ProductionRule:
    version = services.processor_import(data=SESSION_TABLE)
    return ProductionRule.objects.create(name="session-l0", processor_version=version, mission="S1",
                                         product_types="SESSION", family="EDRS_SESSION", grouping=Grouping.SESSION)


@pytest.fixture
def arrive(delivery: dict[str, Path], tmp_path: Path) -> Callable[[list[str]], None]:
    """The named files reach the inbox, are ingested, and their `created` events are delivered to preparation."""
    inbox_dir = tmp_path / "inbox"
    inbox = directory_inbox(inbox_dir)

    def arrival(names: list[str]) -> None:
        for name in names:
            target = inbox_dir / delivery[name].relative_to(tmp_path / "staging")
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(delivery[name], target)
        ingest_now(inbox)
        for name in names:
            deliver_created(Product.objects.get(name=name))

    return arrival


def the_job(rule: ProductionRule) -> Job:
    return Job.objects.select_related("rule", "processor_version__processor").get(rule=rule)


def test_the_job_waits_for_the_complete_session_then_stages_and_names_every_file(
        arrive: Callable[[list[str]], None], session_rule: ProductionRule) -> None:
    # given channel 1 (its DSIB and both chunks): the job exists and waits for channel 2's descriptor
    arrive([DSIB[0], CHUNKS[0], CHUNKS[2]])
    job = the_job(session_rule)
    assert (job.group_key, job.state) == (f"A:{SESSION_ID}", JobState.WAITING_INPUTS)
    assert job.reason == f"waiting for the session: session {SESSION_ID} incomplete: missing DSIB of channel 2"
    assert list(JobAwaitedType.objects.filter(job=job).values_list("product_type", "window_start", "window_stop")) \
        == [(SESSION_PRODUCT_TYPE, None, None)]

    # when channel 2's DSIB and first chunk arrive: one chunk it lists is still missing
    arrive([DSIB[1], CHUNKS[1]])
    job = the_job(session_rule)
    assert (job.state, job.reason) == (JobState.WAITING_INPUTS, f"waiting for the session: session {SESSION_ID} "
                                       f"incomplete: missing 1 chunk ({CHUNKS[3]})")
    assert sorted(JobMember.objects.filter(job=job).values_list("product_name", flat=True)) == DSIB

    # when the last chunk arrives: ingestion registers the marker, whose event wakes the job
    arrive([CHUNKS[3]])
    marker = Product.objects.get(product_type=SESSION_PRODUCT_TYPE)
    assert the_job(session_rule).state == JobState.WAITING_INPUTS  # the chunk itself triggers nothing
    deliver_created(marker)
    job = the_job(session_rule)
    assert (job.state, job.reason) == (JobState.READY, "")
    assert not JobAwaitedType.objects.filter(job=job).exists()
    # then every file of both channels and the marker are members
    assert sorted(JobMember.objects.filter(job=job).values_list("product_name", flat=True)) == sorted(
        [*DSIB, *CHUNKS, SESSION_ID])

    # and every Ipf_Proc names the DSIBs (type SESSION) and the chunks (type RAW, channels interleaved) where the
    # worker stages them
    root = ET.fromstring(selectors.job_joborder(job_id=job.pk, workdir="/wd/7/"))  # noqa: S314 - our own
    for proc in root.iter("Ipf_Proc"):
        inputs = [(i.findtext("File_Type"), i.findtext("File_Name_Type"),
                   [n.text for n in i.iterfind("List_of_File_Names/File_Name")]) for i in proc.iter("Input")]
        assert inputs == [
            ("SESSION", "Physical", [f"/wd/7/ch01/{DSIB[0]}", f"/wd/7/ch02/{DSIB[1]}"]),
            ("RAW", "Physical", [f"/wd/7/ch0{1 + n % 2}/{name}" for n, name in enumerate(CHUNKS)]),
        ]
    # and the worker stages the six files in their channel folders (not the marker, which has no bytes); the marker
    # and the six files are the lineage of the outputs
    staged, lineage = job_inputs(job)
    assert sorted((s.folder, s.name) for s in staged) == sorted(
        [("ch01", DSIB[0]), ("ch02", DSIB[1])] + [(f"ch0{1 + n % 2}", name) for n, name in enumerate(CHUNKS)])
    names = dict(Product.objects.filter(id__in=lineage.inputs).values_list("id", "name"))
    assert sorted(names.values()) == sorted([*DSIB, *CHUNKS, SESSION_ID])
    assert CatalogEvent.objects.filter(product_id=marker.id, kind="created").count() == 1


def test_a_session_still_incomplete_at_the_mandatory_deadline_fails_the_job(
        arrive: Callable[[list[str]], None], session_rule: ProductionRule) -> None:
    # given both descriptors but a missing chunk of each channel
    arrive([DSIB[0], DSIB[1], CHUNKS[0], CHUNKS[1]])
    job = the_job(session_rule)
    assert job.reason == (f"waiting for the session: session {SESSION_ID} incomplete: missing 2 chunks "
                          f"({CHUNKS[2]}, {CHUNKS[3]})")
    assert job.next_check_at == job.mandatory_deadline_at
    # when the timeout sweep runs after the deadline
    services.jobs_timeouts_check(now=job.mandatory_deadline_at + timedelta(seconds=1))
    # then the job failed, naming what the session lacked, and nothing was staged
    job = the_job(session_rule)
    assert (job.state, job.reason) == (JobState.FAILED, f"session {SESSION_ID} incomplete: missing 2 chunks "
                                       f"({CHUNKS[2]}, {CHUNKS[3]}) at the mandatory deadline")
    assert sorted(JobMember.objects.filter(job=job).values_list("product_name", flat=True)) == DSIB
