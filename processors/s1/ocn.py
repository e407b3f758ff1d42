#!/usr/bin/env python3
"""Simulated S1 IPF L2 ocean processing (first pool of IW_SLC__1_OCN__2): an SLC slice → the OCN slice over the
same footprint. Writes no list: the ProcEND task of the next pool lists the products."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ipfsim.chains import best_overlap
from ipfsim.joborder import parse_time
from ipfsim.products import s1_scene
from ipfsim.runtime import InputError, Task, run
from ipfsim.sentinel1 import S1Scene, level12_write


def body(task: Task) -> None:
    jo, log = task.joborder, task.log
    slc_types = [i.file_type for i in task.proc.inputs if i.file_type.endswith("_SLC__1S")]
    if not slc_types:
        raise InputError("no SLC input (xx_SLC__1S) in the JobOrder")
    slc = best_overlap(task, task.inputs(*slc_types), s1_scene)
    task.inputs("AUX_PP2")
    wind = task.inputs("AUX_WND", mandatory=False)
    log.info(f"Wind: {wind[0].name if wind else 'climatology (no AUX_WND)'}")
    mode = slc.attributes["mode"]
    anx = slc.attributes.get("ascendingNodeTime")
    scene = S1Scene(satellite=slc.name[:3], mode=mode, polarisation=slc.attributes["polarisation"],
                    start=slc.start, stop=slc.stop, orbit=slc.orbit, datatake=int(slc.attributes["datatake"], 16),
                    icid=int(slc.attributes.get("instrumentConfigurationID", "7")), corners=slc.footprint,
                    anx=parse_time(anx) if anx else slc.start)
    if task.wants(f"{mode}_OCN__2S"):
        path = level12_write(task.workdir, scene, product_type="OCN__2S",
                             timeliness={"Fast-24h": "FAST24"}.get(jo.parameter("Timeliness_Category"), "NRT"),
                             slice_number=1, total_slices=1, segment_start=slc.start, moment=task.processing_time,
                             software="Sentinel-1 IPF", version=jo.version)
        task.produced(f"{mode}_OCN__2S", path)


if __name__ == "__main__":
    run(task_name="OCN", body=body, list_name=None)
