"""Helpers of the execution tests: a Task Table running the test processor, real S3 OLCI L0 inputs, waiting."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from rs.catalog import services as catalog_services
from rs.catalog.models import Product
from rs.catalog.storage import object_store
from rs.catalog.storage.keys import product_key
from rs.ingestion import selectors as ingestion_selectors
from rs.ingestion.tests.fixtures.documents_s2_s3 import s3_manifest
from rs.production import services
from rs.production.models import Job, ProcessorVersion, ProductionRule, RuleParameter

PROCESSOR_ROOT = Path(__file__).resolve().parent / "processor"
EXECUTION_QUEUES = "preparation,production-high,production-medium,production-low,maintenance"
OUTPUT_TYPE = "OL_1_EFR___"
T0 = datetime(2019, 1, 16, 5, 5, 35, tzinfo=UTC)


def sim_table(*, name: str = "SIM_OL1", version: str = "1.0", max_time_s: int = 120,
              min_disk_mb: int = 1) -> bytes:
    params = "".join(
        f"<Dyn_ProcParam><Param_Name>{n}</Param_Name><Param_Type>String</Param_Type>"
        f"<Param_Default>{d}</Param_Default></Dyn_ProcParam>"
        for n, d in (("sleep_s", "0"), ("exit_code", "0"), ("spawn_child", "false"), ("marker_dir", "")))
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Ipf_Task_Table>
  <Processor_Name>{name}</Processor_Name><Version>{version}</Version><Test>No</Test>
  <Min_Disk_Space units="MB">{min_disk_mb}</Min_Disk_Space><Max_Time units="sec">{max_time_s}</Max_Time>
  <List_of_Dyn_ProcParam>{params}</List_of_Dyn_ProcParam>
  <List_of_Pools><Pool><Detached>false</Detached><Killing_Signal>15</Killing_Signal><List_of_Tasks><Task>
    <Name>OL1_SIM</Name><Version>{version}</Version><Critical>true</Critical><Criticality_Level>2</Criticality_Level>
    <File_Name>sim_ipf.py</File_Name>
    <List_of_Inputs><Input id="L0"><Mode>ALWAYS</Mode><Mandatory>Yes</Mandatory><List_of_Alternatives>
      <Alternative><Order>1</Order><Origin>DB</Origin><Retrieval_Mode>ValIntersect</Retrieval_Mode><T0>0</T0>
      <T1>0</T1><File_Type>OL_0_EFR___</File_Type><File_Name_Type>Directory</File_Name_Type></Alternative>
    </List_of_Alternatives></Input></List_of_Inputs>
    <List_of_Outputs><Output><Destination>DB</Destination><Mandatory>Yes</Mandatory><Type>{OUTPUT_TYPE}</Type>
      <File_Name_Type>Directory</File_Name_Type></Output></List_of_Outputs>
  </Task></List_of_Tasks></Pool></List_of_Pools>
</Ipf_Task_Table>""".encode()


def sim_rule(*, table: bytes | None = None, name: str = "sim-ol1", publish: bool = True,
             **parameters: Any) -> ProductionRule:
    version: ProcessorVersion = services.processor_import(data=table or sim_table())
    rule = ProductionRule.objects.create(name=name, processor_version=version, mission="S3",
                                         product_types="OL_0_EFR___", publish_outputs=publish)
    for position, (key, value) in enumerate(parameters.items()):
        RuleParameter.objects.create(rule=rule, position=position, name=key, value=str(value))
    return rule


def l0_name(n: int = 0) -> str:
    start = T0 + timedelta(minutes=3 * n)
    stop = start + timedelta(minutes=3)
    return (f"S3B_OL_0_EFR____{start:%Y%m%dT%H%M%S}_{stop:%Y%m%dT%H%M%S}_20190117T125958_0179_021_048______"
            f"SVL_O_NR_002.SEN3")


def l0_input(tmp: Path, *, n: int = 0, origin_date: datetime | None = None) -> Product:
    """A real OLCI L0 product folder, stored zipped in object storage and catalogued (emits `created`)."""
    name = l0_name(n)
    start = T0 + timedelta(minutes=3 * n)
    folder = tmp / name
    folder.mkdir(parents=True)
    (folder / "xfdumanifest.xml").write_text(s3_manifest(
        product_name=name, product_type="OL_0_EFR___", timeliness="NR", baseline="002",
        start=f"{start:%Y-%m-%dT%H:%M:%S}.000000Z", stop=f"{start + timedelta(minutes=3):%Y-%m-%dT%H:%M:%S}.000000Z",
        creation="20190117T125958", family_abbreviation="OLCI", mode="EO",
        pos_list="60.0 10.0 60.0 20.0 50.0 20.0 50.0 10.0 60.0 10.0"))
    (folder / "payload.bin").write_bytes(b"\x01" * 4096)
    described = ingestion_selectors.local_product_describe(path=folder)
    key = product_key(mission="S3", family=described.metadata.family, name=name, suffix=described.package.suffix)
    stored = object_store().put_stream(key=key, stream=described.package.chunks(),
                                       content_type=described.package.content_type)
    return catalog_services.product_register(
        name=name, metadata=described.metadata, content_length=stored.size, storage_key=key,
        checksums=catalog_services.Checksums(md5=stored.md5, blake3=stored.blake3, computed_at=stored.stored_at),
        origin_date=origin_date or datetime(2019, 1, 17, 13, 0, tzinfo=UTC), publish=True)


def wait_for(what: str, condition: Callable[[], Any], *, timeout: float = 60, every: float = 0.1) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def job_of(rule: ProductionRule) -> Job | None:
    return Job.objects.filter(rule=rule).order_by("pk").first()


def job_in(rule: ProductionRule, *states: str) -> Job | None:
    job = job_of(rule)
    return job if job is not None and job.state in states else None


def worker_env(workdirs: Path, **overrides: Any) -> dict[str, str]:
    env = {"RS_PROCESSOR_ROOT": str(PROCESSOR_ROOT), "RS_WORKDIR_ROOT": str(workdirs),
           "RS_EXECUTION_HEARTBEAT_S": "1", "RS_EXECUTION_LEASE_S": "3", "RS_EXECUTION_RETRY_BACKOFF_S": "1",
           "RS_EXECUTION_MAX_RETRIES": "2", "RS_EXECUTION_KILL_GRACE_S": "1"}
    env.update({k: str(v) for k, v in overrides.items()})
    return env
