"""The S3 object store against the suite's SeaweedFS (RS_STORAGE=s3 from var/services.env)."""

from __future__ import annotations

import base64
import hashlib
import random
import time
import urllib.request
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

import boto3.session
import pytest
from blake3 import blake3
from botocore.config import Config
from botocore.exceptions import ClientError
from django.conf import settings
from django.core.files.storage import storages
from storages.backends.s3 import S3Storage

from rs.catalog.storage import ChecksumMismatch, ObjectNotFound, StorageError, object_store
from rs.catalog.storage.s3 import S3ObjectStore
from rs.errors import DomainError

if TYPE_CHECKING:
    from mypy_boto3_s3.client import S3Client
    from pytest_django.fixtures import SettingsWrapper

pytestmark = pytest.mark.skipif(settings.RS_STORAGE != "s3", reason="needs RS_STORAGE=s3 (var/services.env)")

MIB = 1024 * 1024
GIB = 1024 * MIB


@pytest.fixture
def store() -> S3ObjectStore:
    store = object_store()
    assert isinstance(store, S3ObjectStore)
    store.ensure_bucket()
    return store


@pytest.fixture
def s3_client() -> S3Client:
    """A client of its own for checks behind the store's back (multipart uploads, ETags)."""
    storage = storages["products"]
    assert isinstance(storage, S3Storage)
    client: S3Client = storage.connection.meta.client
    return client


@pytest.fixture
def prefix(store: S3ObjectStore) -> Iterator[str]:
    prefix = f"tests/storage-s3/{uuid.uuid4()}/"
    yield prefix
    for key, _ in store.list_keys(prefix):
        store.delete(key)


