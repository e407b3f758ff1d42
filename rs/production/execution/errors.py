"""How a run ends when it does not succeed: the class decides between an automatic retry and `failed`."""

from __future__ import annotations


class RunFailure(Exception):
    """A run that cannot succeed; `transient` failures are retried with backoff up to RS_EXECUTION_MAX_RETRIES."""

    transient = False

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TransientFailure(RunFailure):
    """Storage or network down, input object missing, not enough disk, worker lost, OOM kill, Max_Time reached:
    the same job may well succeed later or elsewhere."""

    transient = True


class MaxTimeReached(TransientFailure):
    """The job's Max_Time expired and its tasks were killed: retried like any transient failure, unless the rule
    says not to (a campaign measures the processor: a hang is a finding, and a retry would distort its costs)."""


class ProcessorFailure(RunFailure):
    """The processor or its outputs are wrong (error exit, missing mandatory output, unreadable product,
    executable not found): running it again gives the same answer, so the job fails and an operator looks."""


class ClaimLost(Exception):
    """The job is no longer this run's (cancelled, or reaped and given to another worker): stop, write nothing."""
