"""Object store on S3 (SeaweedFS in the suite), through the boto3 client of django-storages' S3Storage."""

from __future__ import annotations

import base64
import contextlib
import functools
import itertools
import json
import logging
import re
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import boto3.session
import botocore.loaders
from botocore.config import Config as BotoConfig
from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.utils.http import content_disposition_header

from rs.catalog.storage.base import READ_CHUNK_BYTES, ObjectStore, Source, StoredObject, StreamDigest, range_check
from rs.catalog.storage.errors import InvalidKey, ObjectNotFound, StorageError
from rs.catalog.storage.keys import key_check, prefix_check

if TYPE_CHECKING:
    from mypy_boto3_s3.client import S3Client
    from mypy_boto3_s3.type_defs import CompletedPartTypeDef
    from storages.backends.s3 import S3Storage

logger = logging.getLogger(__name__)

# HEAD requests carry no error body, so a missing object or bucket shows up as the bare status code.
_MISSING_OBJECT = {"NoSuchKey", "404", "NotFound"}
_MISSING_BUCKET = {"NoSuchBucket", "404", "NotFound"}
_DELETE_BATCH = 1000  # the S3 limit of DeleteObjects
_BODY_REFUSED = {"MalformedXML", "InvalidArgument", "InvalidRequest"}  # DeleteObjects refused for what it carries
_MD5_ETAG = re.compile(r"[0-9a-f]{32}")
_EXPECT_MIN_BYTES = 1024 * 1024  # below, a refused body costs less to send than the 100-continue round trip


