#!/usr/bin/env python3
"""Simulated S2 L2A (Sen2Cor, S2_L2A): an L1C datastrip and its tiles → the L2A datastrip, the L2A tiles (same
footprints) and the S2MSI2A user product of each tile. Listed in `<working directory name>.LIST`."""

from __future__ import annotations

import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ipfsim.chains import workdir_list_name
from ipfsim.products import s2_scene
from ipfsim.runtime import InputError, Task, run
from ipfsim.sentinel2 import Datastrip, datastrip_write, tile_write, user_product_write

# Output type of the user product: its name stem (S2B_MSIL2A_…), matched by ^.*MSIL2A.*$ like every output;
# the catalogue types it S2MSI2A from the name.
USER_PRODUCT = "MSIL2A"
TILE = re.compile(r"_T(?P<tile>\d{2}[A-Z]{3})(?:_|$)")


def body(task: Task) -> None:
    jo, log = task.joborder, task.log
    l1c = s2_scene(task.inputs("MSI_L1C_DS")[0])
    tiles = [s2_scene(p) for p in task.inputs("MSI_L1C_TL")]
    for aux in ("GIP_PROBA2", "GIP_JP2KPA", "GIP_OLQCPA"):
        if any(i.file_type == aux for i in task.proc.inputs):
            task.inputs(aux)
    strip = Datastrip(satellite=l1c.name[:3], start=l1c.start, stop=l1c.stop, orbit=l1c.orbit,
                      relative_orbit=l1c.relative_orbit, group=l1c.attributes.get("Group_ID", ""),
                      footprint=l1c.footprint, cloud=float(l1c.attributes.get("CloudPercentage", 0)))
    site = jo.processing_station if re.fullmatch(r"[A-Z0-9_]{4}", jo.processing_station) else "RS__"
    baseline = jo.parameter("PROCESSING_BASELINE", "05.11")
    common = {"generation": task.processing_time, "baseline": baseline}
    ds_path = datastrip_write(task.workdir, strip, level="L2A", site=site, parent=l1c.name, version=jo.version,
                              **common)
    if task.wants("MSI_L2A_DS"):
        task.produced("MSI_L2A_DS", ds_path)
    log.info(f"Atmospheric correction of {len(tiles)} tile(s) of {l1c.name}")
    for tile in tiles:
        match = TILE.search(tile.name)
        if match is None:
            raise InputError(f"{tile.name}: no tile id in the name")
        tile_path = tile_write(task.workdir, strip, level="L2A", tile=match["tile"], ring=tile.footprint, site=site,
                               datastrip=ds_path.name, version=jo.version, **common)
        if task.wants("MSI_L2A_TL"):
            task.produced("MSI_L2A_TL", tile_path)
        if task.wants(USER_PRODUCT):
            task.produced(USER_PRODUCT, user_product_write(task.workdir, strip, level="L2A", tile=match["tile"],
                                                        ring=tile.footprint, tile_name=tile_path.name, **common))


if __name__ == "__main__":
    run(task_name="Sen2Cor", body=body, list_name=workdir_list_name)
