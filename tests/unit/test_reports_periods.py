"""Report periods in the circle's time zone, and the weekly report's schedule."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from adapters.circles_file import load_circles
from domain.reports.period import PeriodError, calendar_month, last_full_week, month_to_date, parse_period, weeks_back
from domain.reports.schedule import WeeklyReportSchedule
from tests.conftest import EXAMPLE_CIRCLES

ROME = "Europe/Rome"


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_a_month_runs_from_local_midnight_to_local_midnight() -> None:
    november = calendar_month(2026, 11, ROME)
    assert (november.current.start, november.current.end) == (utc("2026-10-31T23:00"), utc("2026-11-30T23:00"))
    assert november.current.label == "November 2026"
    # October starts in summer time and ends in winter time: it has one hour more.
    assert november.previous.start == utc("2026-09-30T22:00")
    assert november.previous.duration == timedelta(days=31, hours=1)


def test_a_week_across_the_dst_change_has_169_hours() -> None:
    week = last_full_week(utc("2026-10-28T10:00"), ROME).current
    assert (week.start, week.end) == (utc("2026-10-18T22:00"), utc("2026-10-25T23:00"))
    assert week.duration == timedelta(hours=169)


def test_this_week_is_compared_with_the_same_days_of_last_week() -> None:
    now = utc("2026-11-25T10:00")  # Wednesday 11:00 in Rome
    week = parse_period("week", now=now, time_zone=ROME)
    assert (week.current.start, week.current.end) == (utc("2026-11-22T23:00"), now)
    assert (week.previous.start, week.previous.end) == (utc("2026-11-15T23:00"), utc("2026-11-18T10:00"))


def test_this_month_is_compared_with_at_most_the_whole_previous_month() -> None:
    now = utc("2026-03-31T20:00")  # February is shorter than the 30 days of March gone by
    month = month_to_date(now, ROME)
    assert month.previous.start == utc("2026-01-31T23:00")
    assert month.previous.end == month.current.start == utc("2026-02-28T23:00")


def test_a_named_month_and_an_empty_period() -> None:
    now = utc("2026-12-01T09:00")
    assert parse_period("2026-11", now=now, time_zone=ROME) == calendar_month(2026, 11, ROME)
    assert parse_period("", now=now, time_zone=ROME) == parse_period("week", now=now, time_zone=ROME)


@pytest.mark.parametrize("text", ["fortnight", "2026-13", "11-2026"])
def test_an_unknown_period_says_what_to_type(text: str) -> None:
    with pytest.raises(PeriodError, match=r"use `week`, `month` or a month like `2026-11`"):
        parse_period(text, now=utc("2026-12-01T09:00"), time_zone=ROME)


def test_weeks_back_end_with_the_running_week() -> None:
    now = utc("2026-11-25T10:00")
    weeks = weeks_back(now, ROME, 3)
    assert [w.start for w in weeks] == [utc("2026-11-08T23:00"), utc("2026-11-15T23:00"), utc("2026-11-22T23:00")]
    assert weeks[-1].end == now and [w.label for w in weeks] == ["09 Nov", "16 Nov", "23 Nov"]


def test_the_weekly_report_is_due_monday_at_nine_local_time_across_the_dst_change() -> None:
    circle = load_circles(EXAMPLE_CIRCLES).circles[0]
    runs = list(WeeklyReportSchedule().occurrences(circle, utc("2026-10-19T00:00"), utc("2026-10-27T00:00")))
    assert [run.due_at for run in runs] == [utc("2026-10-19T07:00"), utc("2026-10-26T08:00")]  # CEST, then CET
    assert [run.key for run in runs] == ["reports.weekly:demo:2026-10-12", "reports.weekly:demo:2026-10-19"]
    assert runs[1].payload == {"circle": "demo", "week_of": "2026-10-19"}
    assert runs[1].catch_up_until == utc("2026-10-27T08:00")
    again = list(WeeklyReportSchedule().occurrences(circle, utc("2026-10-19T00:00"), utc("2026-10-27T00:00")))
    assert again == runs


def test_a_disabled_weekly_report_is_never_due() -> None:
    circle = load_circles(EXAMPLE_CIRCLES).circles[0]
    circle = dataclasses.replace(circle, report=dataclasses.replace(circle.report, weekly_enabled=False))
    assert list(WeeklyReportSchedule().occurrences(circle, utc("2026-10-01T00:00"), utc("2026-11-01T00:00"))) == []
