"""Production rules: which catalog products trigger which processor version, how they are grouped into jobs, with
which priority, parameters and sampling; and how long optional inputs are waited for. Edited in the admin."""

from __future__ import annotations

import re

from django.contrib.gis.db import models
from django.core.exceptions import ValidationError
from django.db.models import Q

from rs.catalog.choices import OPERATIONAL_SCOPE
from rs.production.choices import Grouping, InputMode, Priority, TriggerKind

DEFAULT_MANDATORY_TIMEOUT_S = 6 * 3600  # ipf-interface.md §4: "a few hours", then the job fails with the reason


class ProductionRule(models.Model):
    """Systematic production of one processor version from one kind of product."""

    name = models.SlugField(max_length=64, unique=True)
    enabled = models.BooleanField(default=True)
    processor_version = models.ForeignKey("production.ProcessorVersion", on_delete=models.PROTECT,
                                          related_name="rules")

    trigger = models.CharField(max_length=8, choices=TriggerKind.choices, default=TriggerKind.EVENT)
    mission = models.CharField(max_length=2, blank=True, default="", help_text="S1, S2, S3; blank = any.")
    platform = models.CharField(max_length=1, blank=True, default="", help_text="A-D; blank = any.")
    product_types = models.CharField(max_length=512, help_text="Triggering product types, comma-separated.")
    family = models.CharField(max_length=32, blank=True, default="", help_text="Product family; blank = any.")
    timeliness = models.CharField(max_length=128, blank=True, default="",
                                  help_text="Timeliness values that trigger, comma-separated; blank = any.")
    interval_minutes = models.PositiveIntegerField(null=True, blank=True,
                                                   help_text="Schedule trigger: minutes between two runs.")
    last_run_at = models.DateTimeField(null=True, blank=True, help_text="Schedule trigger: end of the last run.")

    grouping = models.CharField(max_length=16, choices=Grouping.choices, default=Grouping.PRODUCT)
    window_s = models.PositiveIntegerField(null=True, blank=True, help_text="Window length of window groupings.")
    settle_s = models.PositiveIntegerField(
        default=0, help_text="A job is not ready before this many seconds after its last triggering product "
                             "(more segments, granules or session files may come); 0 = at once.")
    granule_gap_s = models.FloatField(
        null=True, blank=True,
        help_text="Granule-window jobs: ready only once their granules cover the window with no gap longer than "
                  "this (seconds); blank = no completeness check.")
    granule_wait_edges = models.BooleanField(
        default=True,
        help_text="Granule-window jobs: the coverage must reach both ends of the window (or the dump's first and last "
                  "granule, when granulePosition says so); off = only gaps between the granules received count.")
    input_mode = models.CharField(max_length=16, choices=InputMode.choices, default=InputMode.ALWAYS,
                                  help_text="Job mode: inputs of this mode and ALWAYS are used.")

    priority = models.CharField(max_length=8, choices=Priority.choices, default=Priority.MEDIUM)
    priority_by_timeliness = models.JSONField(default=dict, blank=True,
                                              help_text='Timeliness → priority, e.g. {"NRT-3h": "high"}.')

    sample_every_nth_datatake = models.PositiveIntegerField(default=1, help_text="1 = every datatake.")
    area = models.MultiPolygonField(srid=4326, null=True, blank=True,
                                    help_text="Only products whose footprint intersects this area.")

    mandatory_timeout_s = models.PositiveIntegerField(default=DEFAULT_MANDATORY_TIMEOUT_S,
                                                      help_text="A job still missing a mandatory input this long "
                                                                "after its creation fails with the reason.")
    processing_station = models.CharField(max_length=16, default="WILE")
    acquisition_station = models.CharField(max_length=16, blank=True, default="")
    sensing_time_from = models.CharField(
        max_length=32, blank=True, default="",
        help_text="Input type whose selected product gives the JobOrder Sensing_Time (S1 L1: the ACN, IW_RAW__0A).")
    wide_interval_types = models.CharField(
        max_length=256, blank=True, default="",
        help_text="Input types selected over that Sensing_Time instead of the job interval (S1 L1: orbit files).")

    publish_outputs = models.BooleanField(
        default=True, help_text="Catalogued outputs (Destination DB/DBPROC) are published to PRIP/STAC; off for "
                                "intermediate products that only feed the next level.")

    # A validation campaign's run gets its own disabled rule whose outputs live in the run's scope: never published,
    # never triggering operational rules, free to reuse operational names (rs/campaigns/README.md).
    output_scope = models.CharField(
        max_length=64, default=OPERATIONAL_SCOPE,
        help_text="Catalogue scope of the outputs: 'operational', or a validation campaign run's own scope.")
    output_retention_days = models.PositiveIntegerField(
        null=True, blank=True,
        help_text="Outputs not published are due for eviction this many days after their registration (a "
                  "campaign run's); blank = no EvictionDate (published outputs follow the retention policies).")
    retry_after_max_time = models.BooleanField(
        default=True, help_text="A job killed at its Max_Time is retried like any transient failure; off for "
                                "campaign runs, which measure the processor (a hang fails at once).")

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("name",)
        constraints = [
            models.CheckConstraint(condition=Q(trigger="event") | Q(interval_minutes__gte=1),
                                   name="rule_schedule_has_interval"),
            models.CheckConstraint(condition=Q(sample_every_nth_datatake__gte=1), name="rule_sampling_positive"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if not self.product_type_list:
            errors["product_types"] = "Name at least one product type."
        if self.trigger == TriggerKind.SCHEDULE and not self.interval_minutes:
            errors["interval_minutes"] = "A schedule trigger needs its interval."
        if self.grouping in (Grouping.GRANULE_WINDOW, Grouping.TIME_WINDOW) and not self.window_s:
            errors["window_s"] = "Window groupings need the window length."
        if self.granule_gap_s is not None and self.grouping != Grouping.GRANULE_WINDOW:
            errors["granule_gap_s"] = "Only granule-window groupings check granule completeness."
        if self.granule_gap_s is not None and self.granule_gap_s < 0:
            errors["granule_gap_s"] = "A gap cannot be negative."
        if not isinstance(self.priority_by_timeliness, dict) or any(
                not isinstance(k, str) or v not in Priority.values for k, v in self.priority_by_timeliness.items()):
            errors["priority_by_timeliness"] = f"A JSON object timeliness → one of {', '.join(Priority.values)}."
        if self.processor_version_id is not None:
            from rs.production.registry import tasktable_of

            known = tasktable_of(self.processor_version).input_types()
            unknown = [t for t in [self.sensing_time_from, *self.wide_interval_type_list] if t and t not in known]
            if unknown:
                errors["wide_interval_types" if self.sensing_time_from in known else "sensing_time_from"] = (
                    f"Not an input type of {self.processor_version}: {', '.join(unknown)}.")
        if self.enabled and self.output_scope != OPERATIONAL_SCOPE:
            errors["enabled"] = (f"This rule runs a validation campaign (scope {self.output_scope}): enabling it "
                                 "would run it on every catalog event.")
        if self.enabled and self.pk is not None and hasattr(self, "order"):
            errors["enabled"] = "This rule belongs to an order: enabling it would run it on every catalog event."
        if errors:
            raise ValidationError(errors)

    @staticmethod
    def split(value: str) -> list[str]:
        return [v.strip() for v in value.split(",") if v.strip()]

    @property
    def product_type_list(self) -> list[str]:
        return self.split(self.product_types)

    @property
    def timeliness_list(self) -> list[str]:
        return self.split(self.timeliness)

    @property
    def wide_interval_type_list(self) -> list[str]:
        return self.split(self.wide_interval_types)


class RuleParameter(models.Model):
    """A JobOrder parameter set by the rule: replaces the table default, or is added after the table's ones.

    The value may use placeholders: {mission_id} {mission} {platform} {timeliness} {timeliness_category}
    {workdir} {job_id} {sensing_start:%Y%m%dT%H%M%S} {sensing_stop:…} {attr[sliceNumber]} {s1_total_slices}.
    """

    rule = models.ForeignKey(ProductionRule, on_delete=models.CASCADE, related_name="parameters")
    position = models.PositiveSmallIntegerField(default=0)
    name = models.CharField(max_length=128)
    value = models.CharField(max_length=1024, blank=True, default="")

    class Meta:
        ordering = ("position", "id")
        constraints = [models.UniqueConstraint(fields=["rule", "name"], name="rule_parameter_unique")]

    def __str__(self) -> str:
        return f"{self.name}={self.value}"

    def clean(self) -> None:
        from rs.production.parameters import ParameterError, template_check

        try:
            template_check(self.value)
        except ParameterError as exc:
            raise ValidationError({"value": str(exc)}) from None


class RuleTimeWindow(models.Model):
    """Sampled production: the rule triggers only on products whose sensing starts inside one of its windows."""

    rule = models.ForeignKey(ProductionRule, on_delete=models.CASCADE, related_name="time_windows")
    start = models.DateTimeField()
    stop = models.DateTimeField()

    class Meta:
        ordering = ("start",)
        constraints = [models.CheckConstraint(condition=Q(stop__gt=models.F("start")), name="time_window_ordered")]

    def __str__(self) -> str:
        return f"{self.start:%Y-%m-%dT%H:%M:%SZ} - {self.stop:%Y-%m-%dT%H:%M:%SZ}"


class RuleRecurringWindow(models.Model):
    """Sampled production on a schedule: the rule triggers only on products whose sensing starts within
    `duration_s` after a firing of the cron expression (UTC), e.g. "0 8 * * 1-5" + 7200 = weekdays 08:00-10:00.
    Fixed and recurring windows add up: a product inside any of them is processed."""

    rule = models.ForeignKey(ProductionRule, on_delete=models.CASCADE, related_name="recurring_windows")
    cron = models.CharField(max_length=128, help_text="Five fields, UTC: minute hour day-of-month month day-of-week.")
    duration_s = models.PositiveIntegerField(help_text="How long each window stays open after a firing.")

    class Meta:
        ordering = ("id",)
        constraints = [models.CheckConstraint(condition=Q(duration_s__gte=1), name="recurring_window_duration")]

    def __str__(self) -> str:
        return f"{self.cron} for {self.duration_s} s"

    def clean(self) -> None:
        from rs.cron import InvalidCron, cron_parse

        try:
            cron_parse(self.cron)
        except InvalidCron as exc:
            raise ValidationError({"cron": str(exc)}) from None


class InputTimeout(models.Model):
    """How long an optional input is waited for (COPRS InputTimeoutChecker): the input is dropped at
    min(job created + wait_from_creation_s, sensing start + wait_from_sensing_s). The first matching row (lowest
    position) applies; no matching row drops a missing optional input at once."""

    position = models.PositiveIntegerField(default=0)
    processor_pattern = models.CharField(max_length=128, default=".*", help_text="Regex on the processor name.")
    version_pattern = models.CharField(max_length=64, default=".*", help_text="Regex on the processor version.")
    input_pattern = models.CharField(max_length=128, default=".*",
                                     help_text="Regex on the input id (or its first alternative's file type).")
    timeliness_pattern = models.CharField(max_length=64, default=".*", help_text="Regex on the job timeliness.")
    wait_from_creation_s = models.PositiveIntegerField(null=True, blank=True)
    wait_from_sensing_s = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ("position", "id")

    def __str__(self) -> str:
        return f"{self.processor_pattern} {self.version_pattern} {self.input_pattern} {self.timeliness_pattern}"

    def clean(self) -> None:
        errors = {}
        for name in ("processor_pattern", "version_pattern", "input_pattern", "timeliness_pattern"):
            try:
                re.compile(getattr(self, name))
            except re.error as exc:
                errors[name] = f"Not a regular expression: {exc}."
        if errors:
            raise ValidationError(errors)
