from rs.production.models.execution import (
    JobLogLine,
    JobMissingOutput,
    JobOutput,
    LogLevel,
    TaskOutcome,
    TaskRun,
)
from rs.production.models.jobs import Job, JobAwaitedType, JobInput, JobInputFile, JobMember, JobTransition
from rs.production.models.processors import (
    Processor,
    ProcessorConfigFile,
    ProcessorParameter,
    ProcessorPool,
    ProcessorTask,
    ProcessorVersion,
    TaskTableAlternative,
    TaskTableInput,
    TaskTableOutput,
)
from rs.production.models.rules import InputTimeout, ProductionRule, RuleParameter, RuleTimeWindow

__all__ = [
    "InputTimeout",
    "Job",
    "JobAwaitedType",
    "JobInput",
    "JobInputFile",
    "JobLogLine",
    "JobMember",
    "JobMissingOutput",
    "JobOutput",
    "JobTransition",
    "LogLevel",
    "Processor",
    "ProcessorConfigFile",
    "ProcessorParameter",
    "ProcessorPool",
    "ProcessorTask",
    "ProcessorVersion",
    "ProductionRule",
    "RuleParameter",
    "RuleTimeWindow",
    "TaskOutcome",
    "TaskRun",
    "TaskTableAlternative",
    "TaskTableInput",
    "TaskTableOutput",
]