class S3ObjectStore(ObjectStore):
    """Objects in one bucket; large uploads go up in parts of RS_S3_MULTIPART_CHUNK_BYTES."""

    def __init__(self, *, client: S3Client, bucket: str, presign_client: S3Client | None = None) -> None:
        self._client = client
        # "Expect: 100-continue" holds the body back until the store agrees to take it: one more round trip (and
        # a few system calls on both sides), worth it for a large body only. An empty PUT with the header also
        # makes SeaweedFS answer twice (100, then 200 after botocore has stopped reading), which leaves a stray
        # response on the kept-alive connection: the next request on it stalls for the read timeout.
        client.meta.events.register("before-send.s3.*", _no_expect_for_small_body,
                                    unique_id="rs-no-expect-for-small-body")
        _endpoints_cached_across_keys(client)
        # Presigned URLs are used by clients outside the deployment's network: they must name the public endpoint.
        self._presign_client = presign_client or client
        self.bucket = bucket

    @classmethod
    def from_storage(cls, storage: S3Storage) -> S3ObjectStore:
        # boto3 clients are thread-safe (unlike the resource django-storages keeps per thread), so one is enough.
        client = storage.connection.meta.client
        public = settings.RS_S3_PUBLIC_ENDPOINT_URL
        presign_client = None
        if public and public != settings.RS_S3_ENDPOINT_URL:
            style = settings.RS_S3_ADDRESSING_STYLE
            config = BotoConfig(signature_version="s3v4", s3={"addressing_style": style})  # type: ignore[arg-type]
            presign_client = boto3.session.Session().client(
                "s3", endpoint_url=public, region_name=settings.RS_S3_REGION,
                aws_access_key_id=settings.RS_S3_ACCESS_KEY, aws_secret_access_key=settings.RS_S3_SECRET_KEY,
                config=config,
            )
        return cls(client=client, bucket=storage.bucket_name, presign_client=presign_client)

    def put_stream(
        self,
        *,
        key: str,
        stream: Source,
        content_type: str = "application/octet-stream",
        expected_size: int | None = None,
        expected_md5: str | None = None,
    ) -> StoredObject:
        key_check(key)
        digest = StreamDigest(key=key, expected_size=expected_size, expected_md5=expected_md5)
        # Read at call time so a changed setting applies without rebuilding the cached store.
        parts = _parts(digest.feed(stream), settings.RS_S3_MULTIPART_CHUNK_BYTES)
        first, first_is_last = next(parts)
        if first_is_last:  # fits in one part: a plain PUT
            digest.verify()  # before the PUT: a refused upload never replaces an existing object
            # The MD5 is known before sending: the store refuses a body that does not match it (BadDigest), which
            # is the check the client's CRC32 made (the client computes none for a PUT: request_checksum_calculation
            # "when_required" in the settings).
            md5 = base64.b64encode(bytes.fromhex(digest.result().md5)).decode()
            with _s3_errors(key):
                etag = self._client.put_object(Bucket=self.bucket, Key=key, Body=first, ContentMD5=md5,
                                               ContentType=content_type).get("ETag", "")
            self._stored_check(key=key, digest=digest, etag=etag)
            return digest.result()
        with _s3_errors(key):
            upload_id = self._client.create_multipart_upload(Bucket=self.bucket, Key=key,
                                                             ContentType=content_type)["UploadId"]
        try:
            completed = self._parts_upload(key=key, upload_id=upload_id,
                                           parts=itertools.chain([(first, False)], parts))
            digest.verify()  # before completing: a refused upload never becomes visible
            with _s3_errors(key):
                self._client.complete_multipart_upload(
                    Bucket=self.bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": completed}
                )
        except BaseException:
            # Whatever failed (the source, the store, a checksum, an interrupt): drop the parts already sent.
            self._abort(key=key, upload_id=upload_id)
            raise
        self._stored_check(key=key, digest=digest, etag="")
        return digest.result()

    def _parts_upload(self, *, key: str, upload_id: str, parts: Iterator[tuple[bytes, bool]]
                      ) -> list[CompletedPartTypeDef]:
        """Send the parts while the next ones are read and hashed: up to RS_S3_UPLOAD_CONCURRENCY parts in flight
        (so memory stays under (concurrency + 1) parts); the first failure stops the upload."""
        concurrency = settings.RS_S3_UPLOAD_CONCURRENCY
        etags: dict[int, str] = {}
        in_flight: set[Future[tuple[int, str]]] = set()

        def send(number: int, body: bytes) -> tuple[int, str]:
            with _s3_errors(key):
                # CRC32 named: the client computes it whatever its default (parts have no MD5 of their own)
                response = self._client.upload_part(Bucket=self.bucket, Key=key, UploadId=upload_id,
                                                    PartNumber=number, Body=body, ChecksumAlgorithm="CRC32")
            return number, response["ETag"]

        def collect(done: Iterable[Future[tuple[int, str]]]) -> None:
            for future in done:
                number, etag = future.result()  # re-raises the part's error here, in the caller's thread
                etags[number] = etag

        with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="s3-part") as pool:
            try:
                for number, (body, _is_last) in enumerate(parts, start=1):
                    if len(in_flight) >= concurrency:
                        done, in_flight = wait(in_flight, return_when=FIRST_COMPLETED)
                        collect(done)
                    in_flight.add(pool.submit(send, number, body))
                done, in_flight = wait(in_flight)
                collect(done)
            except BaseException:
                for future in in_flight:
                    future.cancel()
                raise
        return [{"PartNumber": number, "ETag": etags[number]} for number in sorted(etags)]

    def _stored_check(self, *, key: str, digest: StreamDigest, etag: str) -> None:
        """Prove the store holds what was sent. A single PUT's ETag is the MD5 of its body on S3 and SeaweedFS:
        equal means stored intact, with no second request. Any other ETag (multipart, encrypted buckets) is
        checked by the stored size instead."""
        tag = etag.strip('"').lower()
        if _MD5_ETAG.fullmatch(tag):
            if tag == digest.result().md5:
                return
            self.delete(key)
            raise digest.stored_mismatch(f"the store answered ETag {tag}, the MD5 sent is {digest.result().md5}")
        if (mismatch := digest.stored_size_mismatch(self.size(key))) is not None:
            self.delete(key)
            raise mismatch

    def _abort(self, *, key: str, upload_id: str) -> None:
        try:
            self._client.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id)
        except (BotoCoreError, ClientError):
            # The original error matters more; a bucket lifecycle rule should clean what is left.
            logger.warning("could not abort multipart upload %s of %r", upload_id, key, exc_info=True)

    def open_range(self, *, key: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        range_check(start, end)
        key_check(key)
        params: dict[str, Any] = {"Bucket": self.bucket, "Key": key}
        if start or end is not None:
            params["Range"] = f"bytes={start}-{'' if end is None else end}"
        try:
            response = self._client.get_object(**params)
        except ClientError as exc:
            if _code(exc) == "InvalidRange":  # start at or past the end: nothing to read, like a file
                return iter(())
            raise _translated(exc, key) from exc
        except BotoCoreError as exc:
            raise _translated(exc, key) from exc
        return _body_chunks(response["Body"], key=key)

    def exists(self, key: str) -> bool:
        try:
            self.size(key)
        except ObjectNotFound:
            return False
        return True

    def size(self, key: str) -> int:
        key_check(key)
        with _s3_errors(key):
            return self._client.head_object(Bucket=self.bucket, Key=key)["ContentLength"]

    def modified(self, key: str) -> datetime:
        key_check(key)
        with _s3_errors(key):
            return self._client.head_object(Bucket=self.bucket, Key=key)["LastModified"].astimezone(UTC)

    def delete(self, key: str) -> None:
        key_check(key)
        with _s3_errors(key):
            self._client.delete_object(Bucket=self.bucket, Key=key)  # S3 answers 204 for a missing key too

    def delete_each(self, keys: Iterable[str]) -> dict[str, str]:
        """DeleteObjects, 1,000 keys a request (one DELETE per object is too slow for bulk eviction). A key the store
        refuses is reported without keeping the others; a request refused as a whole for its body (a key the XML
        cannot carry, such as a control character) is retried key by key."""
        failed: dict[str, str] = {}
        pending = []
        for key in keys:
            try:
                pending.append(key_check(key))
            except InvalidKey as exc:
                failed[key] = str(exc)
        for start in range(0, len(pending), _DELETE_BATCH):
            batch = pending[start:start + _DELETE_BATCH]
            try:
                answer = self._client.delete_objects(
                    Bucket=self.bucket, Delete={"Objects": [{"Key": k} for k in batch], "Quiet": True}
                )
            except (BotoCoreError, ClientError) as exc:
                if isinstance(exc, ClientError) and _code(exc) in _BODY_REFUSED:
                    logger.warning("DeleteObjects refused (%s): deleting its %d keys one by one", _code(exc),
                                   len(batch))
                    failed |= super().delete_each(batch)
                else:
                    reason = str(_translated(exc, batch[0]))
                    failed |= dict.fromkeys(batch, reason)
                continue
            for error in answer.get("Errors", []):
                if error.get("Code") not in _MISSING_OBJECT:
                    failed[error.get("Key", "")] = f"{error.get('Code')} {error.get('Message')}"
        return failed

    def download_url(self, *, key: str, filename: str, expires_s: int | None = None) -> str:
        key_check(key)
        lifetime = settings.RS_DOWNLOAD_URL_EXPIRY_S if expires_s is None else expires_s
        if lifetime < 1:
            raise ValueError(f"expires_s={lifetime}: a download URL must live at least one second")
        disposition = content_disposition_header(as_attachment=True, filename=filename) or "attachment"
        params = {"Bucket": self.bucket, "Key": key, "ResponseContentDisposition": disposition}
        with _s3_errors(key):
            return self._presign_client.generate_presigned_url("get_object", Params=params, ExpiresIn=lifetime)

    def list_keys(self, prefix: str = "") -> Iterator[tuple[str, int]]:
        prefix_check(prefix)
        return self._list(prefix)

    def _list(self, prefix: str) -> Iterator[tuple[str, int]]:
        pages = self._client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix)
        with _s3_errors(prefix):
            for page in pages:
                for item in page.get("Contents", []):
                    yield item["Key"], item["Size"]

    def ensure_bucket(self) -> None:
        try:
            self._client.head_bucket(Bucket=self.bucket)
            return
        except ClientError as exc:
            if _code(exc) not in _MISSING_BUCKET:
                raise _translated(exc, "") from exc
        except BotoCoreError as exc:
            raise _translated(exc, "") from exc
        region = self._client.meta.region_name
        try:
            if region and region != "us-east-1":  # us-east-1 refuses an explicit location constraint
                self._client.create_bucket(
                    Bucket=self.bucket,
                    CreateBucketConfiguration={"LocationConstraint": region},  # type: ignore[typeddict-item]
                )
            else:
                self._client.create_bucket(Bucket=self.bucket)
        except ClientError as exc:
            if _code(exc) != "BucketAlreadyOwnedByYou":  # another process created it meanwhile
                raise _translated(exc, "") from exc
        except BotoCoreError as exc:
            raise _translated(exc, "") from exc


