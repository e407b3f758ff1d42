#!/usr/bin/env python3
"""Simulated S1 IPF L1 (IW_RAW__0_SLC__1_GRDH_1): an L0 slice (with its datatake's A/C/N) → the SLC and GRD
slices, footprint = the slice's, slice number and total from the JobOrder parameters (else the inputs).
Listed in `<working directory name>.LIST`."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ipfsim.chains import best_overlap, workdir_list_name
from ipfsim.geometry import shrink
from ipfsim.joborder import parse_time
from ipfsim.products import Scene, s1_scene
from ipfsim.runtime import InputError, Task, run
from ipfsim.sentinel1 import S1Scene, level12_write
from ipfsim.slicing import total_slices

TIMELINESS = {"NRT-3h": "NRT", "NRT-10m": "PT", "Fast-24h": "FAST24"}


def scene_of(product: Scene) -> S1Scene:
    anx = product.attributes.get("ascendingNodeTime")
    return S1Scene(satellite=product.name[:3], mode=product.attributes["mode"],
                   polarisation=product.attributes["polarisation"], start=product.start, stop=product.stop,
                   orbit=product.orbit, datatake=int(product.attributes["datatake"], 16),
                   icid=int(product.attributes.get("instrumentConfigurationID", "7")), corners=product.footprint,
                   anx=parse_time(anx) if anx else product.start)


def body(task: Task) -> None:
    jo, log = task.joborder, task.log
    raw_types = [i.file_type for i in task.proc.inputs if i.file_type.endswith("_RAW__0S")]
    if not raw_types:
        raise InputError("no L0 slice input (xx_RAW__0S) in the JobOrder")
    slice_scene = best_overlap(task, task.inputs(*raw_types), s1_scene)
    mode = slice_scene.attributes["mode"]
    for aux in ("AUX_PP1", "AUX_CAL", "AUX_INS"):
        task.inputs(aux)
    orbit_files = task.inputs("AUX_POE", "AUX_RES", "AUX_PRE", mandatory=False)
    log.info(f"Orbit: {orbit_files[0].name if orbit_files else 'predicted from the L0 annotations'}")
    acn = task.inputs(f"{mode}_RAW__0A", mandatory=False)
    datatake = s1_scene(acn[0]) if acn else slice_scene
    total = int(jo.parameter("Total_Number_Of_Slices") or total_slices(
        (datatake.stop - datatake.start).total_seconds(), mode))
    number = int(jo.parameter("Slice_Number") or slice_scene.attributes.get("sliceNumber", "1"))
    timeliness = TIMELINESS.get(jo.parameter("Timeliness_Category"), "NRT")
    log.info(f"Slice {number} of {total} of datatake {slice_scene.attributes['datatake']} ({timeliness})")
    scene = scene_of(slice_scene)
    common = {"timeliness": timeliness, "slice_number": number, "total_slices": total,
              "segment_start": datatake.start, "moment": task.processing_time, "software": "Sentinel-1 IPF",
              "version": jo.version}
    if task.wants(f"{mode}_SLC__1S"):
        task.produced(f"{mode}_SLC__1S", level12_write(task.workdir, scene, product_type="SLC__1S", **common))
    if task.wants(f"{mode}_GRDH_1S"):
        grd = S1Scene(**{**scene.__dict__, "corners": shrink(scene.corners, 0.01)})
        task.produced(f"{mode}_GRDH_1S", level12_write(task.workdir, grd, product_type="GRDH_1S", **common))


if __name__ == "__main__":
    run(task_name="S1_L1", body=body, list_name=workdir_list_name)
