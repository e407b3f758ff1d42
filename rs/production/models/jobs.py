"""Jobs: the database row is the truth of every job; the broker only ever carries a job id."""

from __future__ import annotations

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils import timezone

from rs.production.choices import InputMode, InputStatus, JobState, Priority


class Job(models.Model):
    """One run of one processor version on one group of products (a slice, a datatake, a session, a window).

    `(rule, group_key)` is unique: two preparation workers racing on the same products create the job once.
    """

    rule = models.ForeignKey("production.ProductionRule", on_delete=models.PROTECT, related_name="jobs")
    processor_version = models.ForeignKey("production.ProcessorVersion", on_delete=models.PROTECT,
                                          related_name="jobs")
    group_key = models.CharField(max_length=255)
    state = models.CharField(max_length=16, choices=JobState.choices, default=JobState.WAITING_INPUTS)
    reason = models.TextField(blank=True, default="", help_text="Why the job is in its state (failures).")

    mission = models.CharField(max_length=2)
    platform = models.CharField(max_length=1)
    timeliness = models.CharField(max_length=16, blank=True, default="")
    input_mode = models.CharField(max_length=16, choices=InputMode.choices, default=InputMode.ALWAYS)
    acquisition_mode = models.CharField(max_length=16, blank=True, default="", help_text="e.g. IW, EW, S1.")
    instrument_configuration_id = models.IntegerField(null=True, blank=True)
    polarisation = models.CharField(max_length=2, blank=True, default="")
    priority = models.CharField(max_length=8, choices=Priority.choices, default=Priority.MEDIUM)
    queue = models.CharField(max_length=32)

    # The job interval [t0, t1] of the selection queries; Sensing_Time of the JobOrder when sensing_* is null.
    interval_start = models.DateTimeField()
    interval_stop = models.DateTimeField()
    sensing_start = models.DateTimeField(null=True, blank=True)
    sensing_stop = models.DateTimeField(null=True, blank=True)
    # Product references keep their id when the product is deleted (no cascade, no database constraint): a
    # `deleted` event still finds the jobs that used it, and catalog deletions never wait on production rows.
    trigger_product = models.ForeignKey("catalog.Product", null=True, blank=True, on_delete=models.DO_NOTHING,
                                        related_name="+", db_constraint=False)
    trigger_attributes = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder,
                                          help_text="Attributes of the first triggering product (parameters).")

    mandatory_deadline_at = models.DateTimeField(help_text="A mandatory input missing at this time fails the job.")
    settle_until = models.DateTimeField(null=True, blank=True,
                                        help_text="Not ready before: the rule's settle time after the last member.")
    next_check_at = models.DateTimeField(null=True, blank=True,
                                         help_text="When a timeout next changes the job (periodic sweep).")
    evaluation_fingerprint = models.CharField(max_length=64, blank=True, default="")
    joborder = models.TextField(blank=True, default="", help_text="The JobOrder written when the job became ready.")
    attempts = models.PositiveIntegerField(default=0, help_text="Retries so far.")

    # Execution: the claim of the worker running the job, renewed while it runs (a lapsed lease = worker lost).
    run = models.PositiveIntegerField(default=0, help_text="Execution runs started so far (1 = first run).")
    worker = models.CharField(max_length=255, blank=True, default="", help_text="Worker of the current run.")
    lease_until = models.DateTimeField(null=True, blank=True, help_text="Running: the worker renews it while alive.")
    retry_at = models.DateTimeField(null=True, blank=True, help_text="Retrying: when the next run may start.")
    automatic_retries = models.PositiveIntegerField(
        default=0, help_text="Automatic retries since the last operator action (bounded by RS_EXECUTION_MAX_RETRIES).")
    workdir_archive_key = models.CharField(max_length=1024, blank=True, default="",
                                           help_text="Object key of the archived working directory of a failure.")

    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    state_changed_at = models.DateTimeField(default=timezone.now)
    waiting_at = models.DateTimeField(null=True, blank=True)
    ready_at = models.DateTimeField(null=True, blank=True)
    queued_at = models.DateTimeField(null=True, blank=True)
    running_at = models.DateTimeField(null=True, blank=True)
    succeeded_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    retrying_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["rule", "group_key"], name="job_unique_group")]
        indexes = [
            # The timeout sweep reads only preparing jobs that are due: a small partial index.
            models.Index(fields=["next_check_at"], name="job_due_check",
                         condition=Q(state__in=["waiting_inputs", "ready"], next_check_at__isnull=False)),
            models.Index(fields=["state", "-id"], name="job_state_id"),
            # The reaper and the dispatcher read only the few jobs in these states, by due time.
            models.Index(fields=["lease_until"], name="job_lease", condition=Q(state="running")),
            models.Index(fields=["retry_at"], name="job_retry_due", condition=Q(state="retrying")),
            models.Index(fields=["ready_at"], name="job_ready", condition=Q(state="ready")),
            models.Index(fields=["queued_at"], name="job_queued", condition=Q(state="queued")),
        ]

    def __str__(self) -> str:
        return f"job {self.pk} {self.group_key} ({self.state})"

    @property
    def sensing_interval(self) -> tuple[object, object]:
        return (self.sensing_start or self.interval_start, self.sensing_stop or self.interval_stop)


