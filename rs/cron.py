"""Five-field cron expressions (minute hour day-of-month month day-of-week) and the windows they open.

Shared by ingestion's sampling gate and production's recurring time windows: "0 */6 * * *" with a duration of
3600 s accepts every moment that falls in the first hour after a firing. Supported per field: `*` (and `?`,
Quartz's "no value"), numbers, names (JAN-DEC, SUN-SAT), lists `a,b`, ranges `a-b` and steps `*/n`, `a-b/n`,
`a/n`. Day of week 0 and 7 are Sunday. As in Vixie cron, when both day of month and day of week are restricted a
day matches if either does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from rs.errors import DomainError

_MONTHS = {m: i for i, m in enumerate(
    ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], start=1)}
_DAYS = {d: i for i, d in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"])}

# (name, lowest, highest, names)
_FIELDS: tuple[tuple[str, int, int, dict[str, int]], ...] = (
    ("minute", 0, 59, {}),
    ("hour", 0, 23, {}),
    ("day of month", 1, 31, {}),
    ("month", 1, 12, _MONTHS),
    ("day of week", 0, 7, _DAYS),
)


class InvalidCron(DomainError):
    code = "invalid_cron"


@dataclass(frozen=True)
class Cron:
    """A parsed expression: the allowed values of each field."""

    expression: str
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # 0 = Sunday … 6 = Saturday
    days_restricted: bool
    weekdays_restricted: bool

    def matches_day(self, day: date) -> bool:
        if day.month not in self.months:
            return False
        in_month = day.day in self.days
        in_week = (day.isoweekday() % 7) in self.weekdays
        if self.days_restricted and self.weekdays_restricted:
            return in_month or in_week
        return in_month and in_week

    def matches(self, moment: datetime) -> bool:
        """True when the expression fires at the minute of `moment`."""
        moment = _utc(moment)
        return moment.minute in self.minutes and moment.hour in self.hours and self.matches_day(moment.date())

    def previous_fire(self, moment: datetime, *, horizon: timedelta) -> datetime | None:
        """The latest firing at or before `moment`, looking back at most `horizon`; None if there is none."""
        moment = _utc(moment).replace(second=0, microsecond=0)
        earliest = moment - horizon
        day = moment.date()
        while datetime(day.year, day.month, day.day, 23, 59, tzinfo=UTC) >= earliest:
            if self.matches_day(day):
                latest_hour = moment.hour if day == moment.date() else 23
                for hour in sorted((h for h in self.hours if h <= latest_hour), reverse=True):
                    latest_minute = moment.minute if (day == moment.date() and hour == moment.hour) else 59
                    minutes = [m for m in self.minutes if m <= latest_minute]
                    if minutes:
                        fire = datetime(day.year, day.month, day.day, hour, max(minutes), tzinfo=UTC)
                        return fire if fire >= earliest else None
            day -= timedelta(days=1)
        return None

    def window_contains(self, moment: datetime, *, duration_s: int) -> bool:
        """True when `moment` falls in [firing, firing + duration) for some firing of the expression."""
        if duration_s <= 0:
            return False
        moment = _utc(moment)
        fire = self.previous_fire(moment, horizon=timedelta(seconds=duration_s))
        return fire is not None and moment - fire < timedelta(seconds=duration_s)


def cron_parse(expression: str) -> Cron:
    """Parse a five-field expression or raise InvalidCron naming the faulty field."""
    parts = expression.split()
    if len(parts) != 5:
        raise InvalidCron(f"cron expression {expression!r}: expected 5 fields (minute hour day month weekday), "
                          f"got {len(parts)}")
    values = []
    for text, (name, low, high, names) in zip(parts, _FIELDS, strict=True):
        values.append(_field(text, name=name, low=low, high=high, names=names))
    weekdays = frozenset(d % 7 for d in values[4])
    return Cron(
        expression=" ".join(parts), minutes=values[0], hours=values[1], days=values[2], months=values[3],
        weekdays=weekdays, days_restricted=parts[2] not in ("*", "?"), weekdays_restricted=parts[4] not in ("*", "?"),
    )


def _field(text: str, *, name: str, low: int, high: int, names: dict[str, int]) -> frozenset[int]:
    allowed: set[int] = set()
    for item in text.split(","):
        if not item:
            raise InvalidCron(f"{name} field {text!r}: empty list item")
        base, _, step_text = item.partition("/")
        step = 1
        if step_text:
            step = _number(step_text, name=name, names={})
            if step < 1:
                raise InvalidCron(f"{name} field {text!r}: the step must be at least 1")
        if base in ("*", "?"):
            start, stop = low, high
        elif "-" in base:
            first, _, last = base.partition("-")
            start, stop = _number(first, name=name, names=names), _number(last, name=name, names=names)
            if start > stop:
                raise InvalidCron(f"{name} field {text!r}: range {base} runs backwards")
        else:
            start = _number(base, name=name, names=names)
            stop = high if step_text else start  # "5/15" means 5, 20, 35, 50
        if start < low or stop > high:
            raise InvalidCron(f"{name} field {text!r}: values must be within {low}-{high}")
        allowed.update(range(start, stop + 1, step))
    return frozenset(allowed)


def _number(text: str, *, name: str, names: dict[str, int]) -> int:
    upper = text.upper()
    if upper in names:
        return names[upper]
    if not text.isdigit():
        raise InvalidCron(f"{name} field: {text!r} is not a number" + (" or a name" if names else ""))
    return int(text)


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("cron matching needs an aware datetime")
    return moment.astimezone(UTC)
