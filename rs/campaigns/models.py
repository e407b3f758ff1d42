"""Reference datasets: a named, versioned, immutable set of catalog products (inputs, and optionally reference
outputs) on which processor versions are tested. A change makes a new version, so a campaign always says exactly
which products it ran on."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from rs.campaigns.choices import CampaignState, DatasetRole


class ReferenceDataset(models.Model):
    name = models.CharField(max_length=64)
    version = models.PositiveIntegerField()
    description = models.TextField(blank=True, default="")
    selection = models.TextField(blank=True, default="",
                                 help_text="The OData $filter the inputs were picked with (empty: listed by name).")
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        ordering = ["name", "-version"]
        constraints = [models.UniqueConstraint(fields=["name", "version"], name="dataset_unique_name_version")]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"


class DatasetProduct(models.Model):
    dataset = models.ForeignKey(ReferenceDataset, on_delete=models.CASCADE, related_name="items")
    # PROTECT: a pinned product cannot be deleted under a dataset (the eviction guard keeps its bytes too); the
    # foreign key's own index serves the guard's lookup by product
    product = models.ForeignKey("catalog.Product", on_delete=models.PROTECT, related_name="+")
    role = models.CharField(max_length=16, choices=DatasetRole.choices)
    product_name = models.CharField(max_length=255, help_text="The name when pinned (kept for the reports).")
    product_type = models.CharField(max_length=32)

    class Meta:
        ordering = ["dataset", "role", "product_name"]
        constraints = [models.UniqueConstraint(fields=["dataset", "product"], name="dataset_product_unique")]

    def __str__(self) -> str:
        return f"{self.product_name} ({self.role})"


class Campaign(models.Model):
    """One or more processor versions run on a reference dataset, isolated from operations, N times each; its state
    and verdict are derived from its runs' jobs (rs/campaigns/report.py), never stored."""

    name = models.CharField(max_length=200)
    dataset = models.ForeignKey(ReferenceDataset, on_delete=models.PROTECT, related_name="campaigns")
    template_rule = models.CharField(max_length=64, blank=True, default="",
                                     help_text="The production rule whose trigger types and grouping the runs follow.")
    repetitions = models.PositiveSmallIntegerField(default=1)
    tolerances = models.JSONField(default=dict, blank=True,
                                  help_text="time_s, number_abs, number_rel, ignore (field path patterns).")
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    # `deleting`: its deletion was asked (campaign_delete_request); a worker does it (campaign_delete), and any later
    # run finishes what an interrupted one left (each of its steps removes only what is left)
    state = models.CharField(max_length=16, choices=CampaignState.choices, default=CampaignState.ACTIVE)
    deletion_requested_at = models.DateTimeField(null=True, blank=True)
    # The worker deleting the campaign holds it until then and renews it page after page: a second worker finds it
    # held and does nothing; a killed worker's lease lapses and the periodic re-send lets another one finish.
    deletion_lease_until = models.DateTimeField(null=True, blank=True)
    deletion_error = models.TextField(blank=True, default="", help_text="Why the last deletion attempt stopped.")
    # Set once every job is final and every comparison that can be made is stored (campaign_comparisons_store), so
    # the periodic fill skips the campaign; empty for a campaign that finished before comparisons were stored then.
    comparisons_stored_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"campaign {self.pk} {self.name}"


class CampaignVersion(models.Model):
    """A processor version under test with its own dynamic parameters; the first (position 0) is the baseline."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="versions")
    position = models.PositiveSmallIntegerField()
    label = models.CharField(max_length=64, help_text="How the report names it (default: the version).")
    processor_version = models.ForeignKey("production.ProcessorVersion", on_delete=models.PROTECT, related_name="+")
    parameters = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["campaign", "position"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "position"], name="campaign_version_position"),
            models.UniqueConstraint(fields=["campaign", "label"], name="campaign_version_label"),
        ]

    def __str__(self) -> str:
        return self.label


class CampaignRun(models.Model):
    """One repetition of one version: its own disabled production rule (whose jobs are the run's jobs) and its own
    catalogue scope, so repetitions and versions never share a job, a product name or an object key."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="runs")
    version = models.ForeignKey(CampaignVersion, on_delete=models.CASCADE, related_name="runs")
    repetition = models.PositiveSmallIntegerField(help_text="1 … the campaign's repetitions.")
    # SET_NULL: deleting the campaign deletes its rules first (their jobs with them), then the runs
    rule = models.OneToOneField("production.ProductionRule", null=True, on_delete=models.SET_NULL,
                                related_name="campaign_run")
    scope = models.CharField(max_length=64, unique=True)
    skipped = models.JSONField(default=list, blank=True, help_text="Dataset inputs that made no job, with why.")

    class Meta:
        ordering = ["campaign", "version__position", "repetition"]
        constraints = [models.UniqueConstraint(fields=["version", "repetition"], name="campaign_run_repetition")]

    def __str__(self) -> str:
        return f"{self.version.label} #{self.repetition}"


class JobComparison(models.Model):
    """A finished job's comparison with what it was expected to produce, stored once its run's jobs have all ended
    (campaign_comparisons_store): a finished job, its baseline job (or the dataset's references) and the campaign's
    tolerances never change, so the report reads it back instead of the products' archives. `expected` says what
    it was compared with ("baseline:<job id>" or "references:<dataset id>"): another expectation makes a new
    comparison."""

    job = models.OneToOneField("production.Job", on_delete=models.CASCADE, related_name="campaign_comparison")
    expected = models.CharField(max_length=64)
    comparison = models.JSONField(help_text="The report's `comparison` of the job.")
    problems = models.JSONField(default=list, blank=True, help_text="What reading the products said.")
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"job {self.job_id} against {self.expected}"
