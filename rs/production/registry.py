"""The processor registry in the database ↔ `TaskTable` values.

`registry_write` stores a parsed table as rows (called by the import service, inside its transaction);
`tasktable_of` reads them back. A processor version never changes once imported, so the value is cached per
process by (id, sha256): preparation pays for the table once, not once per event.
"""

from __future__ import annotations

from functools import lru_cache

from rs.production.models import (
    ProcessorConfigFile,
    ProcessorParameter,
    ProcessorPool,
    ProcessorTask,
    ProcessorVersion,
    TaskTableAlternative,
    TaskTableInput,
    TaskTableOutput,
)
from rs.production.tasktables.definition import (
    Alternative,
    Breakpoint,
    ConfigFile,
    DynParam,
    Pool,
    Task,
    TaskInput,
    TaskOutput,
    TaskTable,
)


def registry_write(version: ProcessorVersion, table: TaskTable) -> None:
    ProcessorConfigFile.objects.bulk_create([
        ProcessorConfigFile(processor_version=version, position=n, file_version=c.version, file_name=c.file_name)
        for n, c in enumerate(table.config_files, start=1)])
    ProcessorParameter.objects.bulk_create([
        ProcessorParameter(processor_version=version, position=n, name=p.name, type=p.type, default=p.default)
        for n, p in enumerate(table.dyn_params, start=1)])
    for pool_position, pool in enumerate(table.pools, start=1):
        pool_row = ProcessorPool.objects.create(processor_version=version, position=pool_position,
                                                detached=pool.detached, killing_signal=pool.killing_signal)
        for task_position, task in enumerate(pool.tasks, start=1):
            task_row = ProcessorTask.objects.create(
                pool=pool_row, position=task_position, name=task.name, version=task.version, critical=task.critical,
                criticality_level=task.criticality_level, file_name=task.file_name,
                number_of_cpus=task.number_of_cpus,
                breakpoints=[[b.file_name, b.file_name_type] for b in task.breakpoints])
            TaskTableOutput.objects.bulk_create([
                TaskTableOutput(task=task_row, position=n, file_type=o.file_type, destination=o.destination,
                                mandatory=o.mandatory, file_name_type=o.file_name_type, pattern=o.pattern)
                for n, o in enumerate(task.outputs, start=1)])
            for input_position, item in enumerate(task.inputs, start=1):
                input_row = TaskTableInput.objects.create(
                    task=task_row, position=input_position, key=item.key, input_id=item.id, ref=item.ref,
                    mode=item.mode, mandatory=item.mandatory)
                TaskTableAlternative.objects.bulk_create([
                    TaskTableAlternative(
                        input=input_row, order=a.order, origin=a.origin, policy=a.policy,
                        retrieval_mode=a.retrieval_mode, custom_class=a.custom_class, t0=a.t0, t1=a.t1,
                        file_type=a.file_type, file_name_type=a.file_name_type, min_results=a.min_results,
                        max_results=a.max_results)
                    for a in item.alternatives])


def tasktable_of(version: ProcessorVersion) -> TaskTable:
    return _load(version.pk, version.sha256)


@lru_cache(maxsize=256)
def _load(version_id: int, sha256: str) -> TaskTable:
    version = ProcessorVersion.objects.select_related("processor").prefetch_related(
        "config_files", "parameters", "pools__tasks__outputs", "pools__tasks__inputs__alternatives",
    ).get(pk=version_id, sha256=sha256)
    pools = []
    for pool in version.pools.all():
        tasks = []
        for task in pool.tasks.all():
            inputs = tuple(
                TaskInput(key=i.key, id=i.input_id, ref=i.ref, mode=i.mode, mandatory=i.mandatory,
                          alternatives=tuple(
                              Alternative(order=a.order, origin=a.origin, policy=a.policy,
                                          retrieval_mode=a.retrieval_mode, custom_class=a.custom_class, t0=a.t0,
                                          t1=a.t1, file_type=a.file_type, file_name_type=a.file_name_type,
                                          min_results=a.min_results, max_results=a.max_results)
                              for a in i.alternatives.all()))
                for i in task.inputs.all())
            outputs = tuple(TaskOutput(file_type=o.file_type, destination=o.destination, mandatory=o.mandatory,
                                       file_name_type=o.file_name_type, pattern=o.pattern) for o in task.outputs.all())
            tasks.append(Task(name=task.name, version=task.version, critical=task.critical,
                              criticality_level=task.criticality_level, file_name=task.file_name, inputs=inputs,
                              outputs=outputs, breakpoints=tuple(Breakpoint(*b) for b in task.breakpoints),
                              number_of_cpus=task.number_of_cpus))
        pools.append(Pool(detached=pool.detached, killing_signal=pool.killing_signal, tasks=tuple(tasks)))
    return TaskTable(
        processor_name=version.processor.name, version=version.version, test=version.test,
        min_disk_space_mb=version.min_disk_space_mb, max_time_s=version.max_time_s,
        sensing_time_flag=version.sensing_time_flag,
        config_files=tuple(ConfigFile(version=c.file_version, file_name=c.file_name)
                           for c in version.config_files.all()),
        dyn_params=tuple(DynParam(name=p.name, type=p.type, default=p.default) for p in version.parameters.all()),
        pools=tuple(pools), spelling=version.spelling,
    )
