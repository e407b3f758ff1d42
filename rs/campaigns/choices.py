from django.db import models


class DatasetRole(models.TextChoices):
    INPUT = "input", "Input of the processors under test"
    REFERENCE_OUTPUT = "reference_output", "Reference output to compare with"
