"""The sampling gate of an inbox (reference-system.md §1, function 2: "a sample of the downlink").

No rule: everything passes. Otherwise an entry passes when any rule matches, a rule matching when all its given
conditions hold: the entry's source time falls in one of the cron windows, its mission is the rule's, its product
type matches the rule's pattern. A name that cannot be identified passes, so that it reaches identification and is
quarantined with its reason instead of disappearing as "not sampled".
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from rs.cron import Cron, cron_parse

if TYPE_CHECKING:
    from rs.ingestion.models import SamplingRule


@dataclass(frozen=True)
class _Rule:
    cron: Cron | None
    duration_s: int
    mission: str
    product_type: re.Pattern[str] | None
    label: str


class SamplingGate:
    def __init__(self, rules: Iterable[SamplingRule]) -> None:
        self.rules = [
            _Rule(
                cron=cron_parse(rule.cron) if rule.cron else None,
                duration_s=rule.duration_s,
                mission=rule.mission,
                product_type=re.compile(rule.product_type_regex) if rule.product_type_regex else None,
                label=str(rule),
            )
            for rule in rules
        ]

    def skip_reason(self, *, name: str, source_time: datetime | None) -> str:
        """'' when the entry passes, else why it is skipped."""
        if not self.rules:
            return ""
        identity = _identity(name)
        if identity is None:
            return ""
        mission, product_type = identity
        for rule in self.rules:
            if rule.mission and rule.mission != mission:
                continue
            if rule.product_type is not None and not rule.product_type.search(product_type):
                continue
            if rule.cron is not None and (
                source_time is None or not rule.cron.window_contains(source_time, duration_s=rule.duration_s)
            ):
                continue
            return ""
        when = source_time.isoformat() if source_time else "unknown time"
        return f"not sampled: no sampling rule matches ({mission or '?'} {product_type or '?'} at {when})"


def _identity(name: str) -> tuple[str, str] | None:
    """(mission, product type) of a name; None when it cannot be identified."""
    from rs.ingestion.names import UnrecognisedName, identify

    try:
        identification = identify(name)
    except UnrecognisedName:
        return None
    return identification.mission, identification.product_type
