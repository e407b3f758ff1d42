"""The Sentinel-3 processors of the demo: one main input product → products of the next level over its footprint."""

from __future__ import annotations

from ipfsim.chains import best_overlap, workdir_list_name
from ipfsim.products import s3_scene
from ipfsim.runtime import InputError, Task, run
from ipfsim.sentinel3 import S3Scene, product_write


def level_up(*, task_name: str, main: str, aux: tuple[str, ...], outputs: dict[str, bool], software: str) -> None:
    """Run a processor reading `main`, checking `aux`, writing `outputs` (type → framed instance id)."""

    def body(task: Task) -> None:
        jo = task.joborder
        if not any(i.file_type == main for i in task.proc.inputs):
            raise InputError(f"no {main} input in the JobOrder")
        source = best_overlap(task, task.inputs(main), s3_scene)
        for item in aux:
            task.inputs(item)
        scene = S3Scene(satellite=source.name[:3], start=source.start, stop=source.stop, orbit=source.orbit,
                        relative_orbit=source.relative_orbit,
                        cycle=int(source.attributes.get("cycleNumber") or source.orbit // 385 + 1),
                        footprint=source.footprint)
        timeliness = jo.parameter("orderType") or source.attributes.get("timeliness", "NR")
        task.log.info(f"{main} {source.name} ({timeliness}) → {', '.join(outputs)}")
        for product_type, frame in outputs.items():
            if task.wants(product_type):
                task.produced(product_type, product_write(
                    task.workdir, scene, product_type=product_type, timeliness=timeliness,
                    baseline=jo.parameter("baselineCollection", "002"), creation=task.processing_time,
                    centre=jo.parameter("facilityName", "PS1")[:3].ljust(3, "_"), frame=frame, software=software,
                    version=jo.version))

    run(task_name=task_name, body=body, list_name=workdir_list_name)
