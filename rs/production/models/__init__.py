from rs.production.models.jobs import Job, JobAwaitedType, JobInput, JobInputFile, JobMember, JobTransition
from rs.production.models.orders import FINISHED_ORDER_STATES, OrderState, ProductionOrder, SelectionKind
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
    "FINISHED_ORDER_STATES",
    "InputTimeout",
    "Job",
    "JobAwaitedType",
    "JobInput",
    "JobInputFile",
    "JobMember",
    "JobTransition",
    "OrderState",
    "Processor",
    "ProcessorConfigFile",
    "ProcessorParameter",
    "ProcessorPool",
    "ProcessorTask",
    "ProcessorVersion",
    "ProductionOrder",
    "ProductionRule",
    "RuleParameter",
    "RuleRecurringWindow",
    "RuleTimeWindow",
    "SelectionKind",
    "TaskTableAlternative",
    "TaskTableInput",
    "TaskTableOutput",
]
