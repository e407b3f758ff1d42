"""The JobOrder of an S1 IW slice is the reference JobOrder of ipf-interface.md §5.4, element by element."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import pytest

from rs.production import selectors
from rs.production.choices import InputStatus, JobState
from rs.production.models import Job, RuleParameter
from rs.production.selection import FAR_FUTURE
from rs.production.tests import builders
from rs.production.tests.builders import SAMPLES, TASKTABLES, needs_samples
from rs.production.tests.xml_compare import differences, parse

pytestmark = [pytest.mark.django_db, needs_samples]

REFERENCE_DOC = SAMPLES.parent / "reference" / "ipf-interface.md"


def utc(text: str) -> datetime:
    return datetime.strptime(text, "%Y%m%dT%H%M%S.%f").replace(tzinfo=UTC)


def reference_joborder() -> ET.Element:
    """§5.4's XML with its comments expanded into the elements they stand for."""
    doc = REFERENCE_DOC.read_text()
    section = doc[doc.index("### 5.4"):]
    root = parse(re.search(r"```xml\n(.*?)```", section, re.S).group(1))  # type: ignore[union-attr]
    procs = root.findall("List_of_Ipf_Procs/Ipf_Proc")
    aux = procs[0].findall("List_of_Inputs/Input")[4:8]  # AUX_PP1, AUX_CAL, AUX_INS, AUX_RES of PSC
    sl1 = procs[3].findall("List_of_Inputs/Input")[0]  # IW_SL1__1_ of LPC1
    for proc in procs:
        listing = proc.find("List_of_Inputs")
        assert listing is not None
        missing = int(listing.get("count", "0")) - len(listing)
        if missing == 5:
            listing.append(sl1)
        if missing:
            listing.extend(aux)
    return root


@pytest.fixture
def s1_l1_setup():
    version = builders.processor(TASKTABLES / "s1" / "IW_RAW__0_SLC__1_GRDH_1.xml")
    rule = builders.rule(version, name="s1-iw-l1", mission="S1", product_types="IW_RAW__0S", input_mode="SLICING",
                         sensing_time_from="IW_RAW__0A", wide_interval_types="AUX_POE,AUX_RES,AUX_PRE")
    for n, (name, value) in enumerate([("Timeliness_Category", "{timeliness_category}"),
                                       ("Mission_Id", "{mission_id}"), ("Slice_Number", "{attr[sliceNumber]}"),
                                       ("Total_Number_Of_Slices", "{s1_total_slices}")]):
        RuleParameter.objects.create(rule=rule, position=n, name=name, value=value)
    acn_start, acn_stop = utc("20171213T121123.682488"), utc("20171213T121947.264351")
    for klass, crc in (("A", "51B1"), ("C", "8A1F"), ("N", "2B7C")):
        builders.level(f"IW_RAW__0{klass}", family="L0_ACN", start=acn_start, stop=acn_stop, icid=6,
                       name=f"S1A_IW_RAW__0{klass}DV_20171213T121123_20171213T121947_019684_021735_{crc}.SAFE")
    for aux_type, generated in (("AUX_PP1", "101258"), ("AUX_CAL", "101200"), ("AUX_INS", "101216")):
        builders.aux(aux_type, start=utc("20171017T080000.0"), stop=FAR_FUTURE, icid=6,
                     generated=utc(f"20171013T{generated}.0"),
                     name=f"S1A_{aux_type}_V20171017T080000_G20171013T{generated}.SAFE")
    builders.aux("AUX_RESORB", start=utc("20171213T102737.0"), stop=utc("20171213T134507.0"),
                 generated=utc("20171213T143838.0"),
                 name="S1A_OPER_AUX_RESORB_OPOD_20171213T143838_V20171213T102737_20171213T134507.EOF")
    return rule


def test_the_iw_slice_job_order_is_the_reference_one(s1_l1_setup, deliver):
    # given the aux files and the ACN of datatake 021735 are catalogued
    # when slice 13 of the datatake arrives (FAST24 packet stores)
    slice_ = builders.level(
        "IW_RAW__0S", start=utc("20171213T121623.685188"), stop=utc("20171213T121656.085136"), icid=6,
        timeliness="FAST24", attributes={"sliceNumber": 13, "datatakeID": 0x021735},
        name="S1A_IW_RAW__0SDV_20171213T121623_20171213T121656_019684_021735_C6DB.SAFE")
    assert deliver(slice_) is True

    # then one job is ready, the orbit came from the second alternative and AUX_ATT was dropped
    job = Job.objects.get()
    assert job.state == JobState.READY
    statuses = {i.key: (i.status, i.file_type) for i in job.inputs.all()}
    assert statuses["Orbit"] == (InputStatus.FOUND, "AUX_RES")
    assert statuses["AUX_ATT"] == (InputStatus.TIMED_OUT, "")
    # and its JobOrder, written for working directory 4711, equals §5.4 element by element
    generated = parse(selectors.job_joborder(job_id=job.pk, workdir="/data/localWD/4711/"))
    expected = reference_joborder()
    assert [len(p.findall("List_of_Inputs/Input")) for p in expected.iter("Ipf_Proc")] == [8, 4, 4, 5, 5]
    assert differences(expected, generated) == []


def test_the_stored_job_order_is_written_for_the_jobs_own_working_directory(s1_l1_setup, deliver):
    slice_ = builders.level(
        "IW_RAW__0S", start=utc("20171213T121623.685188"), stop=utc("20171213T121656.085136"), icid=6,
        timeliness="FAST24", attributes={"sliceNumber": 13},
        name="S1A_IW_RAW__0SDV_20171213T121623_20171213T121656_019684_021735_C6DB.SAFE")
    deliver(slice_)
    job = Job.objects.get()
    assert f"<File_Name>/data/localWD/{job.pk}/S1A_IW_RAW__0SDV_" in job.joborder
    assert job.joborder == selectors.job_joborder(job_id=job.pk)