class JobMember(models.Model):
    """A triggering product attached to the job (the slice, the session files, the granules of the window)."""

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="members")
    product = models.ForeignKey("catalog.Product", null=True, on_delete=models.DO_NOTHING, related_name="+",
                                db_constraint=False)
    product_name = models.CharField(max_length=255)
    start = models.DateTimeField(null=True, blank=True)
    stop = models.DateTimeField(null=True, blank=True)
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["job", "product_name"], name="job_member_unique")]

    def __str__(self) -> str:
        return self.product_name


class JobInput(models.Model):
    """How one declared Task Table input was resolved for the job: the answer to "why is this job waiting?"."""

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="inputs")
    key = models.CharField(max_length=128)
    position = models.PositiveSmallIntegerField()
    mandatory = models.BooleanField()
    status = models.CharField(max_length=16, choices=InputStatus.choices)
    alternative_order = models.IntegerField(null=True, blank=True, help_text="The alternative that was selected.")
    policy = models.CharField(max_length=64, blank=True, default="")
    file_type = models.CharField(max_length=32, blank=True, default="")
    file_name_type = models.CharField(max_length=16, blank=True, default="")
    window_start = models.DateTimeField(null=True, blank=True)
    window_stop = models.DateTimeField(null=True, blank=True)
    attempts = models.JSONField(default=list, blank=True,
                                help_text="Every alternative tried: policy, window, SQL, products found.")
    deadline_at = models.DateTimeField(null=True, blank=True, help_text="When the job gives up on this input.")
    reason = models.TextField(blank=True, default="")
    awaited = models.JSONField(default=list, blank=True,
                               help_text="[[product type, window start, window stop], …] that may change the input.")
    evaluated_at = models.DateTimeField()

    class Meta:
        ordering = ("position",)
        constraints = [models.UniqueConstraint(fields=["job", "key"], name="job_input_unique")]

    def __str__(self) -> str:
        return f"{self.key}: {self.status}"


class JobInputFile(models.Model):
    """A catalogued product selected for an input (its validity goes into the JobOrder Time_Interval)."""

    job_input = models.ForeignKey(JobInput, on_delete=models.CASCADE, related_name="files")
    position = models.PositiveSmallIntegerField()
    product = models.ForeignKey("catalog.Product", null=True, on_delete=models.DO_NOTHING, related_name="+",
                                db_constraint=False)
    name = models.CharField(max_length=255)
    start = models.DateTimeField()
    stop = models.DateTimeField(null=True, blank=True, help_text="Null: valid until further notice.")

    class Meta:
        ordering = ("position",)

    def __str__(self) -> str:
        return self.name


class JobAwaitedType(models.Model):
    """A product type that can change a preparing job, with the selection window it is looked for in.

    An arriving product re-evaluates only the jobs found by one indexed lookup of its type and interval: never a
    scan of every waiting job. A null window means any product of the type matters (policies without interval).
    """

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="awaited_types")
    product_type = models.CharField(max_length=32)
    window_start = models.DateTimeField(null=True, blank=True)
    window_stop = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["job", "product_type"], name="awaited_type_unique")]
        indexes = [
            models.Index(fields=["product_type", "window_stop", "window_start"], name="awaited_type_window",
                         condition=Q(window_stop__isnull=False)),
            models.Index(fields=["product_type"], name="awaited_type_any", condition=Q(window_stop__isnull=True)),
        ]

    def __str__(self) -> str:
        return self.product_type


class JobTransition(models.Model):
    """Every state change of a job, timestamped (KPIs, audit)."""

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="transitions")
    from_state = models.CharField(max_length=16, choices=JobState.choices, blank=True,
                                  help_text="Blank for the creation of the job.")
    to_state = models.CharField(max_length=16, choices=JobState.choices)
    at = models.DateTimeField()
    reason = models.TextField(blank=True, default="")

    class Meta:
        ordering = ("at", "id")
        indexes = [models.Index(fields=["job", "at"], name="job_transition_job")]

    def __str__(self) -> str:
        return f"{self.from_state or 'created'} → {self.to_state}"
