"""What execution records of each run of a job: its tasks, its log, its outputs and the outputs it failed to make."""

from __future__ import annotations

from django.db import models
from django.db.models import Q


class TaskOutcome(models.TextChoices):
    OK = "ok", "Exit code 0"
    WARNING = "warning", "Exit code 1-127: outputs valid"
    ERROR = "error", "Exit code 128 or more, or killed by a signal"
    TIMEOUT = "timeout", "Killed at the job's Max_Time"
    KILLED = "killed", "Killed by the system (SIGKILL: out of memory)"
    ABORTED = "aborted", "Stopped: a critical sibling failed, or the job was cancelled or taken over"


class TaskRun(models.Model):
    """One Task Table task of one run of a job: its exit and the resources it used."""

    job = models.ForeignKey("production.Job", on_delete=models.CASCADE, related_name="task_runs")
    run = models.PositiveIntegerField()
    pool = models.PositiveSmallIntegerField()
    position = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=128)
    version = models.CharField(max_length=32)
    executable = models.CharField(max_length=1024)
    critical = models.BooleanField()
    worker = models.CharField(max_length=255)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    exit_code = models.IntegerField(null=True, blank=True, help_text="Null when killed by a signal.")
    signal = models.PositiveSmallIntegerField(null=True, blank=True, help_text="The signal that ended the task.")
    outcome = models.CharField(max_length=8, choices=TaskOutcome.choices)
    wall_s = models.FloatField()
    cpu_user_s = models.FloatField()
    cpu_system_s = models.FloatField()
    max_rss_kib = models.PositiveBigIntegerField(help_text="Peak resident memory of the task (its largest process).")
    log_lines = models.PositiveIntegerField(default=0)
    log_lines_dropped = models.PositiveIntegerField(default=0, help_text="Lines past RS_EXECUTION_LOG_MAX_LINES.")

    class Meta:
        ordering = ("run", "pool", "position")
        constraints = [models.UniqueConstraint(fields=["job", "run", "pool", "position"], name="task_run_unique")]

    def __str__(self) -> str:
        return f"{self.name} (run {self.run}): {self.outcome}"


class LogLevel(models.TextChoices):
    DEBUG = "D", "Debug"
    INFO = "I", "Info"
    PROGRESS = "P", "Progress"
    WARNING = "W", "Warning"
    ERROR = "E", "Error"


class JobLogLine(models.Model):
    """A line a task printed (parsed IPF log line, or kept verbatim), or an event of the execution itself."""

    job = models.ForeignKey("production.Job", on_delete=models.CASCADE, related_name="log_lines")
    run = models.PositiveIntegerField()
    seq = models.PositiveIntegerField(help_text="Order within the run.")
    task = models.CharField(max_length=128, blank=True, default="", help_text="Blank: the execution itself.")
    stream = models.CharField(max_length=6, help_text="stdout, stderr or rs.")
    at = models.DateTimeField(help_text="The line's own time when it is an IPF line, else when it was read.")
    level = models.CharField(max_length=1, choices=LogLevel.choices)
    node = models.CharField(max_length=64, blank=True, default="")
    pid = models.PositiveIntegerField(null=True, blank=True)
    message = models.TextField()
    ipf_format = models.BooleanField(default=True, help_text="False: the line did not follow the IPF format.")

    class Meta:
        ordering = ("run", "seq")
        constraints = [models.UniqueConstraint(fields=["job", "run", "seq"], name="job_log_line_unique")]

    def __str__(self) -> str:
        return f"[{self.level}] {self.message[:80]}"


class JobOutput(models.Model):
    """An output product of a run: planned (its object key written before the upload, so an interrupted run's
    objects can be found and removed), then registered. At most one registered row per job and name."""

    job = models.ForeignKey("production.Job", on_delete=models.CASCADE, related_name="outputs")
    run = models.PositiveIntegerField()
    name = models.CharField(max_length=255)
    product_type = models.CharField(max_length=32)
    storage_key = models.CharField(max_length=1024)
    extra_keys = models.JSONField(default=list, blank=True, help_text="Other objects of the output (quicklook).")
    product_id = models.UUIDField(null=True, blank=True)
    size = models.PositiveBigIntegerField(null=True, blank=True)
    md5 = models.CharField(max_length=32, blank=True, default="")
    published = models.BooleanField(default=False)
    planned_at = models.DateTimeField()
    registered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("name",)
        constraints = [
            models.UniqueConstraint(fields=["job", "run", "name"], name="job_output_run_name"),
            models.UniqueConstraint(fields=["job", "name"], name="job_output_registered_once",
                                    condition=Q(registered_at__isnull=False)),
        ]

    def __str__(self) -> str:
        return self.name


class JobMissingOutput(models.Model):
    """An output type a failed job should have made (completeness KPIs: expected vs produced)."""

    job = models.ForeignKey("production.Job", on_delete=models.CASCADE, related_name="missing_outputs")
    product_type = models.CharField(max_length=32)
    mandatory = models.BooleanField()
    expected_count = models.PositiveIntegerField(default=1)
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ("product_type",)
        constraints = [models.UniqueConstraint(fields=["job", "product_type"], name="job_missing_output_unique")]
        indexes = [models.Index(fields=["product_type", "recorded_at"], name="missing_output_type"),
                   # the completeness KPIs read a period of every type
                   models.Index(fields=["recorded_at"], name="missing_output_recorded")]

    def __str__(self) -> str:
        return self.product_type
