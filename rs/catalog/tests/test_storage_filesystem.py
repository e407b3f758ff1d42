"""The filesystem object store (the embedded default) and the key rules both stores share."""

from __future__ import annotations

import hashlib
import os
import random
import stat
import uuid
from collections.abc import Generator, Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from blake3 import blake3

from rs.catalog.storage import ChecksumMismatch, InvalidKey, ObjectNotFound, StoredObject, object_store
from rs.catalog.storage.filesystem import FilesystemObjectStore
from rs.catalog.storage.keys import asset_key, product_key, quarantine_key, workdir_key
from rs.errors import DomainError, NotFound

if TYPE_CHECKING:
    from pytest_django.fixtures import SettingsWrapper

MIB = 1024 * 1024

TRAVERSING_KEYS = [
    "../outside.bin",
    "products/../../outside.bin",
    "/etc/passwd",
    "products\\..\\outside.bin",
    "products/a\x00b",
    "products//a.bin",
    "products/a.bin/",
    "./products/a.bin",
    "products/./a.bin",
    "products/..",
    "",
    "k" * 1025,
]


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "storage"


@pytest.fixture
def store(settings: SettingsWrapper, root: Path) -> FilesystemObjectStore:
    settings.RS_STORAGE = "filesystem"
    settings.STORAGES = {
        **settings.STORAGES,
        "products": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(root), "allow_overwrite": True},
        },
    }
    store = object_store()  # rebuilt: changing these settings clears its cache
    assert isinstance(store, FilesystemObjectStore)
    store.ensure_bucket()
    return store


@pytest.fixture
def prefix() -> str:
    return f"tests/storage-fs/{uuid.uuid4()}/"


def files_below(directory: Path) -> list[str]:
    return sorted(str(path.relative_to(directory)) for path in directory.rglob("*") if path.is_file())


def test_put_stream_writes_the_file_and_reports_its_checksums(
    store: FilesystemObjectStore, root: Path, prefix: str
) -> None:
    data = random.Random(5).randbytes(3 * MIB + 11)
    key = f"{prefix}S2A_MSIL1C_20240601T101031_N0510_R022_T32TQM_20240601T120000.SAFE.zip"

    stored = store.put_stream(key=key, stream=[data[i : i + 100_000] for i in range(0, len(data), 100_000)])

    assert stored == StoredObject(
        key=key,
        size=len(data),
        md5=hashlib.md5(data).hexdigest(),
        blake3=blake3(data).hexdigest(),
        stored_at=stored.stored_at,
    )
    assert stored.stored_at.utcoffset() == timedelta(0)
    assert (root / key).read_bytes() == data
    assert stat.S_IMODE((root / key).stat().st_mode) == 0o644
    assert files_below(root) == [key]


def test_put_stream_reads_file_objects_and_bytes(store: FilesystemObjectStore, tmp_path: Path, prefix: str) -> None:
    source = tmp_path / "source.bin"
    source.write_bytes(b"0123456789" * 300_000)

    with source.open("rb") as stream:
        from_file = store.put_stream(key=f"{prefix}from-file.bin", stream=stream)
    from_bytes = store.put_stream(key=f"{prefix}from-bytes.bin", stream=b"")

    assert (from_file.size, from_file.md5) == (3_000_000, hashlib.md5(source.read_bytes()).hexdigest())
    assert (from_bytes.size, from_bytes.md5) == (0, hashlib.md5(b"").hexdigest())


def test_put_stream_replaces_an_existing_object(store: FilesystemObjectStore, prefix: str) -> None:
    store.put_stream(key=f"{prefix}o.bin", stream=b"first version")
    store.put_stream(key=f"{prefix}o.bin", stream=b"second")

    assert b"".join(store.open_range(key=f"{prefix}o.bin")) == b"second"


