"""The demo production chains: the simulated processors' Task Tables (processors/tasktables/demo/) and the
production rules that make the demo inputs (rs.ingestion.demo) run S1 session → L0 → slices → L1 → L2 OCN,
S2 L0 → L1C → L2A, and S3 L0 → OL1 → OL2 and SL1 → SL2. Idempotent: what is missing is created, what an operator
edited is kept (unless a reset is asked for)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction

from rs.catalog.choices import ProductFamily
from rs.production import services
from rs.production.choices import Grouping, InputMode, Priority
from rs.production.models import InputTimeout, ProcessorVersion, ProductionRule, RuleParameter
from rs.production.tasktables.parser import tasktable_parse

DEMO_TABLES = Path(settings.BASE_DIR) / "processors" / "tasktables" / "demo"


@dataclass(frozen=True)
class DemoRule:
    name: str
    table: str  # relative to DEMO_TABLES
    fields: dict[str, object]
    parameters: tuple[tuple[str, str], ...] = ()


SESSION_DESCRIPTOR = "SESSION"  # product type of a DSIB (naming-and-metadata.md §3.5)
S1_MISSION = {"trigger": "event", "mission": "S1", "priority": Priority.HIGH}
DEMO_RULES: tuple[DemoRule, ...] = (
    # One job per session, triggered by a DSIB and ready once the session is complete (SESSION_COMPLETE): both
    # channels' DSIB and chunks are staged in ch01/, ch02/ and named in the JobOrder (rs/production/sessions.py).
    DemoRule("demo-s1-aiop", "s1/AIO_PROCESSOR.xml",
             {**S1_MISSION, "product_types": SESSION_DESCRIPTOR, "family": ProductFamily.SESSION,
              "grouping": Grouping.SESSION, "settle_s": 10, "publish_outputs": False},
             (("Mission_Id", "{mission_id}"), ("Session_Id", "{attr[sessionId]}"),
              ("DownlinkTime", "{sensing_stop:%Y%m%dT%H%M%S}"))),
    DemoRule("demo-s1-l0asp", "s1/L0_ASSEMBLY_SLICING_PROC.xml",
             {**S1_MISSION, "product_types": "IW_RAW__0S", "family": ProductFamily.S1_L0_SEGMENT,
              "grouping": Grouping.DATATAKE, "settle_s": 10}),
    DemoRule("demo-s1-iw-l1", "s1/IW_RAW__0_SLC__1_GRDH_1.xml",
             {**S1_MISSION, "product_types": "IW_RAW__0S", "family": ProductFamily.S1_L0_SLICE,
              "grouping": Grouping.PRODUCT, "input_mode": InputMode.SLICING, "sensing_time_from": "IW_RAW__0A",
              "wide_interval_types": "AUX_POE,AUX_RES,AUX_PRE"},
             (("Timeliness_Category", "{timeliness_category}"), ("Mission_Id", "{mission_id}"),
              ("Slice_Number", "{attr[sliceNumber]}"), ("Total_Number_Of_Slices", "{s1_total_slices}"))),
    DemoRule("demo-s1-iw-ocn", "s1/IW_SLC__1_OCN__2.xml",
             {**S1_MISSION, "priority": Priority.MEDIUM, "product_types": "IW_SLC__1S",
              "family": ProductFamily.S1_L1_SLICE, "grouping": Grouping.PRODUCT},
             (("Timeliness_Category", "{timeliness_category}"), ("Mission_Id", "{mission_id}"))),
    DemoRule("demo-s2-l1", "s2/S2_L1.xml",
             {"mission": "S2", "product_types": "MSI_L0__DS", "grouping": Grouping.PRODUCT, "settle_s": 10,
              "priority": Priority.MEDIUM, "acquisition_station": "SGS_", "processing_station": "RS__"}),
    DemoRule("demo-s2-l2a", "s2/S2_L2A.xml",
             {"mission": "S2", "product_types": "MSI_L1C_DS", "grouping": Grouping.PRODUCT, "settle_s": 10,
              "priority": Priority.MEDIUM, "acquisition_station": "SGS_", "processing_station": "RS__"}),
    DemoRule("demo-s3-ol1", "s3/S3A_OL1.xml",
             {"mission": "S3", "platform": "A", "product_types": "OL_0_EFR___", "grouping": Grouping.PRODUCT,
              "priority": Priority.HIGH, "processing_station": "S3__"}),
    DemoRule("demo-s3-ol2", "s3/S3A_OL2.xml",
             {"mission": "S3", "platform": "A", "product_types": "OL_1_EFR___", "grouping": Grouping.PRODUCT,
              "priority": Priority.MEDIUM, "processing_station": "S3__"}),
    DemoRule("demo-s3-sl1", "s3/S3A_SL1.xml",
             {"mission": "S3", "platform": "A", "product_types": "SL_0_SLT___", "grouping": Grouping.PRODUCT,
              "priority": Priority.HIGH, "processing_station": "S3__"}),
    DemoRule("demo-s3-sl2", "s3/S3A_SL2.xml",
             {"mission": "S3", "platform": "A", "product_types": "SL_1_RBT___", "grouping": Grouping.PRODUCT,
              "priority": Priority.MEDIUM, "processing_station": "S3__"}),
)


# The orbit of the demo L1 jobs is waited for (COPRS waits 1800 s after ingestion in NRT): a slice catalogued before
# the restituted orbit still gets it. Without a row, a missing optional input is dropped at once.
DEMO_INPUT_TIMEOUT: dict[str, Any] = {"processor_pattern": "IW_RAW__0_SLC__1_GRDH_1", "version_pattern": r".*-sim",
                      "input_pattern": "Orbit", "timeliness_pattern": ".*"}
DEMO_ORBIT_WAIT_S = 300

RESET_FIELDS = tuple(f.attname for f in ProductionRule._meta.concrete_fields
                     if f.attname not in ("id", "name", "created_at", "updated_at", "last_run_at"))


@dataclass
class DemoSetup:
    imported: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    differing: list[str] = field(default_factory=list)  # same version imported from different bytes
    rules_created: list[str] = field(default_factory=list)
    rules_kept: list[str] = field(default_factory=list)  # already there, left as they are (no reset asked)
    rules_updated: list[str] = field(default_factory=list)  # put back as shipped by a reset
    rules_unchanged: list[str] = field(default_factory=list)  # a reset found them as shipped


def _version_of(path: Path, outcome: DemoSetup) -> ProcessorVersion:
    data = path.read_bytes()
    table = tasktable_parse(data)
    label = f"{table.processor_name} {table.version}"
    existing = ProcessorVersion.objects.select_related("processor").filter(
        processor__name=table.processor_name, version=table.version).first()
    if existing is None:
        outcome.imported.append(label)
        return services.processor_import(data=data)
    (outcome.already if existing.sha256 == hashlib.sha256(data).hexdigest() else outcome.differing).append(label)
    return existing


def demo_setup(*, reset: bool = False) -> DemoSetup:
    """Import the demo Task Tables that are missing and create the demo rules and the orbit wait of the demo L1 jobs
    that are missing. Existing rules and the orbit wait are left as an operator set them; with `reset` they are put
    back as shipped (enabled, every field and parameter)."""
    outcome = DemoSetup()
    with transaction.atomic():
        versions = {path.relative_to(DEMO_TABLES).as_posix(): _version_of(path, outcome)
                    for path in sorted(DEMO_TABLES.rglob("*.xml"))}
        for demo in DEMO_RULES:
            shipped = ProductionRule(name=demo.name, processor_version=versions[demo.table], **demo.fields)
            rule = ProductionRule.objects.filter(name=demo.name).first()
            if rule is None:
                rule = shipped
                outcome.rules_created.append(demo.name)
            elif not reset:
                outcome.rules_kept.append(demo.name)
                continue
            else:
                changed = list(rule.parameters.values_list("name", "value")) != list(demo.parameters)
                for field_name in RESET_FIELDS:
                    if getattr(rule, field_name) != getattr(shipped, field_name):
                        setattr(rule, field_name, getattr(shipped, field_name))
                        changed = True
                (outcome.rules_updated if changed else outcome.rules_unchanged).append(demo.name)
            rule.full_clean()
            rule.save()
            rule.parameters.all().delete()
            RuleParameter.objects.bulk_create(
                RuleParameter(rule=rule, position=n, name=name, value=value)
                for n, (name, value) in enumerate(demo.parameters))
        wait = {"wait_from_creation_s": DEMO_ORBIT_WAIT_S, "wait_from_sensing_s": None}
        if reset:
            InputTimeout.objects.update_or_create(defaults=wait, **DEMO_INPUT_TIMEOUT)
        else:
            InputTimeout.objects.get_or_create(defaults=wait, **DEMO_INPUT_TIMEOUT)
    return outcome
