"""The batch statements of a claim (plan the product ids, start with the product names, finish ingested) give each
entry its own value, on PostgreSQL's arrays as with the portable CASE WHEN."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from rs.ingestion import claims
from rs.ingestion.choices import EntryState
from rs.ingestion.claims import entries_claim, entries_finish_ingested, entries_start
from rs.ingestion.models import InboxEntry
from rs.ingestion.tests.ingestion_support import directory_inbox

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["native", "case-when"])
def flavour(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "case-when":
        monkeypatch.setattr(claims._ValueById, "as_postgresql", claims._ValueById.as_sql)
    return str(request.param)


def test_each_entry_of_a_batch_gets_its_own_planned_id_and_name(tmp_path: Path, flavour: str) -> None:
    inbox = directory_inbox(tmp_path / "inbox")
    planned = uuid.uuid4()
    entries = [InboxEntry.objects.create(inbox=inbox, key=f"k{i}", name=f"n{i}", state=EntryState.PENDING,
                                         product_id=planned if i == 2 else None) for i in range(5)]
    other = InboxEntry.objects.create(inbox=inbox, key="other", name="other", state=EntryState.FAILED)

    claimed = entries_claim(inbox_id=inbox.pk, limit=10)
    assert [e.pk for e in claimed] == [e.pk for e in entries]
    stored = dict(InboxEntry.objects.values_list("pk", "product_id"))
    assert {e.pk: e.product_id for e in claimed} == {pk: stored[pk] for pk in stored if pk != other.pk}
    assert stored[entries[2].pk] == planned and len(set(stored.values())) == 6  # 5 ids, and None for `other`

    assert entries_start([(e, f"PRODUCT_{e.key}_{flavour}") for e in claimed])
    names = dict(InboxEntry.objects.values_list("pk", "product_name"))
    assert names == {**{e.pk: f"PRODUCT_{e.key}_{flavour}" for e in claimed}, other.pk: ""}

    claimed[3].product_id = uuid.uuid4()  # a product id chosen after the claim is the one recorded
    assert entries_finish_ingested(claimed[1:]) == 4
    rows = {pk: (state, product_id) for pk, state, product_id
            in InboxEntry.objects.values_list("pk", "state", "product_id")}
    assert rows[claimed[0].pk] == (EntryState.TRANSFERRING, claimed[0].product_id)
    assert [rows[e.pk] for e in claimed[1:]] == [(EntryState.INGESTED, e.product_id) for e in claimed[1:]]
    assert rows[other.pk] == (EntryState.FAILED, None)


def test_a_batch_start_refused_for_one_entry_changes_none(tmp_path: Path, flavour: str) -> None:
    inbox = directory_inbox(tmp_path / "inbox")
    for i in range(3):
        InboxEntry.objects.create(inbox=inbox, key=f"k{i}", name=f"n{i}", state=EntryState.PENDING)
    claimed = entries_claim(inbox_id=inbox.pk, limit=10)
    assert not entries_start([(claimed[0], "SAME"), (claimed[1], "SAME"), (claimed[2], "OTHER")])  # one transfer
    assert set(InboxEntry.objects.values_list("product_name", flat=True)) == {""}
