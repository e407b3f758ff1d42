#!/usr/bin/env python3
"""Simulated S1 L0 assembly and slicing (L0_ASSEMBLY_SLICING_PROC): the L0 segments of one datatake → L0 slices
(25 s, the last one absorbing a remainder shorter than the overlap) and the datatake's A, C and N products.

Slice footprints are the parts of the assembled segment's swath at the slice times. Listed in `L0ASProcList.LIST`."""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ipfsim.geometry import swath_part
from ipfsim.joborder import parse_time
from ipfsim.products import s1_scene
from ipfsim.runtime import InputError, Task, run
from ipfsim.sentinel1 import S1Scene, level0_write
from ipfsim.slicing import SLICING, total_slices


def timeliness_of(packet_store: str) -> str:
    store = int(packet_store or 10)
    return "NRT" if 6 <= store <= 18 else "PT" if 37 <= store <= 44 else "FAST24"


def body(task: Task) -> None:
    log = task.log
    types = sorted({i.file_type for i in task.proc.inputs if i.file_type.endswith("_RAW__0S")})
    if not types:
        raise InputError("no L0 segment input (xx_RAW__0S) in the JobOrder")
    task.inputs("MPL_ORBPRE", mandatory=False)
    segments = sorted((s1_scene(p) for p in task.inputs(*types)), key=lambda s: s.start)
    datatakes = {s.attributes["datatake"] for s in segments}
    if len(datatakes) != 1:
        raise InputError(f"the segments belong to {len(datatakes)} datatakes: {', '.join(sorted(datatakes))}")
    first, last = segments[0], segments[-1]
    corners = [first.footprint[0], first.footprint[1], last.footprint[2], last.footprint[3]]
    satellite, mode = first.name[:3], first.attributes["mode"]
    start, stop = first.start, max(s.stop for s in segments)
    anx = first.attributes.get("ascendingNodeTime")
    whole = S1Scene(satellite=satellite, mode=mode, polarisation=first.attributes["polarisation"], start=start,
                    stop=stop, orbit=first.orbit, datatake=int(first.attributes["datatake"], 16),
                    icid=int(first.attributes.get("instrumentConfigurationID", "7")), corners=corners,
                    anx=parse_time(anx) if anx else start)
    timeliness = timeliness_of(first.attributes.get("packetStoreID", ""))
    duration = (stop - start).total_seconds()
    length, _overlap = SLICING.get(mode, SLICING["IW"])
    total = total_slices(duration, mode)
    log.info(f"Datatake {first.attributes['datatake']}: {len(segments)} segment(s), {duration:.1f} s, "
             f"{total} slice(s) of {length:.0f} s")
    common = {"moment": task.processing_time, "software": "L0 Assembly and Slicing", "version": task.joborder.version,
              "timeliness": timeliness}
    if task.wants(f"{mode}_RAW__0S"):
        for number in range(1, total + 1):
            slice_start = start + timedelta(seconds=length * (number - 1))
            slice_stop = stop if number == total else min(stop, slice_start + timedelta(seconds=length + 2))
            f0 = (slice_start - start).total_seconds() / duration
            f1 = (slice_stop - start).total_seconds() / duration
            part = S1Scene(**{**whole.__dict__, "start": slice_start, "stop": slice_stop,
                              "corners": swath_part(corners, f0, f1)})
            path = level0_write(task.workdir, part, klass="S", consolidation="SLICE", slice_number=number, **common)
            task.produced(f"{mode}_RAW__0S", path)
    for klass in ("A", "C", "N"):
        if task.wants(f"{mode}_RAW__0{klass}"):
            path = level0_write(task.workdir, whole, klass=klass, consolidation="FULL", slice_number=None, **common)
            task.produced(f"{mode}_RAW__0{klass}", path)


if __name__ == "__main__":
    run(task_name="S1L0_AS", body=body, list_name=lambda task: "L0ASProcList.LIST")
