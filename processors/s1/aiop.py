#!/usr/bin/env python3
"""Simulated S1 AIOP (AIO_PROCESSOR): a downlink session (ch01/, ch02/ DSIB and chunks) → an L0 segment.

The segment starts at the session start and lasts `Datatake_Duration_S`; its footprint follows the S1 reference
orbit over that time (the orbit number from the station session id, else from the MPL_ORBPRE state vectors). The
product is written as `<Processing_Mode>/<name>.ISIP` and listed in `AIOProc.LIST`."""

from __future__ import annotations

import re
import sys
import zlib
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ipfsim.geometry import anx_before, swath_corners
from ipfsim.products import session_blocks
from ipfsim.runtime import InputError, Task, run
from ipfsim.sentinel1 import S1Scene, level0_write

STATION_SESSION = re.compile(r"^(?P<satellite>S1[A-D])_\d{14}(?P<orbit>\d{6})$")


def orbit_of(session_id: str, task: Task) -> int:
    match = STATION_SESSION.match(session_id)
    if match:
        return int(match["orbit"])
    for path in task.inputs("MPL_ORBPRE", mandatory=False):  # the first state vector's orbit
        text = path.read_text(errors="replace")
        found = re.search(r"<Absolute_Orbit>\+?(\d+)</Absolute_Orbit>", text)
        if found:
            return int(found[1])
    raise InputError(f"session {session_id}: no orbit number (no station session id, no MPL_ORBPRE)")


def body(task: Task) -> None:
    jo, log = task.joborder, task.log
    task.inputs("MPL_ORBPRE")  # the predicted orbit is mandatory, as in the real table
    blocks = session_blocks(task.workdir)
    session_id = jo.parameter("Session_Id")
    if blocks:
        session_id = blocks[0].session_id or session_id
        channels = sorted({b.channel for b in blocks})
        for block in blocks:
            missing = sorted(set(block.chunks_listed) - set(block.chunks_present))
            log.info(f"Channel {block.channel}: {len(block.chunks_present)} of {len(block.chunks_listed)} "
                     f"chunks of session {block.session_id}")
            if missing:
                log.warning(f"Channel {block.channel}: chunks not staged: {', '.join(missing)}")
        if channels != [1, 2]:
            log.warning(f"Single-channel session: channel(s) {channels}")
        start = min(b.start for b in blocks)
        session_stop = max(b.stop for b in blocks)
    else:
        log.warning("No session descriptor in ch01/ ch02/: the JobOrder Sensing_Time is the session")
        start, session_stop = jo.sensing_start, jo.sensing_stop
        if start is None or session_stop is None:
            raise InputError("no session descriptor and no Sensing_Time")
    if not session_id:
        raise InputError("no session id (DSIB session_id or parameter Session_Id)")
    if re.fullmatch(r"\d{8}T\d{6}", jo.parameter("DownlinkTime")):  # yyyyMMddTHHmmss (ipf-interface.md §5.3)
        log.info(f"Downlink time {jo.parameter('DownlinkTime')}")
    duration = float(jo.parameter("Datatake_Duration_S", "80"))
    stop = min(session_stop, start + timedelta(seconds=duration))
    satellite = jo.parameter("Mission_Id") or session_id[:3]
    mode = jo.parameter("Processing_Mode", "NRT")
    scene = S1Scene(satellite=satellite, mode=jo.parameter("Acquisition_Mode", "IW"), polarisation="DV",
                    start=start, stop=stop, orbit=orbit_of(session_id, task),
                    datatake=zlib.crc32(session_id.encode()) & 0xFFFFF,
                    icid=int(jo.parameter("Instrument_Configuration_Id", "7")),
                    corners=swath_corners(start, stop, width_km=250, near_offset_km=110), anx=anx_before(start))
    log.info(f"Datatake {scene.datatake:06X} of orbit {scene.orbit}: {start:%H:%M:%S} - {stop:%H:%M:%S}")
    folder = task.workdir / mode
    folder.mkdir(exist_ok=True)
    product_type = f"{scene.mode}_RAW__0S"
    if task.wants(product_type):
        path = level0_write(folder, scene, klass="S", consolidation="FULL", timeliness=mode, slice_number=None,
                            moment=task.processing_time, software="S1AIOProcessor", version=jo.version,
                            extension=".ISIP")
        task.produced(product_type, path)


if __name__ == "__main__":
    run(task_name="AIOP_PROC_APP", body=body, list_name=lambda task: "AIOProc.LIST")
