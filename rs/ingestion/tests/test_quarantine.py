"""Bad input is quarantined with its reason and disturbs nothing else; retryable failures retry with a limit."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from rs.catalog.models import Product
from rs.catalog.storage import object_store
from rs.ingestion import claims, services
from rs.ingestion.choices import EntryState
from rs.ingestion.demo import DEMO_T0
from rs.ingestion.demo.sentinel1 import _aux_safe
from rs.ingestion.demo.writing import write_folder
from rs.ingestion.models import InboxEntry
from rs.ingestion.tests.ingestion_support import directory_inbox, entry_of, ingest_now, poll_until_settled
from rs.ingestion.tests.test_inbox_directory import EOF_NAME, EOF_TEXT

AUX = "S1A_AUX_CAL_V20261021T100000_G20261017T100000.SAFE"


def _aux_files() -> dict[str, bytes]:
    name, files = _aux_safe("CAL", DEMO_T0 - timedelta(days=30), DEMO_T0 - timedelta(days=34))
    assert name == AUX
    return files


def _bad_items(inbox_dir: Path) -> dict[str, bytes | None]:
    """key → the bytes expected in quarantine (None: no copy)."""
    inbox_dir.mkdir(parents=True)
    items: dict[str, bytes | None] = {}

    def file(name: str, data: bytes) -> None:
        (inbox_dir / name).write_bytes(data)
        items[name] = data

    file("garbage.bin", b"not a product")
    file(EOF_NAME.replace("T130700", "T140700"), b"")  # zero bytes
    file(EOF_NAME.replace("T130700", "T150700"), b"<Earth_Explorer_File><Fixed_Header>")  # truncated XML
    mismatch = EOF_NAME.replace("T130700", "T160700")
    file(mismatch, EOF_TEXT)
    (inbox_dir / f"{mismatch}.md5").write_text(f"{'0' * 32}  {mismatch}\n")
    file(AUX.replace("20261021", "20261022") + ".zip", b"PK\x03\x04 this is not a zip archive")
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{AUX.replace('20261021', '20261023')}/manifest.safe", b"\0" * (64 * 1024 * 1024))
    file(AUX.replace("20261021", "20261023") + ".zip", bomb.getvalue())
    corrupt = _aux_files()
    corrupt["manifest.safe"] = corrupt["manifest.safe"][:-200]
    write_folder(inbox_dir, AUX.replace("20261021", "20261024"), corrupt, available=DEMO_T0)
    items[AUX.replace("20261021", "20261024")] = None  # a folder: quarantined as a zip of it
    missing = _aux_files()
    del missing["manifest.safe"]
    write_folder(inbox_dir, AUX.replace("20261021", "20261025"), missing, available=DEMO_T0)
    items[AUX.replace("20261021", "20261025")] = None
    (inbox_dir / EOF_NAME.replace("T130700", "T170700")).symlink_to("/etc/hostname")
    items[EOF_NAME.replace("T130700", "T170700")] = None
    return items


REASONS = {
    "garbage.bin": "unrecognised name: garbage.bin: matches no Sentinel product, auxiliary, Earth Explorer or "
                   "session file pattern",
    EOF_NAME.replace("T130700", "T140700"): "empty file (0 bytes)",
    EOF_NAME.replace("T130700", "T150700"): "metadata extraction failed: ",
    EOF_NAME.replace("T130700", "T160700"): "checksum mismatch: ",
    AUX.replace("20261021", "20261022") + ".zip": "metadata extraction failed: ",
    AUX.replace("20261021", "20261023") + ".zip": "metadata extraction failed: ",
    AUX.replace("20261021", "20261024"): "metadata extraction failed: ",
    AUX.replace("20261021", "20261025"): "metadata extraction failed: ",
    EOF_NAME.replace("T130700", "T170700"): "symbolic link: items are never read through links",
}


def test_every_kind_of_bad_input_is_quarantined_with_its_reason_and_good_input_still_flows(db, tmp_path: Path):
    inbox_dir = tmp_path / "inbox"
    expected = _bad_items(inbox_dir)
    write_folder(inbox_dir, AUX, _aux_files(), available=DEMO_T0)  # one good product among them
    inbox = directory_inbox(inbox_dir)

    ingest_now(inbox)

    assert entry_of(inbox, AUX).state == EntryState.INGESTED
    assert list(Product.objects.values_list("name", flat=True)) == [AUX]
    store = object_store()
    for key, reason in REASONS.items():
        entry = entry_of(inbox, key)
        assert (key, entry.state) == (key, EntryState.FAILED)
        assert entry.reason.startswith(reason), (key, entry.reason)
        if key.endswith(".EOF") and "T170700" in key:
            assert entry.quarantine_key == ""  # a link is never followed, so there are no bytes to keep
            continue
        day = entry.finished_at.strftime("%Y%m%d")
        suffix = ".zip" if (inbox_dir / key).is_dir() else ""
        assert entry.quarantine_key == f"quarantine/{day}/{entry.pk}-{key}{suffix}"
        kept = b"".join(store.open_range(key=entry.quarantine_key))
        if expected[key] is not None:
            assert kept == expected[key]
        else:
            assert zipfile.ZipFile(io.BytesIO(kept)).namelist()[0] == f"{key}/"


def test_specific_reasons_name_the_problem(db, tmp_path: Path):
    inbox_dir = tmp_path / "inbox"
    _bad_items(inbox_dir)
    inbox = directory_inbox(inbox_dir)
    ingest_now(inbox)
    reasons = {e.key: e.reason for e in InboxEntry.objects.filter(inbox=inbox)}
    assert reasons[EOF_NAME.replace("T130700", "T160700")] == (
        f"checksum mismatch: Object 'products/S1/AUXILIARY_FILE/{EOF_NAME.replace('T130700', 'T160700')}' was not "
        f"stored: MD5 {__import__('hashlib').md5(EOF_TEXT).hexdigest()} received, {'0' * 32} expected.")
    assert "compression ratio" in reasons[AUX.replace("20261021", "20261023") + ".zip"]
    assert "manifest.safe is missing" in reasons[AUX.replace("20261021", "20261025")]


def test_a_name_already_catalogued_with_other_bytes_is_a_quarantined_conflict(db, tmp_path: Path):
    first = directory_inbox(tmp_path / "one", name="one")
    (tmp_path / "one" / EOF_NAME).write_bytes(EOF_TEXT)
    ingest_now(first)
    same = directory_inbox(tmp_path / "two", name="two")
    (tmp_path / "two" / EOF_NAME).write_bytes(EOF_TEXT)
    other = directory_inbox(tmp_path / "three", name="three")
    (tmp_path / "three" / EOF_NAME).write_bytes(EOF_TEXT.replace(b"test", b"TEST"))

    ingest_now(same)
    ingest_now(other)

    product = Product.objects.get(name=EOF_NAME)
    duplicate = entry_of(same, EOF_NAME)
    assert (duplicate.state, duplicate.product_id, duplicate.reason) == (
        EntryState.INGESTED, product.id, "already in the catalogue with the same MD5")
    conflict = entry_of(other, EOF_NAME)
    assert conflict.state == EntryState.FAILED
    assert conflict.reason.startswith(f"conflict: {EOF_NAME} is already in the catalogue with MD5 {product.md5}")
    assert conflict.quarantine_key.endswith(f"-{EOF_NAME}")
    assert object_store().size(product.storage_key) == len(EOF_TEXT)  # the catalogued bytes are untouched


def test_a_vanished_source_is_retried_with_backoff_then_failed(db, tmp_path: Path, monkeypatch):
    monkeypatch.setattr(claims, "MAX_ATTEMPTS", 3)
    inbox_dir = tmp_path / "inbox"
    inbox = directory_inbox(inbox_dir)
    (inbox_dir / EOF_NAME).write_bytes(EOF_TEXT)
    poll_until_settled(inbox)
    inbox_dir.rename(tmp_path / "unmounted")  # the NFS mount went away

    before = timezone.now()
    services.inbox_drain(inbox_id=inbox.pk)
    entry = entry_of(inbox, EOF_NAME)
    assert (entry.state, entry.attempts) == (EntryState.PENDING, 1)
    assert entry.reason == f"attempt 1 failed: SourceUnavailable: directory {inbox_dir} is not reachable"
    assert timedelta(seconds=9) < entry.next_attempt_at - before < timedelta(seconds=11)
    assert services.inbox_drain(inbox_id=inbox.pk).states == {}  # not due yet

    InboxEntry.objects.filter(pk=entry.pk).update(next_attempt_at=timezone.now())
    services.inbox_drain(inbox_id=inbox.pk)
    entry.refresh_from_db()
    assert (entry.attempts, entry.state) == (2, EntryState.PENDING)
    assert timedelta(seconds=19) < entry.next_attempt_at - timezone.now() < timedelta(seconds=21)

    InboxEntry.objects.filter(pk=entry.pk).update(next_attempt_at=timezone.now())
    services.inbox_drain(inbox_id=inbox.pk)
    entry.refresh_from_db()
    assert (entry.attempts, entry.state) == (3, EntryState.FAILED)
    assert entry.reason.startswith("gave up after 3 attempts: SourceUnavailable: directory")
    assert not Product.objects.exists()


@pytest.mark.django_db
def test_an_unreachable_object_store_is_retried_not_quarantined(tmp_path: Path, settings):
    inbox = directory_inbox(tmp_path / "inbox")
    (tmp_path / "inbox" / EOF_NAME).write_bytes(EOF_TEXT)
    poll_until_settled(inbox)
    settings.STORAGES = {**settings.STORAGES, "products": {
        **settings.STORAGES["products"],
        "OPTIONS": {**settings.STORAGES["products"].get("OPTIONS", {}), "endpoint_url": "http://127.0.0.1:9"}}}
    if settings.RS_STORAGE != "s3":
        pytest.skip("needs the S3 store")

    services.inbox_drain(inbox_id=inbox.pk)

    entry = entry_of(inbox, EOF_NAME)
    assert (entry.state, entry.attempts, entry.quarantine_key) == (EntryState.PENDING, 1, "")
    assert entry.reason.startswith("attempt 1 failed: StorageError: S3 store")
    assert not Product.objects.exists()
