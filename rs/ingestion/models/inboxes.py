from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models

from rs.catalog.choices import Mission
from rs.ingestion.choices import AuthKind, InboxKind


class Inbox(models.Model):
    """A pickup point polled on the beat schedule: a directory, an S3 prefix, an OData or a CADIP server.

    Configuration is edited in the admin; `cursor` and the poll fields are the inbox's own state. Secret fields accept
    `env:NAME` to read the value from the environment of the workers instead of storing it here.
    """

    name = models.SlugField(max_length=64, unique=True)
    kind = models.CharField(max_length=16, choices=InboxKind.choices)
    enabled = models.BooleanField(default=True, help_text="Disabled inboxes are not polled (manual polls still work).")
    location = models.CharField(
        max_length=1024, blank=True,
        help_text="Directory path; S3 key prefix ('' for the whole bucket); service root URL of the OData/CADIP "
                  "server (…/odata/v1).",
    )

    # S3 (blank: the deployment's own store)
    s3_bucket = models.CharField(max_length=63, blank=True, default="")
    s3_endpoint_url = models.CharField(max_length=512, blank=True, default="")
    s3_access_key = models.CharField(max_length=256, blank=True, default="")
    s3_secret_key = models.CharField(max_length=256, blank=True, default="", help_text="Or env:VARIABLE.")
    s3_region = models.CharField(max_length=32, blank=True, default="")

    # HTTP pickup points
    auth = models.CharField(max_length=32, choices=AuthKind.choices, default=AuthKind.NONE)
    username = models.CharField(max_length=256, blank=True, default="")
    password = models.CharField(max_length=256, blank=True, default="", help_text="Or env:VARIABLE.")
    token = models.CharField(max_length=4096, blank=True, default="", help_text="Static bearer token, or env:VARIABLE.")
    token_url = models.CharField(max_length=512, blank=True, default="", help_text="OAuth2 token endpoint.")
    client_id = models.CharField(max_length=256, blank=True, default="")
    client_secret = models.CharField(max_length=256, blank=True, default="", help_text="Or env:VARIABLE.")

    # OData moving window on PublicationDate; CADIP sessions after a PublicationDate
    start_date = models.DateTimeField(
        null=True, blank=True, help_text="Nothing published before this is listed (first window start)."
    )
    window_s = models.PositiveIntegerField(default=3600, validators=[MinValueValidator(1)])
    overlap_s = models.PositiveIntegerField(default=300, help_text="Each window starts this much before the last end.")
    lag_s = models.PositiveIntegerField(default=60, help_text="Windows stop this far from now (late publications).")
    page_size = models.PositiveIntegerField(default=500, validators=[MinValueValidator(1)])

    # behaviour
    match_regex = models.CharField(max_length=1024, blank=True, default="",
                                   help_text="Only relative paths / names matching this are taken.")
    ignore_regex = models.CharField(max_length=1024, blank=True, default="",
                                    help_text="Paths matching this are never taken (hidden and .tmp always are).")
    publish = models.BooleanField(default=True, help_text="Publish ingested products (visible on PRIP).")
    mission = models.CharField(max_length=2, choices=Mission.choices, blank=True, default="",
                               help_text="Stamped on session files whose name and path do not tell.")
    poll_interval_s = models.PositiveIntegerField(default=20, validators=[MinValueValidator(1)])

    # state (written by the poller only)
    cursor = models.JSONField(default=dict, blank=True, help_text="Where the next listing resumes (OData, CADIP).")
    next_poll_at = models.DateTimeField(null=True, blank=True)
    poll_lease_until = models.DateTimeField(null=True, blank=True)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    last_poll_error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "inboxes"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from rs.ingestion.configuration import inbox_config_errors

        errors = inbox_config_errors(self)
        if errors:
            raise ValidationError(errors)


class SamplingRule(models.Model):
    """One rule of an inbox's sampling gate; an entry passes when any rule matches, and every inbox without rules
    lets everything pass. Within a rule the given conditions must all hold."""

    inbox = models.ForeignKey(Inbox, on_delete=models.CASCADE, related_name="sampling_rules")
    cron = models.CharField(max_length=128, blank=True, default="",
                            help_text="Five fields: minute hour day month weekday, e.g. '0 */6 * * MON-FRI'.")
    duration_s = models.PositiveIntegerField(default=3600, help_text="How long each cron window stays open.")
    mission = models.CharField(max_length=2, choices=Mission.choices, blank=True, default="")
    product_type_regex = models.CharField(max_length=256, blank=True, default="",
                                          help_text="Product types matching this (search, e.g. '^AUX_').")

    def __str__(self) -> str:
        parts = [f"cron {self.cron} for {self.duration_s}s" if self.cron else "",
                 f"mission {self.mission}" if self.mission else "",
                 f"type ~ {self.product_type_regex}" if self.product_type_regex else ""]
        return ", ".join(p for p in parts if p) or "(empty rule)"

    def clean(self) -> None:
        from rs.ingestion.configuration import sampling_rule_errors

        errors = sampling_rule_errors(self)
        if errors:
            raise ValidationError(errors)
