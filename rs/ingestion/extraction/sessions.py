"""Session files: the DSIB descriptor (naming-and-metadata.md §5.7) and DSDB chunks (name and path only)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from rs.ingestion.extraction.errors import ExtractionError
from rs.ingestion.extraction.extracted import Extracted
from rs.ingestion.extraction.reader import ProductReader
from rs.ingestion.extraction.values import parse_int, parse_time
from rs.ingestion.extraction.xml_documents import XmlDocument, parse_xml
from rs.ingestion.identification import Identification


@dataclass(frozen=True)
class SessionDescriptor:
    """The content of a DSIB: the chunk names it lists define the completeness of the channel."""

    session_id: str
    time_start: datetime | None
    time_stop: datetime | None
    time_created: datetime | None
    time_finished: datetime | None
    data_size: int | None
    dsdb_names: tuple[str, ...]


def session_descriptor_read(data: bytes, *, source: str = "DSIB") -> SessionDescriptor:
    doc = XmlDocument(parse_xml(data, source=source), source=source)
    if doc.root_name != "DCSU_Session_Information_Block":
        raise ExtractionError(f"{source}: root element {doc.root_name} is not DCSU_Session_Information_Block")
    session_id = doc.root.findtext("{*}session_id")
    if not session_id or not session_id.strip():
        raise ExtractionError(f"{source}: no session_id")

    def time(element: str) -> datetime | None:
        return parse_time(doc.root.findtext("{*}" + element), what=element, source=source)

    return SessionDescriptor(
        session_id=session_id.strip(), time_start=time("time_start"), time_stop=time("time_stop"),
        time_created=time("time_created"), time_finished=time("time_finished"),
        data_size=parse_int(doc.root.findtext("{*}data_size"), what="data_size", source=source),
        dsdb_names=tuple(doc.texts("//dsdb_list/dsdb_name")),
    )


def extract_session_file(identification: Identification, reader: ProductReader | None) -> Extracted:
    session = identification.session
    if session is None:
        raise ExtractionError(f"{identification.name}: not a session file")
    out = Extracted()
    out.set(sessionId=session.session_id, channel=session.channel)
    if session.kind == "DSDB":
        out.set(blockNumber=session.chunk)
        return out
    if reader is None:
        raise ExtractionError(f"{identification.name}: the DSIB must be read: a reader is needed")
    descriptor = session_descriptor_read(reader.read(""), source=identification.name)
    out.content_start, out.content_end = descriptor.time_start, descriptor.time_stop
    out.generation = descriptor.time_created
    # The file name/path gives the grouping id (COPRS behaviour); the descriptor's own id is kept beside it.
    out.set(descriptorSessionId=descriptor.session_id, dataSize=descriptor.data_size,
            dsdbCount=len(descriptor.dsdb_names))
    return out
