from django.db import models


class DatasetRole(models.TextChoices):
    INPUT = "input", "Input of the processors under test"
    REFERENCE_OUTPUT = "reference_output", "Reference output to compare with"


class CampaignState(models.TextChoices):
    """Stored only for what the jobs cannot say: a campaign being deleted (its jobs' states say the rest)."""

    ACTIVE = "active", "Active"
    DELETING = "deleting", "Being deleted"
