#!/usr/bin/env python3
"""Simulated S2 L1 (S2_L1): an L0 datastrip and its granules → the L1C datastrip, one L1C tile per MGRS tile the
granules cover (footprint = the tile square clipped to the granules' hull) and the S2MSI1C user product of each tile.
Listed in `<working directory name>.LIST`."""

from __future__ import annotations

import re
import shutil
import sys
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ipfsim.chains import workdir_list_name
from ipfsim.geometry import convex_hull, tiles_over
from ipfsim.products import s2_scene
from ipfsim.runtime import InputError, Task, run
from ipfsim.sentinel2 import Datastrip, datastrip_write, tile_write, user_product_write

# Output type of the user product: its name stem (S2B_MSIL1C_…), matched by ^.*MSIL1C.*$ like every output;
# the catalogue types it S2MSI1C from the name.
USER_PRODUCT = "MSIL1C"
GRANULE_S = 3.6  # sensing duration of one L0 granule
GROUP = re.compile(r"^GS2[A-D]_\d{8}T\d{6}_(?P<orbit>\d{6})_N\d{2}\.\d{2}$")
AUX = ("AUX_UT1UTC", "GIP_ATMIMA", "GIP_ATMSAD", "GIP_DATATI")


def site_of(task: Task) -> str:
    station = task.joborder.processing_station
    return station if re.fullmatch(r"[A-Z0-9_]{4}", station) else "RS__"


def body(task: Task) -> None:
    jo, log = task.joborder, task.log
    datastrip = s2_scene(task.inputs("MSI_L0__DS")[0])
    granules = [s2_scene(p) for p in task.inputs("MSI_L0__GR")]
    for aux in AUX:
        if any(i.file_type == aux for i in task.proc.inputs):
            task.inputs(aux)
    hull = convex_hull([point for granule in granules for point in granule.footprint])
    if len(hull) < 3:
        raise InputError("the granules give no footprint")
    group = next((g.attributes["Group_ID"] for g in granules if "Group_ID" in g.attributes), "")
    match = GROUP.match(group)
    strip = Datastrip(
        satellite=datastrip.name[:3], start=min(g.start for g in granules),
        stop=max(g.start for g in granules) + timedelta(seconds=GRANULE_S),
        orbit=int(match["orbit"]) if match else datastrip.orbit, group=group,
        relative_orbit=datastrip.relative_orbit or int(datastrip.attributes.get("relativeOrbitNumber", 0)),
        footprint=hull, cloud=sum(float(g.attributes.get("CLOUDY_PIXEL_PERCENTAGE")
                                        or g.attributes.get("CloudPercentage", 0)) for g in granules) / len(granules))
    baseline, site = jo.parameter("PROCESSING_BASELINE", "05.11"), site_of(task)
    tiles = tiles_over(hull)
    log.info(f"{len(granules)} granules of {datastrip.name}: {len(tiles)} tile(s) {', '.join(tiles)}")
    common = {"generation": task.processing_time, "baseline": baseline}
    ds_path = datastrip_write(task.workdir, strip, level="L1C", site=site, parent=datastrip.name,
                              version=jo.version, **common)
    if task.wants("MSI_L1C_DS"):
        task.produced("MSI_L1C_DS", ds_path)
    else:  # the tiles still name their datastrip
        shutil.rmtree(ds_path)
    for tile, ring in tiles.items():
        tile_path = tile_write(task.workdir, strip, level="L1C", tile=tile, ring=ring, site=site,
                               datastrip=ds_path.name, version=jo.version, **common)
        if task.wants("MSI_L1C_TL"):
            task.produced("MSI_L1C_TL", tile_path)
        if task.wants(USER_PRODUCT):
            task.produced(USER_PRODUCT, user_product_write(task.workdir, strip, level="L1C", tile=tile, ring=ring,
                                                        tile_name=tile_path.name, **common))


if __name__ == "__main__":
    run(task_name="L1C", body=body, list_name=workdir_list_name)
