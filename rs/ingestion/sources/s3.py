"""S3 inbox: a prefix of a bucket, on the deployment's store or on an endpoint of its own.

Objects are complete once listed (S3 never shows a half-written object), so single objects are taken on sight;
folder products (keys under `X.SAFE/`) may still be growing and wait for a second identical listing.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3.session
from botocore.config import Config as BotoConfig
from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings

from rs.ingestion.configuration import secret_value
from rs.ingestion.errors import BadInput, InboxConfigError, ItemGone, SourceUnavailable
from rs.ingestion.sources import Checkpoint, ListedItem, LocalItem
from rs.ingestion.sources.layout import is_companion, is_product_folder, path_ignored, safe_file_name
from rs.ingestion.staging import chunks_to_file, staging_folder

if TYPE_CHECKING:
    from mypy_boto3_s3.client import S3Client

    from rs.ingestion.models import Inbox, InboxEntry

_MD5_ETAG = re.compile(r'^"?([0-9a-f]{32})"?$')  # single-part uploads: the ETag is the MD5; multipart ones end "-N"
_GONE = {"NoSuchKey", "404", "NotFound"}
_REFUSED = {"NoSuchBucket", "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "403"}
DOWNLOAD_CHUNK = 1024 * 1024


@dataclass
class _Folder:
    size: int = 0
    count: int = 0
    latest: datetime | None = None
    digest: Any = None


class S3Source:
    def __init__(self, inbox: Inbox) -> None:
        self.inbox = inbox
        self.bucket = inbox.s3_bucket or settings.RS_S3_BUCKET
        location = inbox.location.strip()
        self.prefix = location if not location or location.endswith("/") else location + "/"
        self._client: S3Client | None = None

    @property
    def client(self) -> S3Client:
        if self._client is None:
            self._client = self._make_client()
        return self._client

    def _make_client(self) -> S3Client:
        """A client of the inbox's own endpoint, or of the deployment's store (same settings as the catalogue's)."""
        inbox = self.inbox
        if inbox.s3_endpoint_url:
            endpoint, region, style = inbox.s3_endpoint_url, inbox.s3_region or "us-east-1", "path"
            access, secret = inbox.s3_access_key, secret_value(inbox.s3_secret_key, field="s3_secret_key")
        elif settings.RS_STORAGE == "s3":
            endpoint, region = settings.RS_S3_ENDPOINT_URL, settings.RS_S3_REGION
            style = settings.RS_S3_ADDRESSING_STYLE
            access, secret = settings.RS_S3_ACCESS_KEY, settings.RS_S3_SECRET_KEY
        else:
            raise InboxConfigError(f"inbox {inbox.name}: no S3 endpoint and the deployment has no S3 store")
        config = BotoConfig(signature_version="s3v4", s3={"addressing_style": style},  # type: ignore[arg-type]
                            retries={"max_attempts": 3})
        return boto3.session.Session().client(
            "s3", endpoint_url=endpoint, region_name=region, aws_access_key_id=access, aws_secret_access_key=secret,
            config=config,
        )

    def listing(self, *, cursor: Mapping[str, Any]) -> Iterator[ListedItem | Checkpoint]:
        folders: dict[str, _Folder] = {}
        folder_names: dict[str, bool] = {}
        with _errors(f"listing s3://{self.bucket}/{self.prefix}"):
            pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self.prefix)
            for page in pages:
                for obj in page.get("Contents", []):
                    key = obj["Key"]
                    relative = key[len(self.prefix):]
                    if not relative or relative.endswith("/") or path_ignored(relative):
                        continue
                    segments = relative.split("/")
                    if is_companion(segments[-1]):
                        continue
                    folder = self._folder_of(segments, folder_names)
                    if folder is None:
                        etag = obj.get("ETag", "").strip('"')
                        md5 = match.group(1) if (match := _MD5_ETAG.match(etag)) else ""
                        yield ListedItem(key=relative, name=relative, size=obj["Size"], fingerprint=etag,
                                         source_time=obj["LastModified"], stable=True, md5=md5, remote={"key": key})
                        continue
                    acc = folders.setdefault(folder, _Folder(digest=hashlib.sha1(usedforsecurity=False)))
                    acc.size += obj["Size"]
                    acc.count += 1
                    acc.latest = max(acc.latest or obj["LastModified"], obj["LastModified"])
                    acc.digest.update(f"{key}:{obj.get('ETag', '')};".encode())
        for folder, acc in sorted(folders.items()):
            yield ListedItem(
                key=folder, name=folder, size=acc.size, fingerprint=f"{acc.size}:{acc.count}:{acc.digest.hexdigest()}",
                source_time=acc.latest, stable=False, remote={"prefix": self.prefix + folder + "/"},
            )

    @staticmethod
    def _folder_of(segments: list[str], known: dict[str, bool]) -> str | None:
        for index, segment in enumerate(segments[:-1]):
            if segment not in known:
                known[segment] = is_product_folder(segment)
            if known[segment]:
                return "/".join(segments[: index + 1])
        return None

    @contextmanager
    def fetch(self, entry: InboxEntry) -> Iterator[LocalItem]:
        with staging_folder(label=f"s3-{entry.pk}") as folder:
            if "prefix" in entry.remote:
                root = folder / safe_file_name(entry.key)
                self._download_folder(str(entry.remote["prefix"]), root)
                yield LocalItem(path=root, staged=True)
                return
            destination = folder / safe_file_name(entry.key)
            with _errors(f"s3://{self.bucket}/{entry.remote.get('key')}", item=True):
                body = self.client.get_object(Bucket=self.bucket, Key=str(entry.remote["key"]))["Body"]
                try:
                    download = chunks_to_file(body.iter_chunks(DOWNLOAD_CHUNK), destination)
                finally:
                    body.close()
            yield LocalItem(path=destination, expected_size=entry.size, expected_md5=entry.source_md5,
                            received_md5=download.md5, received_blake3=download.blake3, staged=True)

    def _download_folder(self, prefix: str, root: Path) -> None:
        found = False
        with _errors(f"s3://{self.bucket}/{prefix}", item=True):
            for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
                for obj in page.get("Contents", []):
                    relative = obj["Key"][len(prefix):]
                    if not relative or relative.endswith("/"):
                        continue
                    if any(s in ("", ".", "..") for s in relative.split("/")) or "\\" in relative:
                        raise BadInput(f"object key {obj['Key']!r} would escape its product folder")
                    body = self.client.get_object(Bucket=self.bucket, Key=obj["Key"])["Body"]
                    try:
                        chunks_to_file(body.iter_chunks(DOWNLOAD_CHUNK), root / relative)
                    finally:
                        body.close()
                    found = True
        if not found:
            raise ItemGone(f"no object under s3://{self.bucket}/{prefix} any more")


@contextlib.contextmanager
def _errors(what: str, *, item: bool = False) -> Iterator[None]:
    try:
        yield
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", ""))
        if item and code in _GONE:
            raise ItemGone(f"{what}: no longer in the bucket") from exc
        if code in _REFUSED:
            raise InboxConfigError(f"{what}: refused by the store ({code})") from exc
        raise SourceUnavailable(f"{what}: {code or exc}") from exc
    except BotoCoreError as exc:
        raise SourceUnavailable(f"{what}: {type(exc).__name__}: {exc}") from exc
