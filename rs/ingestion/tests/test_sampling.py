"""The sampling gate: cron windows on the source time, mission and product-type rules; skips are recorded."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError

from rs.ingestion import services
from rs.ingestion.choices import EntryState
from rs.ingestion.models import InboxEntry, SamplingRule
from rs.ingestion.sampling import SamplingGate
from rs.ingestion.tests.ingestion_support import directory_inbox, poll_until_settled
from rs.ingestion.tests.test_inbox_directory import EOF_NAME, EOF_TEXT

S1_GRD = "S1A_IW_GRDH_1SDV_20261120T100001_20261120T100026_061234_07A1B0_98A3.SAFE"
S2_GRANULE = "S2B_OPER_MSI_L0__GR_SGS__20261120T120300_S20261120T111500_D01_N05.11"
MONDAY_0130 = datetime(2026, 11, 23, 1, 30, tzinfo=UTC)
TUESDAY_0130 = datetime(2026, 11, 24, 1, 30, tzinfo=UTC)


def gate(*rules: dict) -> SamplingGate:
    return SamplingGate([SamplingRule(**{"duration_s": 3600, **rule}) for rule in rules])


def test_without_rules_everything_passes():
    assert gate().skip_reason(name=S1_GRD, source_time=None) == ""


def test_a_cron_window_accepts_source_times_inside_it_only():
    monday_night = gate({"cron": "0 0-5 * * MON", "duration_s": 3600})
    assert monday_night.skip_reason(name=S1_GRD, source_time=MONDAY_0130) == ""
    assert monday_night.skip_reason(name=S1_GRD, source_time=TUESDAY_0130) == (
        "not sampled: no sampling rule matches (S1 IW_GRDH_1S at 2026-11-24T01:30:00+00:00)")
    assert monday_night.skip_reason(name=S1_GRD, source_time=None).startswith("not sampled")


def test_mission_and_type_rules_combine_with_windows():
    rules = gate({"mission": "S1", "cron": "0 0-5 * * MON"}, {"product_type_regex": r"^MSI_L0__"})
    assert rules.skip_reason(name=S1_GRD, source_time=MONDAY_0130) == ""
    assert rules.skip_reason(name=S1_GRD, source_time=TUESDAY_0130) == (
        "not sampled: no sampling rule matches (S1 IW_GRDH_1S at 2026-11-24T01:30:00+00:00)")
    assert rules.skip_reason(name=S2_GRANULE, source_time=TUESDAY_0130) == ""


def test_an_unidentifiable_name_passes_to_be_quarantined_with_its_reason():
    assert gate({"mission": "S1"}).skip_reason(name="garbage.bin", source_time=MONDAY_0130) == ""


@pytest.mark.parametrize(("fields", "errors"), [
    ({"cron": "0 25 * * *"}, {"cron": ["hour field '25': values must be within 0-23"]}),
    ({"product_type_regex": "(["}, {"product_type_regex": [
        "not a valid regular expression: unterminated character set at position 1"]}),
    ({}, {"__all__": ["a rule needs a cron window, a mission or a product-type pattern"]}),
    ({"cron": "* * * * *", "duration_s": 30}, {
        "duration_s": ["a cron window lasts at least 60 seconds (cron fires once a minute at most)"]}),
])
def test_invalid_rules_are_refused_when_saved(db, tmp_path: Path, fields, errors):
    inbox = directory_inbox(tmp_path / "inbox")
    with pytest.raises(ValidationError) as refused:
        services.sampling_rule_add(inbox_id=inbox.pk, **fields)
    assert refused.value.message_dict == errors


def test_entries_outside_the_sample_are_recorded_as_skipped_not_lost(db, tmp_path: Path):
    inbox_dir = tmp_path / "inbox"
    inbox = directory_inbox(inbox_dir)
    services.sampling_rule_add(inbox_id=inbox.pk, cron="0 0-5 * * MON", duration_s=3600)
    inside, outside = EOF_NAME, EOF_NAME.replace("T130700", "T140700")
    for name, moment in ((inside, MONDAY_0130), (outside, TUESDAY_0130)):
        (inbox_dir / name).write_bytes(EOF_TEXT)
        os.utime(inbox_dir / name, (moment.timestamp(), moment.timestamp()))

    poll_until_settled(inbox)

    states = dict(InboxEntry.objects.filter(inbox=inbox).values_list("key", "state"))
    assert states == {inside: EntryState.PENDING, outside: EntryState.SKIPPED}
    skipped = InboxEntry.objects.get(inbox=inbox, key=outside)
    assert skipped.reason == "not sampled: no sampling rule matches (S1 AUX_RESORB at 2026-11-24T01:30:00+00:00)"
    again = services.inbox_poll(inbox_id=inbox.pk, enqueue=False)
    assert (again.new, again.skipped, again.pending) == (0, 0, 0)  # skipped once, not re-evaluated on every poll
