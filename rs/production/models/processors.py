"""The processor registry: one row per imported Task Table (processor name + version) and its parts.

Rows are written once, by `processor_import`, and never changed: a new processor version is a new row, so jobs
keep pointing at the exact table they were prepared with. The parts are relational so an operator can ask which
versions consume or produce a product type; preparation reads them back as one frozen `TaskTable`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from rs.production.choices import Destination, JobOrderDialect, Origin


class Processor(models.Model):
    """An IPF known by its Task Table Processor_Name (e.g. IW_RAW__0_SLC__1_GRDH_1, S3A_OL1)."""

    name = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name


class ProcessorVersion(models.Model):
    """One imported Task Table: a processor version with its resource hints and JobOrder dialect."""

    processor = models.ForeignKey(Processor, on_delete=models.PROTECT, related_name="versions")
    version = models.CharField(max_length=32)
    test = models.BooleanField(default=False, help_text="Task Table <Test>: written as <Test> in the JobOrder.")
    min_disk_space_mb = models.PositiveIntegerField(default=0)
    max_time_s = models.PositiveIntegerField(default=0, help_text="Wall-clock budget of a job; 0 = no limit.")
    sensing_time_flag = models.BooleanField(null=True, blank=True)
    spelling = models.CharField(max_length=2, default="s1", help_text="Spelling of the table: s1 (COPRS) or s3.")
    joborder_dialect = models.CharField(max_length=8, choices=JobOrderDialect.choices, default=JobOrderDialect.MMFI)
    table_xml = models.TextField(help_text="The Task Table as uploaded.")
    sha256 = models.CharField(max_length=64)
    imported_at = models.DateTimeField(auto_now_add=True)
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["processor", "version"], name="processor_version_unique")]
        ordering = ("processor__name", "-imported_at")

    def __str__(self) -> str:
        return f"{self.processor.name} {self.version}"


class ProcessorConfigFile(models.Model):
    processor_version = models.ForeignKey(ProcessorVersion, on_delete=models.CASCADE, related_name="config_files")
    position = models.PositiveSmallIntegerField()
    file_version = models.CharField(max_length=32, blank=True, default="")
    file_name = models.CharField(max_length=1024)

    class Meta:
        ordering = ("position",)
        constraints = [models.UniqueConstraint(fields=["processor_version", "position"], name="config_file_pos")]

    def __str__(self) -> str:
        return self.file_name


class ProcessorParameter(models.Model):
    """A Dyn_ProcParam: written into every JobOrder with its default unless a rule overrides it."""

    processor_version = models.ForeignKey(ProcessorVersion, on_delete=models.CASCADE, related_name="parameters")
    position = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=128)
    type = models.CharField(max_length=32, blank=True, default="")
    # None: the table gives no Param_Default (the JobOrder writes <Value/>); "" is an empty default.
    default = models.CharField(max_length=1024, null=True, blank=True)  # noqa: DJ001

    class Meta:
        ordering = ("position",)
        constraints = [models.UniqueConstraint(fields=["processor_version", "name"], name="parameter_name_unique")]

    def __str__(self) -> str:
        return f"{self.name}={self.default}"


class ProcessorPool(models.Model):
    """Pools run one after another; the tasks of a pool run in parallel."""

    processor_version = models.ForeignKey(ProcessorVersion, on_delete=models.CASCADE, related_name="pools")
    position = models.PositiveSmallIntegerField()
    detached = models.BooleanField(default=False)
    killing_signal = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ("position",)
        constraints = [models.UniqueConstraint(fields=["processor_version", "position"], name="pool_position")]

    def __str__(self) -> str:
        return f"pool {self.position}"


class ProcessorTask(models.Model):
    pool = models.ForeignKey(ProcessorPool, on_delete=models.CASCADE, related_name="tasks")
    position = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=128)
    version = models.CharField(max_length=32)
    critical = models.BooleanField(default=True)
    criticality_level = models.PositiveSmallIntegerField(null=True, blank=True)
    file_name = models.CharField(max_length=1024, help_text="Executable, invoked as <File_Name> <JobOrder path>.")
    number_of_cpus = models.PositiveSmallIntegerField(null=True, blank=True)
    breakpoints = models.JSONField(default=list, blank=True, help_text="[[File_Name, File_Name_Type], …]")

    class Meta:
        ordering = ("position",)
        constraints = [models.UniqueConstraint(fields=["pool", "position"], name="task_position")]

    def __str__(self) -> str:
        return self.name


class TaskTableInput(models.Model):
    """A declared input of a task (with its alternatives) or a `ref` to one declared earlier."""

    task = models.ForeignKey(ProcessorTask, on_delete=models.CASCADE, related_name="inputs")
    position = models.PositiveSmallIntegerField()
    key = models.CharField(max_length=128, help_text="The Input id, or pool.task.input positions without id.")
    input_id = models.CharField(max_length=128, blank=True, default="")
    ref = models.CharField(max_length=128, blank=True, default="")
    mode = models.CharField(max_length=16, blank=True, default="")
    mandatory = models.BooleanField(default=False)

    class Meta:
        ordering = ("position",)
        constraints = [models.UniqueConstraint(fields=["task", "position"], name="input_position")]

    def __str__(self) -> str:
        return self.input_id or self.ref or self.key


class TaskTableAlternative(models.Model):
    input = models.ForeignKey(TaskTableInput, on_delete=models.CASCADE, related_name="alternatives")
    order = models.IntegerField()
    origin = models.CharField(max_length=4, choices=Origin.choices)
    policy = models.CharField(max_length=64)
    retrieval_mode = models.CharField(max_length=64)
    custom_class = models.CharField(max_length=255, blank=True, default="")
    t0 = models.FloatField()
    t1 = models.FloatField()
    file_type = models.CharField(max_length=32)
    file_name_type = models.CharField(max_length=16)
    min_results = models.PositiveIntegerField(null=True, blank=True)
    max_results = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ("order",)
        constraints = [models.UniqueConstraint(fields=["input", "order"], name="alternative_order")]
        indexes = [models.Index(fields=["file_type"], name="alternative_file_type")]

    def __str__(self) -> str:
        return f"{self.order}: {self.file_type} {self.policy}"


class TaskTableOutput(models.Model):
    task = models.ForeignKey(ProcessorTask, on_delete=models.CASCADE, related_name="outputs")
    position = models.PositiveSmallIntegerField()
    file_type = models.CharField(max_length=32)
    destination = models.CharField(max_length=8, choices=Destination.choices)
    mandatory = models.BooleanField(default=False)
    file_name_type = models.CharField(max_length=16)
    pattern = models.CharField(max_length=512, blank=True, default="",
                               help_text="A Regexp output's name pattern (Output/File_Name); empty = ^.*<type>.*$")

    class Meta:
        ordering = ("position",)
        constraints = [models.UniqueConstraint(fields=["task", "position"], name="output_position")]
        indexes = [models.Index(fields=["file_type"], name="output_file_type")]

    def __str__(self) -> str:
        return self.file_type
