"""The five-field cron parser and the windows of the sampling gate."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from rs.cron import InvalidCron, cron_parse


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_every_field_form_is_understood():
    cron = cron_parse("*/15 8-10,22 1,15 JAN-mar mon-FRI")
    assert cron.minutes == frozenset({0, 15, 30, 45})
    assert cron.hours == frozenset({8, 9, 10, 22})
    assert cron.days == frozenset({1, 15})
    assert cron.months == frozenset({1, 2, 3})
    assert cron.weekdays == frozenset({1, 2, 3, 4, 5})


def test_steps_on_ranges_and_on_a_start_value():
    assert cron_parse("10-30/10 * * * *").minutes == frozenset({10, 20, 30})
    assert cron_parse("5/20 * * * *").minutes == frozenset({5, 25, 45})


def test_sunday_is_both_0_and_7_and_question_mark_is_any():
    assert cron_parse("0 0 ? * 7").weekdays == frozenset({0})
    assert cron_parse("0 0 * * 0,7").weekdays == frozenset({0})
    assert not cron_parse("0 0 ? * 7").days_restricted


@pytest.mark.parametrize(("expression", "message"), [
    ("* * * *", "expected 5 fields (minute hour day month weekday), got 4"),
    ("60 * * * *", "minute field '60': values must be within 0-59"),
    ("* 5-2 * * *", "hour field '5-2': range 5-2 runs backwards"),
    ("*/0 * * * *", "minute field '*/0': the step must be at least 1"),
    ("* * * FOO *", "month field: 'FOO' is not a number or a name"),
    ("1,,2 * * * *", "minute field '1,,2': empty list item"),
    ("* * 0 * *", "day of month field '0': values must be within 1-31"),
])
def test_invalid_expressions_are_refused_with_the_faulty_field(expression, message):
    with pytest.raises(InvalidCron) as error:
        cron_parse(expression)
    assert message in str(error.value)


def test_a_time_inside_a_window_matches_and_one_after_it_does_not():
    cron = cron_parse("0 */6 * * *")  # 00:00, 06:00, 12:00, 18:00 for one hour
    assert cron.window_contains(at("2024-06-04T06:00:00"), duration_s=3600)
    assert cron.window_contains(at("2024-06-04T06:59:59"), duration_s=3600)
    assert not cron.window_contains(at("2024-06-04T07:00:00"), duration_s=3600)
    assert not cron.window_contains(at("2024-06-04T05:59:59"), duration_s=3600)


def test_windows_reach_back_across_days_and_months():
    cron = cron_parse("30 22 * * SUN")  # Sunday 22:30 for 3 hours
    assert cron.window_contains(at("2024-06-03T01:29:00"), duration_s=3 * 3600)  # Monday 01:29
    assert not cron.window_contains(at("2024-06-03T01:30:00"), duration_s=3 * 3600)
    monthly = cron_parse("0 0 1 * *")  # the first of the month, for two days
    assert monthly.window_contains(at("2024-03-02T23:59:00"), duration_s=2 * 86400)
    assert not monthly.window_contains(at("2024-02-29T12:00:00"), duration_s=2 * 86400)


def test_day_of_month_or_day_of_week_when_both_are_restricted():
    cron = cron_parse("0 12 13 * FRI")
    assert cron.matches(at("2024-06-13T12:00:00"))  # Thursday the 13th
    assert cron.matches(at("2024-06-07T12:00:00"))  # Friday the 7th
    assert not cron.matches(at("2024-06-08T12:00:00"))


def test_previous_fire_is_the_latest_firing_within_the_horizon():
    cron = cron_parse("15 3 * * *")
    assert cron.previous_fire(at("2024-06-04T03:14:00"), horizon=timedelta(days=2)) == at("2024-06-03T03:15:00")
    assert cron.previous_fire(at("2024-06-04T03:15:30"), horizon=timedelta(days=2)) == at("2024-06-04T03:15:00")
    assert cron.previous_fire(at("2024-06-04T03:14:00"), horizon=timedelta(hours=1)) is None


def test_a_naive_time_is_refused():
    with pytest.raises(ValueError, match="aware"):
        cron_parse("* * * * *").matches(datetime(2024, 1, 1))
