"""CADIP pickup point (OData `Sessions` and `Files`, reference-system.md §6).

New sessions are found by PublicationDate; each stays "open" in the cursor, and its files are listed at every poll
until every channel has published its FinalBlock. A published CADIP file is complete, so chunks are taken as soon as
they are listed. When a channel's final block is listed and blocks 1…final are all there, a DSIB listing those
chunks is synthesised for the channel (as COPRS does), so sessions from CADIP complete exactly like X-band ones.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Generator, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from django.utils import timezone

from rs.ingestion.sources import Checkpoint, ListedItem, LocalItem
from rs.ingestion.sources.http import HttpClient
from rs.ingestion.sources.layout import safe_file_name
from rs.ingestion.sources.odata import odata_time, odata_time_parse
from rs.ingestion.staging import staging_folder

if TYPE_CHECKING:
    from rs.ingestion.models import Inbox, InboxEntry

_SATELLITE = re.compile(r"^S[1-3][A-D]$")
_UNIT = re.compile(r"^DCS_(\d{2})_")
RECENTLY_CLOSED = 500  # closed session ids kept to de-duplicate sessions sharing the cursor's PublicationDate


class CadipSource:
    def __init__(self, inbox: Inbox) -> None:
        self.inbox = inbox
        self.root = inbox.location.rstrip("/")
        self.http = HttpClient(inbox)

    def listing(self, *, cursor: Mapping[str, Any]) -> Iterator[ListedItem | Checkpoint]:
        after = odata_time_parse(cursor.get("after")) or self.inbox.start_date or \
            (self.inbox.created_at or timezone.now()) - timedelta(seconds=self.inbox.window_s)
        sessions: dict[str, dict[str, Any]] = {k: dict(v) for k, v in dict(cursor.get("open", {})).items()}
        closed: list[str] = [str(c) for c in cursor.get("closed", [])]

        def position() -> Checkpoint:
            return Checkpoint({"after": odata_time(after), "open": sessions, "closed": closed[-RECENTLY_CLOSED:]})

        query = {"$filter": f"PublicationDate ge {odata_time(after)}", "$orderby": "PublicationDate asc",
                 "$top": str(self.inbox.page_size)}
        for page in self.http.pages(f"{self.root}/Sessions?{urlencode(query, quote_via=quote)}"):
            for session in page:
                identifier, session_id = session.get("Id"), session.get("SessionId")
                if not isinstance(identifier, str) or not isinstance(session_id, str) or not session_id:
                    continue
                published = odata_time_parse(session.get("PublicationDate"))
                if published is not None and published > after:
                    after = published
                if identifier in sessions or identifier in closed:
                    continue
                satellite = str(session.get("Satellite", ""))
                channels = session.get("NumChannels")
                sessions[identifier] = {
                    "session_id": session_id,
                    "satellite": satellite if _SATELLITE.match(satellite) else "",
                    "channels": channels if isinstance(channels, int) and 1 <= channels <= 2 else 2,
                    "start": session.get("DownlinkStart"), "stop": session.get("DownlinkStop"),
                    "published": session.get("PublicationDate"),
                }
        yield position()
        for identifier in list(sessions):
            done = yield from self._session_items(identifier, sessions[identifier])
            if done:
                del sessions[identifier]
                closed.append(identifier)
            yield position()

    def _session_items(self, identifier: str, session: Mapping[str, Any]) -> Generator[ListedItem, None, bool]:
        """The files of one session, then the DSIB of each finished channel; returns True when all are finished."""
        query = {"$filter": f"SessionId eq '{session['session_id']}'", "$orderby": "PublicationDate asc",
                 "$top": str(self.inbox.page_size)}
        blocks: dict[int, dict[int, Mapping[str, Any]]] = {}
        final: dict[int, Mapping[str, Any]] = {}
        prefix = f"{session['satellite']}/" if session["satellite"] else ""
        for page in self.http.pages(f"{self.root}/Files?{urlencode(query, quote_via=quote)}"):
            for file in page:
                file_id, name = file.get("Id"), file.get("Name")
                channel, block = file.get("Channel"), file.get("BlockNumber")
                if not isinstance(file_id, str) or not isinstance(name, str) or not name:
                    continue
                size = file.get("Size")
                published = odata_time_parse(file.get("PublicationDate"))
                yield ListedItem(
                    key=file_id, name=prefix + name, size=size if isinstance(size, int) else None,
                    fingerprint=file_id, source_time=published, stable=True,
                    remote={"file_id": file_id, "channels": session["channels"]},
                )
                if isinstance(channel, int) and isinstance(block, int):
                    blocks.setdefault(channel, {})[block] = file
                    if file.get("FinalBlock") is True:
                        final[channel] = file
        finished = 0
        for channel, last in sorted(final.items()):
            chunks = blocks.get(channel, {})
            count = last.get("BlockNumber")
            if not isinstance(count, int) or any(n not in chunks for n in range(1, count + 1)):
                continue  # the final block is published but an earlier one is not listed yet
            finished += 1
            yield self._dsib_item(identifier, session, channel, [chunks[n] for n in range(1, count + 1)], prefix)
        return finished >= session["channels"]

    def _dsib_item(self, identifier: str, session: Mapping[str, Any], channel: int,
                   chunks: list[Mapping[str, Any]], prefix: str) -> ListedItem:
        names = [str(chunk["Name"]) for chunk in chunks]
        unit = next((m.group(1) for n in names if (m := _UNIT.match(n))), "00")
        name = f"DCS_{unit}_{session['session_id']}_ch{channel}_DSIB.xml"
        finished = odata_time_parse(chunks[-1].get("PublicationDate"))
        xml = dsib_document(
            session_id=session["session_id"], start=odata_time_parse(session.get("start")),
            stop=odata_time_parse(session.get("stop")), created=odata_time_parse(session.get("published")),
            finished=finished, data_size=sum(int(c.get("Size") or 0) for c in chunks), chunk_names=names,
        )
        return ListedItem(key=f"{identifier}:ch{channel}:DSIB", name=prefix + name, size=len(xml),
                          fingerprint=f"{identifier}:ch{channel}:{len(names)}", source_time=finished, stable=True,
                          remote={"dsib": xml.decode(), "file_name": name, "channels": session["channels"]})

    @contextmanager
    def fetch(self, entry: InboxEntry) -> Iterator[LocalItem]:
        with staging_folder(label=f"cadip-{entry.pk}") as folder:
            if "dsib" in entry.remote:
                path = folder / safe_file_name(str(entry.remote.get("file_name", "DSIB.xml")))
                path.write_text(str(entry.remote["dsib"]), encoding="utf-8")
                yield LocalItem(path=path, staged=True)
                return
            file_id = str(entry.remote.get("file_id", entry.key))
            path = folder / safe_file_name(entry.name)
            download = self.http.download(f"{self.root}/Files({quote(file_id, safe='-')})/$value", path)
            yield LocalItem(path=path, expected_size=entry.size, received_md5=download.md5,
                            received_blake3=download.blake3, staged=True)


def dsib_document(*, session_id: str, start: datetime | None, stop: datetime | None, created: datetime | None,
                  finished: datetime | None, data_size: int, chunk_names: list[str]) -> bytes:
    """A DSIB (naming-and-metadata.md §5.7) describing one channel of a session."""

    def text(moment: datetime | None) -> str:
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment else ""

    root = ET.Element("DCSU_Session_Information_Block")
    for tag, value in (("session_id", session_id), ("time_start", text(start)), ("time_stop", text(stop)),
                       ("time_created", text(created)), ("time_finished", text(finished)),
                       ("data_size", str(data_size))):
        ET.SubElement(root, tag).text = value
    listing = ET.SubElement(root, "dsdb_list")
    for name in chunk_names:
        ET.SubElement(listing, "dsdb_name").text = name
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)
