from __future__ import annotations

from typing import Any

from rest_framework import serializers

from rs.production.choices import JobState
from rs.production.models import Job, JobLogLine, ProcessorVersion, ProductionRule, TaskRun
from rs.production.tasktables.definition import TaskTable


class ProcessorVersionOutputSerializer(serializers.ModelSerializer[ProcessorVersion]):
    name = serializers.CharField(source="processor.name")

    class Meta:
        model = ProcessorVersion
        fields: tuple[str, ...] = ("id", "name", "version", "test", "min_disk_space_mb", "max_time_s",
                                   "joborder_dialect", "spelling", "sha256", "imported_at")


def tasktable_json(table: TaskTable) -> dict[str, Any]:
    return {
        "counts": table.counts(),
        "config_files": [c.file_name for c in table.config_files],
        "parameters": [{"name": p.name, "type": p.type, "default": p.default} for p in table.dyn_params],
        "input_types": sorted(table.input_types()),
        "output_types": list(table.output_types()),
        "pools": [{"detached": pool.detached, "killing_signal": pool.killing_signal, "tasks": [{
            "name": task.name, "version": task.version, "file_name": task.file_name, "critical": task.critical,
            "number_of_cpus": task.number_of_cpus,
            "inputs": [{"key": i.key, "id": i.id, "ref": i.ref, "mode": i.mode, "mandatory": i.mandatory,
                        "alternatives": [{"order": a.order, "origin": a.origin, "policy": a.policy, "t0": a.t0,
                                          "t1": a.t1, "file_type": a.file_type, "file_name_type": a.file_name_type}
                                         for a in i.alternatives]} for i in task.inputs],
            "outputs": [{"file_type": o.file_type, "destination": o.destination, "mandatory": o.mandatory,
                         "file_name_type": o.file_name_type} for o in task.outputs],
        } for task in pool.tasks]} for pool in table.pools],
    }


class ProcessorImportInputSerializer(serializers.Serializer[Any]):
    file = serializers.FileField(help_text="The Task Table XML.")
    dialect = serializers.CharField(required=False, default="", allow_blank=True)


class DiffInputSerializer(serializers.Serializer[Any]):
    against = serializers.IntegerField(help_text="Id of the processor version to compare with (the older one).")


class RuleOutputSerializer(serializers.ModelSerializer[ProductionRule]):
    processor = serializers.CharField(source="processor_version.processor.name")
    version = serializers.CharField(source="processor_version.version")
    parameters = serializers.SerializerMethodField()
    time_windows = serializers.SerializerMethodField()
    recurring_windows = serializers.SerializerMethodField()
    area = serializers.SerializerMethodField()

    class Meta:
        model = ProductionRule
        fields = ("id", "name", "enabled", "processor", "version", "trigger", "mission", "platform",
                  "product_types", "family", "timeliness", "interval_minutes", "last_run_at", "grouping", "window_s",
                  "settle_s", "granule_gap_s", "granule_wait_edges",
                  "input_mode", "priority", "priority_by_timeliness", "sample_every_nth_datatake", "area",
                  "time_windows", "recurring_windows", "mandatory_timeout_s", "sensing_time_from",
                  "wide_interval_types", "parameters")

    def get_parameters(self, obj: ProductionRule) -> list[dict[str, str]]:
        return [{"name": p.name, "value": p.value} for p in obj.parameters.all()]

    def get_time_windows(self, obj: ProductionRule) -> list[list[str]]:
        return [[w.start.isoformat(), w.stop.isoformat()] for w in obj.time_windows.all()]

    def get_recurring_windows(self, obj: ProductionRule) -> list[dict[str, object]]:
        return [{"cron": w.cron, "duration_s": w.duration_s} for w in obj.recurring_windows.all()]

    def get_area(self, obj: ProductionRule) -> str | None:
        return obj.area.wkt if obj.area is not None else None


class JobOutputSerializer(serializers.ModelSerializer[Job]):
    rule = serializers.CharField(source="rule.name")
    processor = serializers.CharField(source="processor_version.processor.name")
    version = serializers.CharField(source="processor_version.version")

    class Meta:
        model = Job
        fields = ("id", "rule", "processor", "version", "group_key", "state", "reason", "mission", "platform",
                  "timeliness", "input_mode", "priority", "queue", "interval_start", "interval_stop",
                  "sensing_start", "sensing_stop", "mandatory_deadline_at", "settle_until", "next_check_at", "attempts",
                  "created_at", "waiting_at", "ready_at", "queued_at", "running_at", "succeeded_at", "failed_at",
                  "cancelled_at", "retrying_at", "run", "worker", "lease_until", "retry_at", "automatic_retries",
                  "workdir_archive_key")


class JobFilterInputSerializer(serializers.Serializer[Any]):
    state = serializers.ChoiceField(choices=JobState.choices, required=False)
    rule = serializers.CharField(required=False, max_length=64)
    processor = serializers.CharField(required=False, max_length=64)


class PlanInputSerializer(serializers.Serializer[Any]):
    product_id = serializers.UUIDField(required=False)
    start = serializers.DateTimeField(required=False)
    stop = serializers.DateTimeField(required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        has_window = "start" in attrs or "stop" in attrs
        if ("product_id" in attrs) == has_window:
            raise serializers.ValidationError("give either product_id, or start and stop")
        if has_window and not ("start" in attrs and "stop" in attrs):
            raise serializers.ValidationError({"stop" if "start" in attrs else "start": ["required with the other"]})
        return attrs


class TaskRunOutputSerializer(serializers.ModelSerializer[TaskRun]):
    class Meta:
        model = TaskRun
        fields = ("run", "pool", "position", "name", "version", "executable", "critical", "worker", "started_at",
                  "finished_at", "exit_code", "signal", "outcome", "wall_s", "cpu_user_s", "cpu_system_s",
                  "max_rss_kib", "log_lines", "log_lines_dropped")


class LogLineOutputSerializer(serializers.ModelSerializer[JobLogLine]):
    class Meta:
        model = JobLogLine
        fields = ("run", "seq", "task", "stream", "at", "level", "node", "pid", "message", "ipf_format")


class LogFilterInputSerializer(serializers.Serializer[Any]):
    run = serializers.IntegerField(required=False, min_value=1)
    task = serializers.CharField(required=False, max_length=128)
    levels = serializers.RegexField(r"^[DIPWE]{1,5}$", required=False,
                                    error_messages={"invalid": "letters among D, I, P, W, E (e.g. WE)"})
    after = serializers.IntegerField(required=False, min_value=0, default=0)
    limit = serializers.IntegerField(required=False, min_value=1, max_value=1000, default=500)