def pseudo_random_chunks(*, total: int, seed: int, chunk: int = MIB) -> Iterator[bytes]:
    """Deterministic bytes produced lazily, one chunk at a time."""
    rng = random.Random(seed)
    for _ in range(total // chunk):
        yield rng.randbytes(chunk)
    if total % chunk:
        yield rng.randbytes(total % chunk)


def hashed(chunks: Iterator[bytes], *hashers: Any) -> Iterator[bytes]:
    for chunk in chunks:
        for hasher in hashers:
            hasher.update(chunk)
        yield chunk


def bad_store(**options: Any) -> S3ObjectStore:
    """A store on the same bucket through an S3Storage built with some options replaced."""
    products = cast("dict[str, Any]", settings.STORAGES["products"])
    configured = cast("dict[str, Any]", products["OPTIONS"])
    return S3ObjectStore.from_storage(S3Storage(**{**configured, **options}))


def in_progress_uploads(client: S3Client, key: str) -> list[str]:
    uploads = client.list_multipart_uploads(Bucket=settings.RS_S3_BUCKET, Prefix=key).get("Uploads", [])
    return [upload["Key"] for upload in uploads]


@pytest.mark.slow
def test_a_1_gib_stream_round_trips_as_a_multipart_object(
    store: S3ObjectStore, s3_client: S3Client, prefix: str, settings: SettingsWrapper
) -> None:
    # given 16 MiB parts and 1 GiB of pseudo-random bytes, hashed by the test as they are produced
    settings.RS_S3_MULTIPART_CHUNK_BYTES = 16 * MIB
    key = f"{prefix}one-gib.bin"
    sent_md5, sent_blake3 = hashlib.md5(usedforsecurity=False), blake3()
    started = time.monotonic()

    # when
    stored = store.put_stream(
        key=key, stream=hashed(pseudo_random_chunks(total=GIB, seed=20240601), sent_md5, sent_blake3)
    )
    uploaded = time.monotonic()

    # then the store reports what the test sent, and S3 holds a 64-part object of that size
    assert (stored.key, stored.size, stored.md5, stored.blake3) == (
        key,
        GIB,
        sent_md5.hexdigest(),
        sent_blake3.hexdigest(),
    )
    assert stored.stored_at.utcoffset() == timedelta(0)
    head = s3_client.head_object(Bucket=store.bucket, Key=key)
    assert head["ContentLength"] == GIB
    assert head["ETag"].strip('"').endswith("-64")

    # and reading it back gives the same bytes, in chunks of at most 1 MiB
    read_md5, read_blake3, read_size, largest_chunk = hashlib.md5(usedforsecurity=False), blake3(), 0, 0
    for chunk in store.open_range(key=key):
        read_md5.update(chunk)
        read_blake3.update(chunk)
        read_size += len(chunk)
        largest_chunk = max(largest_chunk, len(chunk))
    read_back = time.monotonic()
    assert (read_size, read_md5.hexdigest(), read_blake3.hexdigest()) == (GIB, stored.md5, stored.blake3)
    assert largest_chunk == MIB

    store.delete(key)
    assert not store.exists(key)
    print(f"1 GiB: upload {uploaded - started:.1f} s, read back {read_back - uploaded:.1f} s")


def test_a_small_object_is_one_put_with_its_md5_as_etag(store: S3ObjectStore, s3_client: S3Client, prefix: str) -> None:
    data = b"S1A_IW_RAW__0SDV manifest" * 10

    stored = store.put_stream(key=f"{prefix}small.bin", stream=data, content_type="application/xml")

    head = s3_client.head_object(Bucket=store.bucket, Key=f"{prefix}small.bin")
    assert head["ETag"] == f'"{hashlib.md5(data).hexdigest()}"'
    assert head["ContentType"] == "application/xml"
    assert (stored.size, stored.md5, stored.blake3) == (
        len(data),
        hashlib.md5(data).hexdigest(),
        blake3(data).hexdigest(),
    )


def test_open_range_reads_inclusive_ranges_clamped_to_the_object(store: S3ObjectStore, prefix: str) -> None:
    data = bytes(range(256)) * 10
    store.put_stream(key=f"{prefix}r.bin", stream=data)

    def read(start: int, end: int | None = None) -> bytes:
        return b"".join(store.open_range(key=f"{prefix}r.bin", start=start, end=end))

    assert read(0) == data
    assert read(10, 19) == data[10:20]
    assert read(2550) == data[2550:]
    assert read(2500, 99_999) == data[2500:]
    assert read(2560) == b""
    assert read(99_999, 100_000) == b""


def test_a_missing_object_is_reported_when_asked_for(store: S3ObjectStore, prefix: str) -> None:
    key = f"{prefix}missing.bin"

    assert store.exists(key) is False
    with pytest.raises(ObjectNotFound):
        store.size(key)
    with pytest.raises(ObjectNotFound):
        store.open_range(key=key)  # raised by the call, before any iteration
    store.delete(key)  # deleting nothing is fine


def test_list_keys_gives_keys_and_sizes_under_a_prefix(store: S3ObjectStore, prefix: str) -> None:
    for name, size in (("b/2.bin", 2), ("a.bin", 1), ("b/1.bin", 3), ("b-c.bin", 4)):
        store.put_stream(key=f"{prefix}{name}", stream=b"x" * size)

    assert sorted(store.list_keys(prefix)) == [
        (f"{prefix}a.bin", 1),
        (f"{prefix}b-c.bin", 4),
        (f"{prefix}b/1.bin", 3),
        (f"{prefix}b/2.bin", 2),
    ]
    assert sorted(store.list_keys(f"{prefix}b/")) == [(f"{prefix}b/1.bin", 3), (f"{prefix}b/2.bin", 2)]
    assert sorted(store.list_keys(f"{prefix}b")) == [
        (f"{prefix}b-c.bin", 4),
        (f"{prefix}b/1.bin", 3),
        (f"{prefix}b/2.bin", 2),
    ]


def test_ensure_bucket_is_idempotent(store: S3ObjectStore, s3_client: S3Client) -> None:
    store.ensure_bucket()
    store.ensure_bucket()

    assert s3_client.head_bucket(Bucket=settings.RS_S3_BUCKET)["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_a_presigned_url_serves_a_byte_range_with_the_download_name(store: S3ObjectStore, prefix: str) -> None:
    # given
    data = b"".join(pseudo_random_chunks(total=3 * MIB + 5, seed=7))
    key = f"{prefix}S1A_IW_SLC__1SDV_20240601T000000_20240601T000027_054000_069000_ABCD.SAFE.zip"
    store.put_stream(key=key, stream=data)
    url = store.download_url(key=key, filename="S1A_IW_SLC__1SDV_ABCD.SAFE.zip", expires_s=60)

    # when
    request = urllib.request.Request(url, headers={"Range": "bytes=1000-1999"})
    with urllib.request.urlopen(request, timeout=30) as response:
        status, headers, body = response.status, response.headers, response.read()

    # then
    assert status == 206
    assert body == data[1000:2000]
    assert headers["Content-Range"] == f"bytes 1000-1999/{len(data)}"
    assert headers["Content-Length"] == "1000"
    assert headers["Content-Disposition"] == 'attachment; filename="S1A_IW_SLC__1SDV_ABCD.SAFE.zip"'
    assert "X-Amz-Signature=" in url and "X-Amz-Expires=60" in url


def test_a_presigned_url_encodes_a_non_ascii_download_name(store: S3ObjectStore, prefix: str) -> None:
    store.put_stream(key=f"{prefix}n.bin", stream=b"abc")
    url = store.download_url(key=f"{prefix}n.bin", filename="relevé été.zip")

    with urllib.request.urlopen(url, timeout=30) as response:
        assert response.headers["Content-Disposition"] == "attachment; filename*=utf-8''relev%C3%A9%20%C3%A9t%C3%A9.zip"
        assert response.read() == b"abc"


def test_an_md5_mismatch_stores_nothing(store: S3ObjectStore, prefix: str) -> None:
    key = f"{prefix}bad-md5.bin"

    with pytest.raises(ChecksumMismatch) as raised:
        store.put_stream(key=key, stream=b"payload", expected_md5=hashlib.md5(b"other").hexdigest())

    assert raised.value.code == "checksum_mismatch"
    assert isinstance(raised.value, DomainError)
    assert store.exists(key) is False


def test_a_refused_multipart_upload_leaves_neither_object_nor_upload(
    store: S3ObjectStore, s3_client: S3Client, prefix: str, settings: SettingsWrapper
) -> None:
    settings.RS_S3_MULTIPART_CHUNK_BYTES = 5 * MIB
    key = f"{prefix}bad-md5-multipart.bin"

    with pytest.raises(ChecksumMismatch):
        store.put_stream(key=key, stream=pseudo_random_chunks(total=12 * MIB, seed=1), expected_md5="0" * 32)

    assert store.exists(key) is False
    assert in_progress_uploads(s3_client, key) == []


def test_a_refused_upload_keeps_the_object_already_there(store: S3ObjectStore, prefix: str) -> None:
    key = f"{prefix}kept.bin"
    store.put_stream(key=key, stream=b"good bytes")

    with pytest.raises(ChecksumMismatch):
        store.put_stream(key=key, stream=b"bad bytes", expected_size=99)

    assert b"".join(store.open_range(key=key)) == b"good bytes"


def test_a_size_mismatch_stores_nothing(store: S3ObjectStore, prefix: str) -> None:
    with pytest.raises(ChecksumMismatch, match="7 bytes received, 8 expected"):
        store.put_stream(key=f"{prefix}short.bin", stream=b"payload", expected_size=8)
    with pytest.raises(ChecksumMismatch, match="more than the expected 6 bytes"):
        store.put_stream(key=f"{prefix}long.bin", stream=b"payload", expected_size=6)

    assert list(store.list_keys(prefix)) == []


def test_wrong_credentials_are_a_storage_error_not_a_domain_error(prefix: str) -> None:
    store = bad_store(access_key="not-a-key", secret_key="not-the-secret")

    with pytest.raises(StorageError, match="InvalidAccessKeyId"):
        store.put_stream(key=f"{prefix}denied.bin", stream=b"x")
    with pytest.raises(StorageError):
        store.size(f"{prefix}denied.bin")  # a 403, not a missing object
    assert not issubclass(StorageError, DomainError)


def test_an_unreachable_endpoint_is_a_storage_error(prefix: str) -> None:
    config = Config(
        s3={"addressing_style": "path"},
        signature_version="s3v4",
        connect_timeout=2,
        retries={"total_max_attempts": 1},
    )
    store = bad_store(endpoint_url="http://127.0.0.1:9", client_config=config)

    with pytest.raises(StorageError, match="EndpointConnectionError"):
        store.put_stream(key=f"{prefix}nowhere.bin", stream=b"x")


class SourceFailed(Exception):
    pass


def test_a_source_failing_mid_stream_leaves_neither_object_nor_upload(
    store: S3ObjectStore, s3_client: S3Client, prefix: str, settings: SettingsWrapper
) -> None:
    # given a source that fails after 12 MiB, when two 5 MiB parts have been sent
    settings.RS_S3_MULTIPART_CHUNK_BYTES = 5 * MIB
    key = f"{prefix}interrupted.bin"
    uploads_when_failing: list[str] = []

    def failing_source() -> Iterator[bytes]:
        yield from pseudo_random_chunks(total=12 * MIB, seed=2)
        uploads_when_failing.extend(in_progress_uploads(s3_client, key))
        raise SourceFailed("connection to the pickup point lost")

    # when
    with pytest.raises(SourceFailed):
        store.put_stream(key=key, stream=failing_source())

    # then the upload was under way and is gone
    assert uploads_when_failing == [key]
    assert in_progress_uploads(s3_client, key) == []
    assert store.exists(key) is False


def test_stored_at_is_the_time_of_the_upload(store: S3ObjectStore, prefix: str) -> None:
    before = datetime.now(UTC)
    stored = store.put_stream(key=f"{prefix}t.bin", stream=b"t")
    assert before <= stored.stored_at <= datetime.now(UTC)


def test_parts_go_up_concurrently_while_the_source_is_still_being_read(
    store: S3ObjectStore, s3_client: S3Client, prefix: str, settings: SettingsWrapper
) -> None:
    # given 5 MiB parts, four in flight, and a source that looks at the store after 26 MiB (five parts cut)
    settings.RS_S3_MULTIPART_CHUNK_BYTES = 5 * MIB
    settings.RS_S3_UPLOAD_CONCURRENCY = 4
    key = f"{prefix}concurrent.bin"
    parts_listed: list[int] = []

    def source() -> Iterator[bytes]:
        chunks = pseudo_random_chunks(total=40 * MIB, seed=3)
        for sent, chunk in enumerate(chunks, start=1):
            if sent == 27:  # the reader is here while earlier parts upload in other threads
                deadline = time.monotonic() + 10
                while time.monotonic() < deadline and not parts_listed:
                    (upload,) = s3_client.list_multipart_uploads(Bucket=store.bucket, Prefix=key)["Uploads"]
                    listed = s3_client.list_parts(Bucket=store.bucket, Key=key, UploadId=upload["UploadId"])
                    if listed.get("Parts"):
                        parts_listed.append(len(listed["Parts"]))
                    time.sleep(0.05)
            yield chunk

    stored = store.put_stream(key=key, stream=source())

    # then parts were stored before the source was read to its end, and the object is whole and in order
    assert parts_listed and parts_listed[0] >= 1
    expected = hashlib.md5(b"".join(pseudo_random_chunks(total=40 * MIB, seed=3)), usedforsecurity=False)
    assert (stored.size, stored.md5) == (40 * MIB, expected.hexdigest())
    assert hashlib.md5(b"".join(store.open_range(key=key)), usedforsecurity=False).hexdigest() == stored.md5
    assert s3_client.head_object(Bucket=store.bucket, Key=key)["ETag"].strip('"').endswith("-8")


def test_a_part_refused_by_the_store_stops_the_upload_with_a_storage_error_and_leaves_nothing(
    store: S3ObjectStore, s3_client: S3Client, prefix: str, settings: SettingsWrapper
) -> None:
    # given an upload that the store forgets (aborted behind our back) once two parts are cut
    settings.RS_S3_MULTIPART_CHUNK_BYTES = 5 * MIB
    key = f"{prefix}forgotten.bin"

    def source() -> Iterator[bytes]:
        for sent, chunk in enumerate(pseudo_random_chunks(total=30 * MIB, seed=4), start=1):
            if sent == 11:
                for upload in s3_client.list_multipart_uploads(Bucket=store.bucket, Prefix=key)["Uploads"]:
                    s3_client.abort_multipart_upload(Bucket=store.bucket, Key=key, UploadId=upload["UploadId"])
            yield chunk

    # when / then: the next part fails as the store's error, not as a traceback of a thread
    with pytest.raises(StorageError, match="NoSuchUpload"):
        store.put_stream(key=key, stream=source())
    assert store.exists(key) is False
    assert in_progress_uploads(s3_client, key) == []


def test_a_single_put_whose_etag_is_not_the_md5_sent_is_deleted_and_refused(store: S3ObjectStore, prefix: str) -> None:
    from rs.catalog.storage.base import StreamDigest

    key = f"{prefix}etag.bin"
    store.put_stream(key=key, stream=b"what the store got")
    digest = StreamDigest(key=key, expected_size=None, expected_md5=None)
    list(digest.feed(b"what was sent"))

    with pytest.raises(ChecksumMismatch, match="the store answered ETag"):
        store._stored_check(key=key, digest=digest, etag=f'"{hashlib.md5(b"what the store got").hexdigest()}"')
    assert store.exists(key) is False


def test_an_empty_object_leaves_the_connection_clean_for_the_next_request(
    store: S3ObjectStore, s3_client: S3Client, prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    # An empty PUT sent with "Expect: 100-continue" got two answers from SeaweedFS; the stray one on the kept-alive
    # connection then broke the next request (a header parsing warning, and a stall until the read timeout).
    # Bodies under a MiB go without the header too (one round trip less); larger ones keep it.
    sent: list[dict[str, Any]] = []

    def record(request: Any, **_: Any) -> None:
        sent.append(dict(request.headers))

    s3_client.meta.events.register("before-send.s3.PutObject", record, unique_id="test-record-put")
    try:
        with caplog.at_level("WARNING", logger="urllib3.connection"):
            empty = store.put_stream(key=f"{prefix}empty.bin", stream=b"")
            small = store.put_stream(key=f"{prefix}small.bin", stream=b"thirteen byte")
            large = store.put_stream(key=f"{prefix}large.bin", stream=b"x" * (2 * MIB))
    finally:
        s3_client.meta.events.unregister("before-send.s3.PutObject", unique_id="test-record-put")

    assert (empty.size, small.size, large.size) == (0, 13, 2 * MIB)
    assert [("Expect" in headers) for headers in sent] == [False, False, True]
    assert [r.getMessage() for r in caplog.records if r.name == "urllib3.connection"] == []
    assert b"".join(store.open_range(key=f"{prefix}small.bin")) == b"thirteen byte"


def test_the_endpoint_of_a_put_is_resolved_once_whatever_its_key(store: S3ObjectStore, s3_client: S3Client,
                                                                  prefix: str) -> None:
    # botocore caches resolved endpoints by the request's parameters; the store asks its cache without the object
    # key (which S3's rule set never reads), so a new key per product no longer evaluates the rule set again.
    provider = s3_client._ruleset_resolver._provider  # type: ignore[attr-defined]
    assert getattr(provider.resolve_endpoint, "rs_without_key", False)
    evaluated: list[dict[str, Any]] = []
    evaluate = provider.ruleset.evaluate

    def counting(parameters: dict[str, Any]) -> Any:
        evaluated.append(dict(parameters))
        return evaluate(parameters)

    provider.ruleset.evaluate = counting
    try:
        urls = {s3_client.generate_presigned_url("put_object", Params={"Bucket": store.bucket, "Key": key})
                .split("?")[0] for key in (f"{prefix}a-{uuid.uuid4()}", f"{prefix}b-{uuid.uuid4()}")}
        for number in range(3):
            store.put_stream(key=f"{prefix}{number}-{uuid.uuid4()}.bin", stream=b"payload")
    finally:
        del provider.ruleset.evaluate
    assert len(urls) == 2 and all(url.startswith(f"{settings.RS_S3_ENDPOINT_URL}/{store.bucket}/") for url in urls)
    assert len(evaluated) <= 1 and all("Key" not in parameters for parameters in evaluated)
    assert [key for key, _ in store.list_keys(prefix)] and len(list(store.list_keys(prefix))) == 3


def test_a_put_carries_the_md5_of_its_body_and_parts_their_crc32(
    store: S3ObjectStore, s3_client: S3Client, prefix: str, settings: SettingsWrapper
) -> None:
    settings.RS_S3_MULTIPART_CHUNK_BYTES = 5 * MIB
    sent: list[tuple[str, dict[str, Any]]] = []

    def record(request: Any, event_name: str, **_: Any) -> None:
        sent.append((event_name.rsplit(".", 1)[-1], {k.lower(): v for k, v in request.headers.items()}))

    s3_client.meta.events.register("before-send.s3.*", record, unique_id="test-record-checksums")
    try:
        small = store.put_stream(key=f"{prefix}small.bin", stream=b"thirteen byte")
        large = store.put_stream(key=f"{prefix}large.bin", stream=pseudo_random_chunks(total=6 * MIB, seed=4))
    finally:
        s3_client.meta.events.unregister("before-send.s3.*", unique_id="test-record-checksums")

    put = next(headers for operation, headers in sent if operation == "PutObject")
    md5 = hashlib.md5(b"thirteen byte", usedforsecurity=False)
    assert small.md5 == md5.hexdigest()
    assert put["content-md5"] in (base64.b64encode(md5.digest()), base64.b64encode(md5.digest()).decode())
    assert not [h for h in put if h.startswith("x-amz-checksum-")]  # no CRC32 computed by the client
    parts = [headers for operation, headers in sent if operation == "UploadPart"]
    assert len(parts) == 2 and all("x-amz-checksum-crc32" in headers for headers in parts)
    assert large.size == 6 * MIB


def test_the_store_refuses_a_body_that_does_not_match_its_content_md5(s3_client: S3Client, store: S3ObjectStore,
                                                                       prefix: str) -> None:
    other = base64.b64encode(hashlib.md5(b"other bytes", usedforsecurity=False).digest()).decode()
    fast = Config(retries={"max_attempts": 1}, signature_version="s3v4",
                  s3={"addressing_style": settings.RS_S3_ADDRESSING_STYLE},  # type: ignore[typeddict-item]
                  request_checksum_calculation="when_required")
    client = boto3.session.Session().client(
        "s3", endpoint_url=settings.RS_S3_ENDPOINT_URL, region_name=settings.RS_S3_REGION,
        aws_access_key_id=settings.RS_S3_ACCESS_KEY, aws_secret_access_key=settings.RS_S3_SECRET_KEY, config=fast)
    with pytest.raises(ClientError, match="BadDigest"):
        client.put_object(Bucket=store.bucket, Key=f"{prefix}bad.bin", Body=b"the bytes sent", ContentMD5=other)
    assert not store.exists(f"{prefix}bad.bin")
