"""Which rules a catalogued product triggers, whether sampling keeps it, and which job (group key, interval) it
belongs to. Pure decisions on a product and its attributes: no writes."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from django.db.models import Exists, OuterRef, QuerySet

from rs.catalog.choices import OPERATIONAL_SCOPE
from rs.cron import InvalidCron, cron_parse
from rs.production.choices import Grouping, TriggerKind
from rs.production.models import ProductionRule, RuleRecurringWindow, RuleTimeWindow
from rs.production.selection import uses_validity

if TYPE_CHECKING:
    from rs.catalog.selectors import Product

logger = logging.getLogger(__name__)

_SESSION = re.compile(r"^DCS_\d{2}_(?P<session>.+?)_ch[12]_")
_S1_NAME = re.compile(
    r"^S1[A-D_]_\w{2}_\w{4}_\d\w(?P<pol>\w{2})_\d{8}T\d{6}_\d{8}T\d{6}_\d{6}_(?P<datatake>[0-9A-F]{6})_")
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


class RoutingRefusal(Exception):
    """The product matches the rule's trigger but cannot be grouped (no session id, no datatake, …)."""


@dataclass(frozen=True)
class Group:
    key: str
    start: datetime
    stop: datetime
    union: bool  # True: the job interval is the union of its members'; False: fixed (product, time window)


def rules_active(*, trigger: str = TriggerKind.EVENT) -> QuerySet[ProductionRule]:
    # Time windows are read only for the rules that have some (most have none: no extra round trip per event).
    return (ProductionRule.objects.filter(enabled=True, trigger=trigger)
            .select_related("processor_version__processor")
            .annotate(has_time_windows=Exists(RuleTimeWindow.objects.filter(rule=OuterRef("pk"))),
                      has_recurring_windows=Exists(RuleRecurringWindow.objects.filter(rule=OuterRef("pk"))))
            .order_by("id"))


def rule_matches(rule: ProductionRule, product: Product) -> bool:
    return (product.product_type in rule.product_type_list
            and (not rule.mission or rule.mission == product.mission)
            and (not rule.platform or rule.platform == product.platform)
            and (not rule.family or rule.family == product.family)
            and (not rule.timeliness_list or product.timeliness in rule.timeliness_list))


def rules_for(product: Product, rules: Iterable[ProductionRule]) -> list[ProductionRule]:
    return [r for r in rules if rule_matches(r, product)]


def scope_refusal(product: Product) -> str:
    """Why no rule runs on the product ('' = operational): validation campaigns run their own jobs."""
    if product.scope != OPERATIONAL_SCOPE:
        return f"scope {product.scope}: only operational products trigger rules"
    return ""


def product_interval(product: Product) -> tuple[datetime, datetime]:
    """Sensing for level products, validity for aux files; an open or missing stop is the start (a point)."""
    start: datetime | None
    stop: datetime | None
    if uses_validity(product.product_type) and product.validity_start is not None:
        start, stop = product.validity_start, product.validity_stop
    else:
        start, stop = product.content_start, product.content_end
    begin = start or product.validity_start or product.created_at
    return begin, stop if stop is not None and stop >= begin else begin


def datatake_of(product: Product, attributes: Mapping[str, object]) -> int | None:
    for name in ("datatakeID", "missionDatatakeID"):
        value = attributes.get(name)
        if isinstance(value, int):
            return value
    match = _S1_NAME.match(product.name)
    return int(match["datatake"], 16) if match else None


def polarisation_of(product: Product, attributes: Mapping[str, object]) -> str:
    """V or H: the co-polarisation of an S1 product (selects AUX_ECE), '' when unknown."""
    channels = attributes.get("polarisationChannels")
    if isinstance(channels, str) and channels[:1] in ("V", "H"):
        return channels[0]
    match = _S1_NAME.match(product.name)
    if match:
        return {"SV": "V", "DV": "V", "VV": "V", "VH": "V", "SH": "H", "DH": "H", "HH": "H", "HV": "H"}.get(
            match["pol"], "")
    return ""


def sampling_refusal(rule: ProductionRule, product: Product, attributes: Mapping[str, object]) -> str:
    """Why sampled systematic production skips this product ('' = it is processed)."""
    if rule.sample_every_nth_datatake > 1:
        datatake = datatake_of(product, attributes)
        if datatake is None:
            return f"no datatake id to sample every {rule.sample_every_nth_datatake}th datatake"
        if datatake % rule.sample_every_nth_datatake:
            return f"datatake {datatake:06X} is not sampled (every {rule.sample_every_nth_datatake}th)"
    if rule.area is not None:
        if product.footprint is None:
            return "no footprint to test against the rule's area"
        if not product.footprint.intersects(rule.area):
            return "footprint outside the rule's area"
    return window_refusal(rule, product_interval(product)[0])


def window_refusal(rule: ProductionRule, start: datetime) -> str:
    """Why a sensing start falls outside the rule's time windows ('' = inside one, or the rule has none).

    Fixed windows [start, stop) and recurring ones (a cron expression, UTC, each firing opening `duration_s`)
    add up: inside any of them is inside."""
    fixed = list(rule.time_windows.all()) if getattr(rule, "has_time_windows", True) else []
    recurring = list(rule.recurring_windows.all()) if getattr(rule, "has_recurring_windows", True) else []
    if not fixed and not recurring:
        return ""
    if any(w.start <= start < w.stop for w in fixed):
        return ""
    for window in recurring:
        try:
            if cron_parse(window.cron).window_contains(start, duration_s=window.duration_s):
                return ""
        except InvalidCron:  # refused by the admin; a row written another way must not stop preparation
            logger.warning("rule %s: recurring window %r is not a cron expression", rule.name, window.cron)
    return f"sensing start {start.isoformat()} is outside the rule's time windows"


def granule_window(rule: ProductionRule, start: datetime) -> tuple[datetime, datetime]:
    """[begin, end) of the window grouping a product sensed from `start`."""
    return _window(rule, start)


def _window(rule: ProductionRule, start: datetime) -> tuple[datetime, datetime]:
    if not rule.window_s:
        raise RoutingRefusal(f"rule {rule.name}: {rule.grouping} grouping needs window_s")
    length = timedelta(seconds=rule.window_s)
    begin = _EPOCH + ((start - _EPOCH) // length) * length
    return begin, begin + length


def group_of(rule: ProductionRule, product: Product, attributes: Mapping[str, object]) -> Group:
    start, stop = product_interval(product)
    grouping = rule.grouping
    if grouping == Grouping.PRODUCT:
        return Group(product.name, start, stop, union=False)
    if grouping == Grouping.SESSION:
        session = attributes.get("sessionId")
        match = _SESSION.match(product.name)
        session = session if isinstance(session, str) and session else (match["session"] if match else None)
        if not session:
            raise RoutingRefusal(f"{product.name}: no session id (attribute sessionId or DCS_ file name)")
        return Group(f"{product.platform}:{session}", start, stop, union=True)
    if grouping == Grouping.DATATAKE:
        datatake = datatake_of(product, attributes)
        if datatake is None:
            raise RoutingRefusal(f"{product.name}: no datatake id (attribute datatakeID or S1 name)")
        return Group(f"{product.platform}:{datatake:06X}", start, stop, union=True)
    begin, end = _window(rule, start)
    key = f"{product.platform}:{begin:%Y%m%dT%H%M%S}"
    if grouping == Grouping.GRANULE_WINDOW:
        return Group(key, start, stop, union=True)
    return Group(key, begin, end, union=False)