def test_open_range_reads_inclusive_ranges_in_chunks_of_at_most_1_mib(
    store: FilesystemObjectStore, prefix: str
) -> None:
    data = random.Random(6).randbytes(3 * MIB + MIB // 2)
    key = f"{prefix}r.bin"
    store.put_stream(key=key, stream=data)

    assert [len(chunk) for chunk in store.open_range(key=key)] == [MIB, MIB, MIB, MIB // 2]
    assert b"".join(store.open_range(key=key, start=1000, end=1999)) == data[1000:2000]
    assert b"".join(store.open_range(key=key, start=len(data) - 3)) == data[-3:]
    assert b"".join(store.open_range(key=key, start=10, end=10 * MIB)) == data[10:]
    assert list(store.open_range(key=key, start=len(data))) == []
    with pytest.raises(ValueError, match="invalid byte range 5-4"):
        store.open_range(key=key, start=5, end=4)


def test_exists_size_and_delete(store: FilesystemObjectStore, root: Path, prefix: str) -> None:
    key = f"{prefix}e.bin"
    store.put_stream(key=key, stream=b"12345")

    assert (store.exists(key), store.size(key)) == (True, 5)
    store.delete(key)
    store.delete(key)  # deleting what is gone is fine
    assert store.exists(key) is False
    assert not (root / key).exists()
    with pytest.raises(ObjectNotFound):
        store.size(key)
    with pytest.raises(ObjectNotFound):
        store.open_range(key=key)


def test_a_directory_is_not_an_object(store: FilesystemObjectStore, prefix: str) -> None:
    store.put_stream(key=f"{prefix}dir/file.bin", stream=b"x")

    assert store.exists(f"{prefix}dir") is False
    with pytest.raises(ObjectNotFound) as raised:
        store.size(f"{prefix}dir")
    with pytest.raises(ObjectNotFound):
        store.open_range(key=f"{prefix}dir")
    assert isinstance(raised.value, NotFound)
    assert raised.value.code == "object_not_found"


def test_list_keys_filters_by_prefix_and_walks_subdirectories(store: FilesystemObjectStore, prefix: str) -> None:
    for name, size in (("x/1", 1), ("x-2", 2), ("x/0/deep", 3), ("y", 4)):
        store.put_stream(key=f"{prefix}{name}", stream=b"z" * size)

    # each directory is listed in name order, a subdirectory where its name falls
    assert list(store.list_keys(prefix)) == [
        (f"{prefix}x/0/deep", 3),
        (f"{prefix}x/1", 1),
        (f"{prefix}x-2", 2),
        (f"{prefix}y", 4),
    ]
    assert list(store.list_keys(f"{prefix}x")) == [(f"{prefix}x/0/deep", 3), (f"{prefix}x/1", 1), (f"{prefix}x-2", 2)]
    assert list(store.list_keys(f"{prefix}x/")) == [(f"{prefix}x/0/deep", 3), (f"{prefix}x/1", 1)]
    assert list(store.list_keys(f"{prefix}nothing/")) == []
    assert [key for key, _ in store.list_keys()] == [key for key, _ in store.list_keys(prefix)]


class SourceFailed(Exception):
    pass


def test_a_failing_stream_leaves_no_object_and_no_temporary_file(
    store: FilesystemObjectStore, root: Path, prefix: str
) -> None:
    key = f"{prefix}interrupted.bin"

    def failing_source() -> Iterator[bytes]:
        yield b"a" * MIB
        yield b"b" * MIB
        raise SourceFailed("connection to the pickup point lost")

    with pytest.raises(SourceFailed):
        store.put_stream(key=key, stream=failing_source())

    assert files_below(root) == []
    assert store.exists(key) is False


def test_a_failing_overwrite_keeps_the_previous_object(store: FilesystemObjectStore, root: Path, prefix: str) -> None:
    key = f"{prefix}kept.bin"
    store.put_stream(key=key, stream=b"good bytes")

    def failing_source() -> Iterator[bytes]:
        yield b"partial"
        raise SourceFailed("gone")

    with pytest.raises(SourceFailed):
        store.put_stream(key=key, stream=failing_source())
    with pytest.raises(ChecksumMismatch):
        store.put_stream(key=key, stream=b"other bytes", expected_md5=hashlib.md5(b"bytes").hexdigest())

    assert (root / key).read_bytes() == b"good bytes"
    assert files_below(root) == [key]


def test_a_checksum_mismatch_stores_nothing(store: FilesystemObjectStore, root: Path, prefix: str) -> None:
    with pytest.raises(ChecksumMismatch) as raised:
        store.put_stream(key=f"{prefix}md5.bin", stream=b"payload", expected_md5=hashlib.md5(b"x").hexdigest())
    with pytest.raises(ChecksumMismatch, match="7 bytes received, 8 expected"):
        store.put_stream(key=f"{prefix}size.bin", stream=b"payload", expected_size=8)

    assert (raised.value.code, raised.value.details) == ("checksum_mismatch", {"key": f"{prefix}md5.bin"})
    assert files_below(root) == []


def test_matching_expectations_are_accepted_in_any_case(store: FilesystemObjectStore, prefix: str) -> None:
    md5_upper_case = hashlib.md5(b"payload").hexdigest().upper()

    stored = store.put_stream(key=f"{prefix}ok.bin", stream=b"payload", expected_size=7, expected_md5=md5_upper_case)

    assert stored.md5 == hashlib.md5(b"payload").hexdigest()


def test_an_oversized_stream_is_cut_off_at_the_first_extra_chunk(store: FilesystemObjectStore, prefix: str) -> None:
    chunks_read = 0

    def endless_source() -> Iterator[bytes]:
        nonlocal chunks_read
        while True:
            chunks_read += 1
            yield b"x" * MIB

    with pytest.raises(ChecksumMismatch, match=f"more than the expected {3 * MIB} bytes"):
        store.put_stream(key=f"{prefix}endless.bin", stream=endless_source(), expected_size=3 * MIB)

    assert chunks_read == 4


@pytest.mark.parametrize("key", TRAVERSING_KEYS)
def test_keys_that_could_leave_the_root_are_refused(store: FilesystemObjectStore, tmp_path: Path, key: str) -> None:
    with pytest.raises(InvalidKey):
        store.put_stream(key=key, stream=b"escape")
    for call in (store.exists, store.size, store.delete, lambda k: store.open_range(key=k)):
        with pytest.raises(InvalidKey):
            call(key)
    with pytest.raises(InvalidKey):
        store.download_url(key=key, filename="x.zip")

    assert files_below(tmp_path) == []


@pytest.mark.parametrize("prefix", ["../", "/", "a//", "a/../", "a\\b"])
def test_listing_prefixes_that_could_leave_the_root_are_refused(store: FilesystemObjectStore, prefix: str) -> None:
    with pytest.raises(InvalidKey):
        store.list_keys(prefix)


def test_invalid_key_is_a_domain_error_with_its_code() -> None:
    with pytest.raises(InvalidKey) as raised:
        product_key(mission="S1", family="L1_SLICE", name="../../etc/passwd")

    assert isinstance(raised.value, DomainError)
    assert (raised.value.status, raised.value.code) == (400, "invalid_key")


def test_key_builders_place_each_kind_of_object() -> None:
    product_id = uuid.UUID("7f1d3c52-9a0e-4b7e-8c7a-2f4d1b6e9a10")
    received_at = datetime(2024, 6, 1, 1, 30, tzinfo=timezone(timedelta(hours=2)))  # 31 May, 23:30 UTC

    assert (
        product_key(mission="S1", family="L1_SLICE", name="S1A_IW_SLC__1SDV_20240601T000000.SAFE", suffix=".zip")
        == "products/S1/L1_SLICE/S1A_IW_SLC__1SDV_20240601T000000.SAFE.zip"
    )
    assert asset_key(product_id=product_id, name="quick-look.png") == f"assets/{product_id}/quick-look.png"
    assert quarantine_key(name="S2B_bad.zip", received_at=received_at) == "quarantine/20240531/S2B_bad.zip"
    assert quarantine_key(name="a.zip", received_at=datetime(2024, 6, 1, tzinfo=UTC)) == "quarantine/20240601/a.zip"
    assert workdir_key(job_id=42, name="outputs/manifest.safe") == "workdirs/42/outputs/manifest.safe"


def test_key_builders_refuse_names_that_add_or_escape_segments() -> None:
    with pytest.raises(InvalidKey):
        product_key(mission="S1/..", family="L1_SLICE", name="x")
    with pytest.raises(InvalidKey):
        asset_key(product_id=uuid.uuid4(), name="../other/quick-look.png")
    with pytest.raises(InvalidKey):
        quarantine_key(name="a/b.zip", received_at=datetime(2024, 6, 1, tzinfo=UTC))
    with pytest.raises(InvalidKey):
        workdir_key(job_id=1, name="../../products/S1/x.zip")
    with pytest.raises(ValueError, match="aware"):
        quarantine_key(name="a.zip", received_at=datetime(2024, 6, 1, tzinfo=UTC).replace(tzinfo=None))


def test_object_store_follows_the_settings(settings: SettingsWrapper, tmp_path: Path) -> None:
    settings.RS_STORAGE = "filesystem"
    settings.STORAGES = {
        **settings.STORAGES,
        "products": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}},
    }
    first = object_store()
    settings.STORAGES = {
        **settings.STORAGES,
        "products": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "other")},
        },
    }
    second = object_store()

    assert object_store() is second
    assert isinstance(first, FilesystemObjectStore) and isinstance(second, FilesystemObjectStore)
    assert (first.root, second.root) == (tmp_path, tmp_path / "other")


def test_no_file_is_left_open_after_a_partial_read(store: FilesystemObjectStore, prefix: str) -> None:
    store.put_stream(key=f"{prefix}p.bin", stream=b"x" * (3 * MIB))
    open_before = len(os.listdir("/proc/self/fd"))

    chunks = store.open_range(key=f"{prefix}p.bin")
    assert isinstance(chunks, Generator)
    next(chunks)
    chunks.close()  # what StreamingHttpResponse does when the client goes away

    assert len(os.listdir("/proc/self/fd")) == open_before
