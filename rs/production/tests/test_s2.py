"""Sentinel-2 steps as Generic Task Tables (processors/tasktables/s2/) and their JobOrders in the S2 dialect of the
COPRS templates (samples/joborders/s2)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from rs.catalog.models import Product
from rs.production import selectors, services
from rs.production.choices import JobOrderDialect, JobState
from rs.production.models import Job
from rs.production.tests import builders
from rs.production.tests.builders import JOBORDERS, OUR_TASKTABLES, at, aux, level, needs_samples
from rs.production.tests.xml_compare import parse

S2_TABLES = {  # file: (processor, version, pools, tasks, declared inputs, refs, outputs)
    "S2_L0U.xml": ("S2_L0U", "3.0.2", 1, 1, 4, 0, 4),
    "S2_L0C.xml": ("S2_L0C", "3.0.3", 8, 8, 17, 119, 8),
    "S2_L1.xml": ("S2_L1", "3.0.3", 4, 4, 49, 136, 10),
    "S2_L2A.xml": ("S2_L2A", "3.0.3", 1, 1, 8, 0, 4),
}
L0C_AUX = ["AUX_UT1UTC", "GIP_ATMIMA", "GIP_ATMSAD", "GIP_BLINDP", "GIP_CLOINV", "GIP_DATATI", "GIP_INVLOC",
           "GIP_JP2KPA", "GIP_LREXTR", "GIP_OLQCPA", "GIP_PROBAS", "GIP_R2ABCA", "GIP_SPAMOD", "GIP_VIEDIR",
           "DEM_GLOBEF"]


def test_every_shipped_s2_table_is_covered_here():
    assert sorted(p.name for p in (OUR_TASKTABLES / "s2").glob("*.xml")) == sorted(S2_TABLES)


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(S2_TABLES))
def test_the_s2_tables_import_in_the_s2_dialect(name):
    processor, version_text, pools, tasks, inputs, refs, outputs = S2_TABLES[name]
    version = services.processor_import(data=(OUR_TASKTABLES / "s2" / name).read_bytes())
    assert (version.processor.name, version.version, version.joborder_dialect) == (
        processor, version_text, JobOrderDialect.S2)
    counts = selectors.processor_tasktable(version=version).counts()
    assert (counts["pools"], counts["tasks"], counts["inputs"], counts["refs"], counts["outputs"]) == (
        pools, tasks, inputs, refs, outputs)


def children(element) -> list[str]:
    return [c.tag for c in element]


@needs_samples
@pytest.mark.django_db
def test_an_l0c_job_order_follows_the_s2_template_structure(deliver):
    version = services.processor_import(data=(OUR_TASKTABLES / "s2" / "S2_L0C.xml").read_bytes())
    builders.rule(version, name="s2-l0c", mission="S2", product_types="MSI_L0U_DS", acquisition_station="SGS_",
                  processing_station="RS__")
    for aux_type in L0C_AUX:
        if aux_type != "GIP_VIEDIR":
            aux(aux_type, mission="S2", start=at(-86400), stop=None)
    viedir = band_gips("GIP_VIEDIR")
    level("MSI_L0U_GR", mission="S2", family="S2_L0_GR", mode="", start=at(0), stop=at(3.6))
    datastrip = level("MSI_L0U_DS", mission="S2", family="S2_L0_DS", mode="", start=at(0), stop=at(180.229))
    deliver(datastrip)
    job = Job.objects.get()
    assert job.state == JobState.READY
    generated = parse(selectors.job_joborder(job_id=job.pk, workdir="/workspace/"))
    sample = parse((JOBORDERS / "s2" / "JobOrder_QL_GEO_01.xml").read_bytes())

    # Ipf_Conf: the template's elements in the template's order, ISO dates with milliseconds
    assert children(generated.find("Ipf_Conf")) == children(sample.find("Ipf_Conf"))
    assert generated.findtext("Ipf_Conf/Acquisition_Station") == "SGS_"
    assert generated.findtext("Ipf_Conf/Sensing_Time/Start") == "2024-06-04T12:00:00.000Z"
    assert generated.findtext("Ipf_Conf/Sensing_Time/Stop") == "2024-06-04T12:03:00.229Z"
    # one Ipf_Proc per step, shaped like the template's QL_GEO step
    procs = generated.findall("List_of_Ipf_Procs/Ipf_Proc")
    assert [p.findtext("Task_Name") for p in procs] == [
        "INIT_LOC_L0", "QL_GEO", "QL_CLOUD_MASK", "FORMAT_IMG_QL_L0", "FORMAT_ISP", "FORMAT_METADATA_GR_L0C",
        "FORMAT_METADATA_DS_L0C", "OLQC"]
    template_proc = sample.find("List_of_Ipf_Procs/Ipf_Proc")
    assert children(procs[1]) == children(template_proc)
    assert children(procs[1].find("List_of_Inputs/Input")) == children(template_proc.find("List_of_Inputs/Input"))
    assert children(procs[1].find("List_of_Outputs/Output")) == children(template_proc.find("List_of_Outputs/Output"))
    gip = next(i for i in procs[1].iter("Input") if i.findtext("File_Type") == "GIP_VIEDIR")
    assert gip.findtext("File_Name_Type") == "Physical"
    # one file per band, in band order, as the template's thirteen @gipp_viedirNN@ placeholders
    assert [f.text for f in gip.findall("List_of_File_Names/File_Name")] == [f"/workspace/{n}" for n in viedir]
    assert gip.find("List_of_File_Names").get("count") == "13"


BANDS = ["01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12", "8A"]


def band_gips(gip_type: str, *, bands=BANDS, generated: str = "20170206T103051") -> list[str]:
    """One S2 GIP file per band, named as the PDI convention has it (…_B<band>); returns the names in band order."""
    names = [f"S2A_OPER_{gip_type}_MPC__{generated}_V20150622T000000_21000101T000000_B{band}" for band in bands]
    for name in names:
        aux(gip_type, mission="S2", name=name, start=at(-86400), stop=None,
            generated=datetime.strptime(generated, "%Y%m%dT%H%M%S").replace(tzinfo=UTC))
    return names


@pytest.mark.django_db
def test_a_band_gip_waits_for_every_band_and_takes_the_newest_file_of_each(deliver):
    version = services.processor_import(data=(OUR_TASKTABLES / "s2" / "S2_L0C.xml").read_bytes())
    builders.rule(version, name="s2-l0c", mission="S2", product_types="MSI_L0U_DS")
    for aux_type in L0C_AUX:
        if aux_type != "GIP_VIEDIR":
            aux(aux_type, mission="S2", start=at(-86400), stop=None)
    old = band_gips("GIP_VIEDIR", bands=BANDS[:12])  # band 8A is missing
    level("MSI_L0U_GR", mission="S2", family="S2_L0_GR", mode="", start=at(0), stop=at(3.6))
    deliver(level("MSI_L0U_DS", mission="S2", family="S2_L0_DS", mode="", start=at(0), stop=at(180.229)))
    job = Job.objects.get()
    viedir = job.inputs.get(key="GIP_VIEDIR")
    assert (job.state, viedir.status, viedir.attempts[0]["note"]) == ("waiting_inputs", "missing",
                                                                       "no file for band B8A")
    assert len(viedir.attempts[0]["queries"]) == 13
    newer = band_gips("GIP_VIEDIR", bands=["02", "8A"], generated="20200101T000000")
    deliver(Product.objects.get(name=newer[1]))  # the last band arrives: the job wakes up
    job.refresh_from_db()
    assert job.state == JobState.READY
    files = list(job.inputs.get(key="GIP_VIEDIR").files.order_by("position").values_list("name", flat=True))
    assert files == [old[0], newer[0], *old[2:], newer[1]]
