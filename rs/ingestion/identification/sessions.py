"""Ground-station session files (DSIB descriptors, DSDB chunks) with their delivery path (§3.5)."""

from __future__ import annotations

from rs.catalog.choices import ProcessingLevel, ProductFamily
from rs.ingestion.identification.delivery_path import Delivery
from rs.ingestion.identification.name_times import compact_time
from rs.ingestion.identification.patterns import SESSION_PATH, STATION_SESSION_ID
from rs.ingestion.identification.results import Identification, SessionFile, UnrecognisedName

MAX_SESSION_PATH_DEPTH = 5  # [station/][S1A/][session/][ch01/]file


def _match_path(delivery: Delivery) -> dict[str, str]:
    """The longest trailing part of the path that SESSION_PATH accepts (inbox roots may add folders above)."""
    parts = [*delivery.parents, delivery.filename]
    for depth in range(min(len(parts), MAX_SESSION_PATH_DEPTH), 0, -1):
        match = SESSION_PATH.match("/".join(parts[-depth:]))
        if match:
            return {k: v for k, v in match.groupdict().items() if v is not None}
    raise UnrecognisedName(
        f"{delivery.path}: not a session file (DCS_<unit>_<session>_ch<1|2>_DSIB.xml or "
        "…_DSDB_<nnnnn>.raw|.aisp, under [station/][S1A/][session/][ch01/])"
    )


def identify_session(delivery: Delivery) -> Identification:
    fields = _match_path(delivery)
    filename, kind, ext = fields["file"], fields["kind"], fields["ext"]
    if kind == "DSIB" and ("chunk" in fields or ext != "xml"):
        raise UnrecognisedName(f"{filename}: a DSIB descriptor is DCS_…_DSIB.xml, without chunk number")
    if kind == "DSDB" and ("chunk" not in fields or ext == "xml"):
        raise UnrecognisedName(f"{filename}: a DSDB chunk is DCS_…_DSDB_<nnnnn>.raw or .aisp")
    channel = int(fields["channel"])
    channel_dir = fields.get("channel_dir")
    if channel_dir is not None and int(channel_dir[-1]) != channel:
        raise UnrecognisedName(f"{delivery.path}: channel {channel} of the file name is not the channel of the "
                               f"directory {channel_dir}")
    session_id = fields["session_id"]
    session_dir = fields.get("session_dir")
    if session_dir is not None and session_dir != session_id:
        raise UnrecognisedName(f"{delivery.path}: session directory {session_dir} is not the session {session_id} "
                               "of the file name")
    satellite = fields.get("satellite_dir", "")
    station_form = STATION_SESSION_ID.match(session_id)
    if station_form:
        compact_time(station_form["time"], name=filename, what="session time")
        if satellite and satellite != station_form["satellite"]:
            raise UnrecognisedName(f"{delivery.path}: directory {satellite} is not the satellite "
                                   f"{station_form['satellite']} of the session id")
        satellite = station_form["satellite"]
    chunk = int(fields["chunk"]) if "chunk" in fields else None
    session = SessionFile(station=fields.get("station", ""), satellite=satellite, session_id=session_id,
                          channel=channel, kind=kind, chunk=chunk)
    return Identification(
        name=filename, archive_suffix="", family=ProductFamily.SESSION,
        # EDRS and test session ids carry no satellite: the inbox configuration supplies it (replace()).
        mission=satellite[:2], platform=satellite[2:], product_type="SESSION" if kind == "DSIB" else "RAW",
        level=ProcessingLevel.RAW, start=None, stop=None, validity_start=None, validity_stop=None,
        generation=None, timeliness="", fields=fields, session=session,
        metadata_files=("",) if kind == "DSIB" else (), is_container=False, pattern="SESSION_PATH",
    )
