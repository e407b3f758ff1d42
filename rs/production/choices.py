"""Enumerations of production. Values are stored in the database: never rename one without a migration."""

from __future__ import annotations

from django.db import models


class JobState(models.TextChoices):
    """The one job state machine of production (preparation here, execution in its own module)."""

    WAITING_INPUTS = "waiting_inputs", "Waiting for inputs"
    READY = "ready", "Ready"
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"
    RETRYING = "retrying", "Retrying"


TERMINAL_STATES = frozenset({JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED})
# States whose inputs may still change: preparation re-evaluates them when an awaited product arrives.
PREPARING_STATES = frozenset({JobState.WAITING_INPUTS, JobState.READY})

ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    # ready → waiting_inputs: a selected input was evicted or deleted before the job was queued.
    JobState.WAITING_INPUTS: frozenset({JobState.READY, JobState.FAILED, JobState.CANCELLED}),
    JobState.READY: frozenset({JobState.QUEUED, JobState.WAITING_INPUTS, JobState.FAILED, JobState.CANCELLED}),
    JobState.QUEUED: frozenset({JobState.RUNNING, JobState.FAILED, JobState.CANCELLED}),
    JobState.RUNNING: frozenset({JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED, JobState.RETRYING}),
    JobState.RETRYING: frozenset({JobState.WAITING_INPUTS, JobState.QUEUED, JobState.FAILED, JobState.CANCELLED}),
    # A failed job stays failed until an operator retries it (no automatic loop).
    JobState.FAILED: frozenset({JobState.RETRYING}),
    JobState.SUCCEEDED: frozenset(),
    JobState.CANCELLED: frozenset(),
}

# The timestamp column written when a job enters each state.
STATE_TIMESTAMP_FIELD: dict[str, str] = {
    JobState.WAITING_INPUTS: "waiting_at",
    JobState.READY: "ready_at",
    JobState.QUEUED: "queued_at",
    JobState.RUNNING: "running_at",
    JobState.SUCCEEDED: "succeeded_at",
    JobState.FAILED: "failed_at",
    JobState.CANCELLED: "cancelled_at",
    JobState.RETRYING: "retrying_at",
}


class Priority(models.TextChoices):
    """Execution priority; each maps onto one production queue."""

    HIGH = "high", "High (production-high)"
    MEDIUM = "medium", "Medium (production-medium)"
    LOW = "low", "Low (production-low)"


QUEUE_OF_PRIORITY = {Priority.HIGH: "production-high", Priority.MEDIUM: "production-medium",
                     Priority.LOW: "production-low"}


class TriggerKind(models.TextChoices):
    EVENT = "event", "On each catalog event"
    SCHEDULE = "schedule", "Every N minutes, over the products catalogued since the last run"


class Grouping(models.TextChoices):
    """How triggering products are gathered into jobs (the job's unique key per rule)."""

    PRODUCT = "product", "One job per product (slice, granule-level product)"
    SESSION = "session", "One job per downlink session"
    DATATAKE = "datatake", "One job per datatake"
    GRANULE_WINDOW = "granule_window", "Granules of one window per job; interval = union of the granules"
    TIME_WINDOW = "time_window", "One job per fixed time window; interval = the whole window"


class InputMode(models.TextChoices):
    """Task Table Input/Mode; a job has one mode and uses the inputs of its mode and ALWAYS."""

    ALWAYS = "ALWAYS"
    SLICING = "SLICING"
    NON_SLICING = "NON_SLICING"
    NRT = "NRT"
    NTC = "NTC"
    STC = "STC"


class Origin(models.TextChoices):
    DB = "DB", "Catalogue query"
    PROC = "PROC", "Produced by an earlier task of the job"
    LOG = "LOG", "The job's logs"


class Destination(models.TextChoices):
    DB = "DB"
    PROC = "PROC"
    DBPROC = "DBPROC"


class JobOrderDialect(models.TextChoices):
    """How the JobOrder spells configuration files, parameters and dates (ipf-interface.md §5.1)."""

    MMFI = "mmfi", "MMFI 1.8 (S1 AIOP/L0ASP/SPP, S3 ACQ): Dynamic_Processing_Parameters"
    S1_L1L2 = "s1_l1l2", "S1 L1/L2: List_of_Dynamic_Processing_Parameters"
    GMES = "gmes", "GMES 1.1 (S3): List_of_Config_Files, List_of_Dyn_Processing_Parameters"
    S2 = "s2", "S2 steps: MMFI elements, ISO dates, Acquisition_Station"


class InputStatus(models.TextChoices):
    """Outcome of resolving one Task Table input for one job."""

    FOUND = "found", "Found"
    MISSING = "missing", "Missing, still waiting"
    TIMED_OUT = "timed_out", "Optional, dropped after its timeout"
    PROC = "proc", "Produced inside the job"
    NOT_APPLICABLE = "not_applicable", "Not used in the job's mode"


# Retrieval_Mode values of ipf-interface.md §3.2 (ESA Generic IPF ICD Annex B, S3 IPF ICD, prosEO/COPRS extensions).
SELECTION_POLICIES = (
    "ValCover", "LatestValCover", "ValIntersect", "LatestValIntersect", "LatestValidityClosest", "BestCentredCover",
    "LatestValCoverClosest", "LargestOverlap", "LargestOverlap85", "LatestValidity", "LatestStartValidity",
    "LatestStopValidity", "ValIntersectWithoutDuplicates", "LastCreated", "ClosestStartValidity",
    "ClosestStopValidity", "LatestValCoverNewestValidity", "FullCoverage",
)
POLICY_SPELLINGS = {"BestCenteredCover": "BestCentredCover"}
# The one custom class COPRS supports; it selects like ValIntersect (ipf-interface.md §2.2).
CUSTOM_POLICY_CLASSES = {"com.werum.esa.pfm.selection.policies.PolicyIntersectMinNumber": "ValIntersect"}
# Policies returning a list (every file goes into the JobOrder); the others return 0 or 1 product.
LIST_POLICIES = frozenset({"ValCover", "ValIntersect", "ValIntersectWithoutDuplicates", "FullCoverage"})
