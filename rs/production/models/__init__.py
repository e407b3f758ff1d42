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
from rs.production.models.rules import (
    InputTimeout,
    ProductionRule,
    RuleParameter,
    RuleRecurringWindow,
    RuleTimeWindow,
)

__all__ = [
    "InputTimeout",
    "Job",
    "JobAwaitedType",
    "JobInput",
    "JobInputFile",
    "JobMember",
    "JobTransition",
    "Processor",
    "ProcessorConfigFile",
    "ProcessorParameter",
    "ProcessorPool",
    "ProcessorTask",
    "ProcessorVersion",
    "ProductionRule",
    "RuleParameter",
    "RuleRecurringWindow",
    "RuleTimeWindow",
    "TaskTableAlternative",
    "TaskTableInput",
    "TaskTableOutput",
]
