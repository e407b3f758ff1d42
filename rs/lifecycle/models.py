from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from rs.catalog.choices import Mission, ProductFamily


def _regex_validator(value: str) -> None:
    try:
        re.compile(value)
    except re.error as exc:
        raise ValidationError(f"not a valid regular expression: {exc}") from None


class RetentionAction(models.TextChoices):
    OFFLINE = "offline", "Delete the bytes, keep the entry offline"
    REMOVE = "remove", "Delete the bytes and the entry"


class RetentionPolicy(models.Model):
    """An ordered retention rule; the first enabled rule whose every criterion matches a product decides its
    EvictionDate (publication + retention days; empty days = kept for ever)."""

    position = models.PositiveIntegerField(help_text="Rules are tried in increasing position; the first match wins.")
    name = models.CharField(max_length=64, unique=True)
    mission = models.CharField(max_length=2, choices=Mission.choices, blank=True, default="")
    family = models.CharField(max_length=32, choices=ProductFamily.choices, blank=True, default="")
    product_type_regex = models.CharField(max_length=255, blank=True, default="", validators=[_regex_validator],
                                          help_text="Matched from the start of the product type.")
    name_regex = models.CharField(max_length=500, blank=True, default="", validators=[_regex_validator],
                                  help_text="Matched from the start of the product name.")
    timeliness = models.CharField(max_length=16, blank=True, default="")
    retention_days = models.PositiveIntegerField(null=True, blank=True, help_text="Empty: kept for ever.")
    action = models.CharField(max_length=16, choices=RetentionAction.choices, default=RetentionAction.OFFLINE)
    enabled = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name_plural = "retention policies"

    def __str__(self) -> str:
        days = "for ever" if self.retention_days is None else f"{self.retention_days} d"
        return f"{self.position}. {self.name} ({days})"


class StorageQuota(models.Model):
    """Bytes a product family may hold online; above the high-water mark the oldest products go first until the
    low-water mark is reached."""

    family = models.CharField(max_length=32, choices=ProductFamily.choices, unique=True)
    quota_bytes = models.BigIntegerField(validators=[MinValueValidator(1)])
    high_water_percent = models.PositiveSmallIntegerField(default=90, validators=[MaxValueValidator(100)])
    low_water_percent = models.PositiveSmallIntegerField(default=80, validators=[MaxValueValidator(100)])

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(low_water_percent__lt=models.F("high_water_percent")),
                                   name="quota_low_below_high"),
        ]

    def __str__(self) -> str:
        return f"{self.family}: {self.quota_bytes} bytes"

    def clean(self) -> None:
        if self.low_water_percent is not None and self.high_water_percent is not None \
                and self.low_water_percent >= self.high_water_percent:
            raise ValidationError({"low_water_percent": "must be below the high-water mark"})


class LifecycleCursor(models.Model):
    """Where a resumable lifecycle job stopped (metadata purge watermark)."""

    name = models.CharField(max_length=64, primary_key=True)
    value = models.JSONField(default=dict)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.name


class StorageCheckStatus(models.TextChoices):
    RUNNING = "running"
    FINISHED = "finished"
    FAILED = "failed"


class StorageCheckRun(models.Model):
    """One consistency check of catalog versus object storage; resumable from its cursor."""

    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=StorageCheckStatus.choices, default=StorageCheckStatus.RUNNING)
    repair = models.BooleanField(default=False)
    verify_checksums = models.BooleanField(default=False)
    cursor = models.JSONField(default=dict, blank=True, help_text="Phase and last position reached.")
    counts = models.JSONField(default=dict, blank=True)
    findings = models.JSONField(default=list, blank=True, help_text="The first findings (capped).")
    error = models.TextField(blank=True, default="")

    def __str__(self) -> str:
        return f"storage check #{self.pk} ({self.status})"


class StorageCheckSeen(models.Model):
    """Products whose object the running check has listed; the anti-join of pass 2 finds the missing ones."""

    run = models.ForeignKey(StorageCheckRun, on_delete=models.CASCADE, related_name="seen")
    product_id = models.UUIDField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["run", "product_id"], name="check_seen_unique")]

    def __str__(self) -> str:
        return f"{self.product_id} seen by check #{self.run_id}"
