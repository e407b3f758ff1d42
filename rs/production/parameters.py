"""Chain values of JobOrder parameters: rule parameters are templates over a small, fixed set of job facts.

`{mission_id}` → S1A, `{sensing_start:%Y%m%dT%H%M%S}` → 20200928T080939, `{attr[sliceNumber]}` → 13, … Templates are
checked when a rule is saved (unknown names, attribute access) so a bad rule is refused in the admin, not at 3 am.
"""

from __future__ import annotations

import math
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from rs.errors import DomainError

# Timeliness of the trigger (packet store or product timeliness) → S1 IPF Timeliness_Category (§5.2).
TIMELINESS_CATEGORY = {"PT": "NRT-3h", "NRT": "NRT-3h", "NRT-3h": "NRT-3h", "NRT-10m": "NRT-3h",
                       "FAST24": "Fast-24h", "Fast-24h": "Fast-24h"}
# S1 slicing: (slice length, overlap) in seconds per acquisition mode (naming-and-metadata.md §4.2).
S1_SLICING = {"IW": (25.0, 7.4), "EW": (60.0, 8.2), **{f"S{n}": (25.0, 7.7) for n in range(1, 7)}}
FIELDS = frozenset({
    "mission_id", "mission", "platform", "timeliness", "timeliness_category", "workdir", "job_id",
    "sensing_start", "sensing_stop", "interval_start", "interval_stop", "attr", "s1_total_slices",
    "acquisition_mode", "processing_station",
})


class ParameterError(DomainError):
    code = "invalid_parameter"


@dataclass(frozen=True)
class ParameterContext:
    mission: str
    platform: str
    timeliness: str
    workdir: str
    job_id: int | None
    sensing_start: datetime
    sensing_stop: datetime
    interval_start: datetime
    interval_stop: datetime
    acquisition_mode: str = ""
    processing_station: str = ""
    attributes: Mapping[str, object] = field(default_factory=dict)


def s1_total_slices(duration_s: float, acquisition_mode: str) -> int:
    """Slices of a datatake of `duration_s` (COPRS totalNumberOfSlice): 503.58 s of IW → 20."""
    length, overlap = S1_SLICING.get(acquisition_mode, S1_SLICING["IW"])
    n = (duration_s - overlap) / length
    whole = math.floor(n)
    total = whole if (n - whole) * length < overlap else math.ceil(n)
    return max(1, total)


def template_check(template: str) -> None:
    """Refuse a template that names an unknown fact or reaches into objects (`{attr.__class__}`)."""
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise ParameterError(f"{template!r}: {exc}") from None
    for _literal, name, _spec, conversion in parts:
        if name is None:
            continue
        root = name.split("[", 1)[0]
        if "." in name or root not in FIELDS or (root == "attr") != ("[" in name) or conversion:
            raise ParameterError(f"{template!r}: unknown placeholder {{{name}}} "
                                 f"(use one of {', '.join(sorted(FIELDS))})")


def parameter_render(template: str, context: ParameterContext) -> str:
    template_check(template)
    duration = (context.sensing_stop - context.sensing_start).total_seconds()
    values: dict[str, object] = {
        "mission_id": f"{context.mission}{context.platform}", "mission": context.mission,
        "platform": context.platform, "timeliness": context.timeliness,
        "timeliness_category": TIMELINESS_CATEGORY.get(context.timeliness, context.timeliness),
        "workdir": context.workdir, "job_id": context.job_id if context.job_id is not None else "",
        "sensing_start": context.sensing_start, "sensing_stop": context.sensing_stop,
        "interval_start": context.interval_start, "interval_stop": context.interval_stop,
        "attr": _Attributes(context.attributes), "acquisition_mode": context.acquisition_mode,
        "processing_station": context.processing_station,
        "s1_total_slices": s1_total_slices(duration, context.acquisition_mode),
    }
    try:
        return template.format_map(values)
    except _MissingAttribute as exc:
        raise ParameterError(f"{template!r}: the triggering product has no attribute {exc.args[0]!r}") from None
    except (ValueError, TypeError) as exc:
        raise ParameterError(f"{template!r}: {exc}") from None


class _MissingAttribute(KeyError):
    pass


class _Attributes:
    def __init__(self, attributes: Mapping[str, object]) -> None:
        self.attributes = attributes

    def __getitem__(self, name: str) -> object:
        if name not in self.attributes:
            raise _MissingAttribute(name)
        return self.attributes[name]