def _no_expect_for_small_body(request: Any, **_: Any) -> None:
    if "Expect" not in request.headers:
        return
    length = request.headers.get("Content-Length")
    try:
        small = int(length) < _EXPECT_MIN_BYTES
    except (TypeError, ValueError):  # unknown length (streamed): keep the header
        return
    if small:
        del request.headers["Expect"]


@functools.cache
def _rules_read_the_key(api_version: str) -> bool:
    rules = botocore.loaders.create_loader().load_service_model("s3", "endpoint-rule-set-1", api_version)
    return '"Key"' in json.dumps(rules.get("rules"))


def _endpoints_cached_across_keys(client: S3Client) -> bool:
    """botocore resolves the endpoint of each request through S3's rule set and caches the answer by the request's
    parameters, the object key among them: with a new key per product the cache never answers, and the rule set is
    evaluated again (a fifth of the CPU of a small PUT). The rules never read the key (checked here against the
    rule set botocore loaded), so the cache is asked without it. Built on botocore's private attributes: when they
    change, requests are resolved as before, uncached (False)."""
    provider = getattr(getattr(client, "_ruleset_resolver", None), "_provider", None)
    resolve = getattr(provider, "resolve_endpoint", None)
    if provider is None or resolve is None:
        return False
    if getattr(resolve, "rs_without_key", False):  # already done for this client
        return True
    if _rules_read_the_key(client.meta.service_model.api_version):
        return False

    def resolve_without_key(**parameters: Any) -> Any:
        parameters.pop("Key", None)
        return resolve(**parameters)

    resolve_without_key.rs_without_key = True  # type: ignore[attr-defined]
    provider.resolve_endpoint = resolve_without_key
    return True


