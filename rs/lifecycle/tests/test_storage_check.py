from __future__ import annotations

import io
import uuid

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from rs.catalog.models import DeletedProduct, Product
from rs.catalog.storage import object_store
from rs.catalog.tests import factories
from rs.lifecycle.models import StorageCheckRun, StorageCheckSeen
from rs.lifecycle.storage_check import storage_check

pytestmark = pytest.mark.django_db


@pytest.fixture
def inconsistent_store(settings):
    """A sound product, one whose object is gone, one whose object has another size, and an orphan object."""
    settings.RS_STORAGE_CHECK_ORPHAN_GRACE_S = 0
    store = object_store()
    for key, _ in list(store.list_keys("products/")) + list(store.list_keys("assets/")):
        store.delete(key)

    def product_with_object(data: bytes, catalogued: int | None = None):
        key = f"products/S1/L1_SLICE/c-{uuid.uuid4().hex}.zip"
        store.put_stream(key=key, stream=io.BytesIO(data))
        return factories.product(storage_key=key, content_length=len(data) if catalogued is None else catalogued)

    sound = product_with_object(b"sound")
    missing = product_with_object(b"gone")
    store.delete(missing.storage_key)
    resized = product_with_object(b"1234567", catalogued=3)
    orphan = f"products/S1/L1_SLICE/orphan-{uuid.uuid4().hex}.zip"
    store.put_stream(key=orphan, stream=io.BytesIO(b"nobody's"))
    return sound, missing, resized, orphan


def test_the_check_finds_every_kind_of_inconsistency(inconsistent_store):
    _sound, missing, resized, orphan = inconsistent_store
    found: list[dict] = []
    run = storage_check(report=found.append)
    kinds = {(f["kind"], f.get("key")) for f in found}
    assert kinds == {("missing_object", missing.storage_key), ("size_mismatch", resized.storage_key),
                     ("orphan_object", orphan)}
    assert run.counts == {"objects": 3, "missing_object": 1, "size_mismatch": 1, "orphan_object": 1}
    assert run.status == "finished" and not StorageCheckSeen.objects.filter(run=run).exists()
    assert Product.objects.filter(online=True).count() == 3  # a check without --repair changes nothing
    assert object_store().exists(orphan)


def test_repair_evicts_broken_products_and_deletes_old_orphans(inconsistent_store):
    sound, missing, _resized, orphan = inconsistent_store
    storage_check(repair=True)
    assert set(Product.objects.filter(online=True).values_list("id", flat=True)) == {sound.id}
    assert DeletedProduct.objects.get(pk=missing.id).deletion_cause == "Corrupted product"
    assert not object_store().exists(orphan)
    assert storage_check().counts == {"objects": 1}


def test_an_interrupted_check_resumes_from_its_cursor(inconsistent_store):
    sound, missing, resized, _orphan = inconsistent_store
    # given a run killed after listing the objects (its cursor says so, its seen rows are there)
    run = StorageCheckRun.objects.create(cursor={"phase": "products"})
    for product in (sound, resized):
        StorageCheckSeen.objects.create(run=run, product_id=product.id)
    found: list[dict] = []
    resumed = storage_check(resume=True, report=found.append)
    assert resumed.pk == run.pk
    assert [(f["kind"], f["key"]) for f in found] == [("missing_object", missing.storage_key)]


def test_the_command_exits_non_zero_when_it_finds_problems(inconsistent_store, capsys):
    with pytest.raises(CommandError, match="3 inconsistency"):
        call_command("storage", "check")
    out = capsys.readouterr().out
    assert "missing_object" in out and "orphan_object" in out and "finished: missing_object: 1" in out
