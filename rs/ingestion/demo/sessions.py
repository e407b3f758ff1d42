"""Demo downlink sessions (S1A, S2B, S3A): per channel a DSIB listing its DSDB chunks, in the delivery tree of a
station (`<station>/<satellite>/<session>/ch0<n>/`, as ../samples/session), so session completeness can be seen."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from rs.ingestion.demo.writing import Written, payload, write_file
from rs.ingestion.sources.cadip import dsib_document

CHUNKS_PER_CHANNEL = 2
CHUNK_BYTES = 32_000


def session(root: Path, *, station: str, satellite: str, start: datetime, orbit: int,
            unit: str = "02") -> list[Written]:
    session_id = f"{satellite}_{start:%Y%m%d%H%M%S}{orbit:06d}"
    stop = start + timedelta(minutes=11, seconds=37)
    written: list[Written] = []
    for channel in (1, 2):
        folder = f"{station}/{satellite}/{session_id}/ch0{channel}"
        names = [f"DCS_{unit}_{session_id}_ch{channel}_DSDB_{n:05d}.raw" for n in range(1, CHUNKS_PER_CHANNEL + 1)]
        for index, name in enumerate(names):
            written.append(write_file(root, f"{folder}/{name}", payload(name, CHUNK_BYTES),
                                      available=stop + timedelta(seconds=30 * index)))
        dsib = dsib_document(session_id=session_id, start=start, stop=stop, created=start,
                             finished=stop + timedelta(minutes=1), data_size=CHUNK_BYTES * len(names),
                             chunk_names=names)
        written.append(write_file(root, f"{folder}/DCS_{unit}_{session_id}_ch{channel}_DSIB.xml", dsib,
                                  available=stop + timedelta(minutes=2)))
    return written


def generate(root: Path, t0: datetime) -> list[Written]:
    return [
        *session(root, station="MTI_", satellite="S1A", start=t0 + timedelta(minutes=25), orbit=61234),
        *session(root, station="SGS_", satellite="S2B", start=t0 + timedelta(hours=1, minutes=30), orbit=40210),
        *session(root, station="SVL_", satellite="S3A", start=t0 + timedelta(hours=2, minutes=55), orbit=45001),
    ]
