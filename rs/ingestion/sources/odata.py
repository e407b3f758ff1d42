"""OData Products pickup point: another PRIP, an AUXIP or CDSE.

Moving window on PublicationDate (reference-system.md §6): each window [start - overlap, end) is paged through
`@odata.nextLink`; the window start advances only after every page of the window is recorded (a Checkpoint), and the
overlap is de-duplicated by the remote Id (the entry key). Windows stop `lag_s` before now, because a server may
publish with a PublicationDate slightly in the past.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from django.utils import timezone

from rs.ingestion.sources import Checkpoint, ListedItem, LocalItem
from rs.ingestion.sources.http import HttpClient
from rs.ingestion.sources.layout import safe_file_name
from rs.ingestion.staging import archive_suffix_of, staging_folder

if TYPE_CHECKING:
    from rs.ingestion.models import Inbox, InboxEntry


def odata_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def odata_time_parse(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def checksums_of(item: Mapping[str, Any]) -> tuple[str, str]:
    """(MD5, BLAKE3) announced in an OData `Checksum` array, '' when absent."""
    md5 = blake3 = ""
    checksums = item.get("Checksum")
    if isinstance(checksums, list):
        for checksum in checksums:
            if not isinstance(checksum, dict) or not isinstance(checksum.get("Value"), str):
                continue
            algorithm = str(checksum.get("Algorithm", "")).upper()
            if algorithm == "MD5":
                md5 = checksum["Value"].lower()
            elif algorithm == "BLAKE3":
                blake3 = checksum["Value"].lower()
    return md5, blake3


class ODataSource:
    def __init__(self, inbox: Inbox) -> None:
        self.inbox = inbox
        self.root = inbox.location.rstrip("/")
        self.http = HttpClient(inbox)

    def _first_start(self) -> datetime:
        if self.inbox.start_date is not None:
            return self.inbox.start_date
        created = self.inbox.created_at or timezone.now()
        return created - timedelta(seconds=self.inbox.window_s)

    def listing(self, *, cursor: Mapping[str, Any]) -> Iterator[ListedItem | Checkpoint]:
        start = odata_time_parse(cursor.get("window_start")) or self._first_start()
        horizon = timezone.now() - timedelta(seconds=self.inbox.lag_s)
        window = timedelta(seconds=self.inbox.window_s)
        overlap = timedelta(seconds=self.inbox.overlap_s)
        while start < horizon:
            end = min(start + window, horizon)
            query = {
                "$filter": f"PublicationDate ge {odata_time(start - overlap)} and PublicationDate lt {odata_time(end)}",
                "$orderby": "PublicationDate asc",
                "$top": str(self.inbox.page_size),
            }
            url = f"{self.root}/Products?{urlencode(query, quote_via=quote)}"
            for page in self.http.pages(url):
                for product in page:
                    item = self._item(product)
                    if item is not None:
                        yield item
            start = end
            yield Checkpoint({"window_start": odata_time(end)})

    @staticmethod
    def _item(product: Mapping[str, Any]) -> ListedItem | None:
        identifier, name = product.get("Id"), product.get("Name")
        if not isinstance(identifier, str) or not identifier or not isinstance(name, str) or not name:
            return None  # nothing we could fetch or record
        md5, blake3 = checksums_of(product)
        size = product.get("ContentLength")
        published = odata_time_parse(product.get("PublicationDate"))
        online = product.get("Online", True) is not False
        return ListedItem(
            key=identifier, name=name, size=size if isinstance(size, int) and size >= 0 else None,
            fingerprint=f"{identifier}:{md5}", source_time=published, stable=True, md5=md5, blake3=blake3,
            remote={"id": identifier}, skip_reason="" if online else "offline at the source (Online=false)",
        )

    @contextmanager
    def fetch(self, entry: InboxEntry) -> Iterator[LocalItem]:
        identifier = str(entry.remote.get("id", entry.key))
        with staging_folder(label=f"odata-{entry.pk}") as folder:
            destination = folder / "download"
            download = self.http.download(f"{self.root}/Products({quote(identifier, safe='-')})/$value", destination)
            named = folder / safe_file_name(_delivered_name(entry.name, archive_suffix_of(destination)))
            destination.rename(named)
            yield LocalItem(path=named, expected_size=entry.size, expected_md5=entry.source_md5,
                            expected_blake3=entry.source_blake3, received_md5=download.md5,
                            received_blake3=download.blake3, staged=True)


def _delivered_name(name: str, sniffed_suffix: str) -> str:
    """CDSE names a zipped SAFE 'X.SAFE' and serves the zip: the staged file gets the suffix of its bytes."""
    if sniffed_suffix and not name.lower().endswith(sniffed_suffix):
        return name + sniffed_suffix
    return name