def _parts(chunks: Iterator[bytes], part_size: int) -> Iterator[tuple[bytes, bool]]:
    """Cut a stream into parts of exactly `part_size` bytes (the last one shorter), each flagged if it is the last.

    A part is only known not to be the last when at least one more byte has arrived, which is why the buffer has to
    grow past `part_size` before a part is released.
    """
    buffer = bytearray()
    for chunk in chunks:
        buffer += chunk
        while len(buffer) > part_size:
            part = bytes(buffer[:part_size])
            del buffer[:part_size]
            yield part, False
    yield bytes(buffer), True


def _body_chunks(body: Any, *, key: str) -> Iterator[bytes]:
    try:
        with _s3_errors(key):
            yield from body.iter_chunks(READ_CHUNK_BYTES)
    finally:
        body.close()


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _translated(exc: BotoCoreError | ClientError, key: str) -> Exception:
    if isinstance(exc, ClientError) and _code(exc) in _MISSING_OBJECT and key:
        return ObjectNotFound(f"No object {key!r}.", details={"key": key})
    detail = _code(exc) if isinstance(exc, ClientError) else type(exc).__name__
    return StorageError(f"S3 store, {key!r}: {detail}: {exc}")


@contextlib.contextmanager
def _s3_errors(key: str) -> Iterator[None]:
    try:
        yield
    except (BotoCoreError, ClientError) as exc:
        raise _translated(exc, key) from exc
