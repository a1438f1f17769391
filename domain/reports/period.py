"""Report periods: calendar weeks and months in the circle's time zone, and the one before each.

A period is half-open, [start, end), in UTC, with its bounds at local midnight so a week that
crosses a daylight-saving change has 167 or 169 hours. A period still running ("this week",
"this month") ends now and is compared with the same stretch of the previous period, so a
Wednesday morning is never measured against a whole week.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

PERIOD_USAGE = "`week`, `month` or a month like `2026-11`"
_MONTH = re.compile(r"(\d{4})-(\d{2})")
_WEEK = re.compile(r"week:(\d{4}-\d{2}-\d{2})")


class PeriodError(ValueError):
    """The text names no period; the message says what to type instead."""


@dataclass(frozen=True)
class Period:
    """A stretch of time a report covers; `label` names it for a person ("week of 23 Nov 2026")."""

    start: datetime
    end: datetime
    label: str

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None or self.end <= self.start:
            raise ValueError(f"a period needs aware bounds with start < end, got {self.start} – {self.end}")

    def contains(self, moment: datetime) -> bool:
        return self.start <= moment < self.end

    @property
    def duration(self) -> timedelta:
        return self.end - self.start


@dataclass(frozen=True)
class Comparison:
    """The period asked for, and the one it is compared with."""

    current: Period
    previous: Period


def parse_period(text: str, *, now: datetime, time_zone: str) -> Comparison:
    """`week`, `month` or `YYYY-MM` (empty = week) as periods in `time_zone`.

    `week:YYYY-MM-DD` (a Monday) names one whole week: the weekly post links to it.
    """
    word = text.strip().lower() or "week"
    if word in ("week", "this-week", "w"):
        return week_to_date(now, time_zone)
    if word in ("month", "this-month", "m"):
        return month_to_date(now, time_zone)
    match = _MONTH.fullmatch(word)
    if match and 1 <= int(match.group(2)) <= 12:
        return calendar_month(int(match.group(1)), int(match.group(2)), time_zone)
    week = _WEEK.fullmatch(word)
    if week:
        try:
            return week_starting(date.fromisoformat(week.group(1)), time_zone)
        except ValueError:
            pass
    raise PeriodError(f"`{text}` is not a period: use {PERIOD_USAGE}")


def week_to_date(now: datetime, time_zone: str) -> Comparison:
    """Monday 00:00 (local) until now, against the same stretch of the week before."""
    zone = ZoneInfo(time_zone)
    today = now.astimezone(zone).date()
    monday = today - timedelta(days=today.weekday())
    start = _midnight(monday, zone)
    elapsed = now - start
    previous_start = _midnight(monday - timedelta(days=7), zone)
    return Comparison(
        Period(start, now, f"week of {monday:%d %b %Y} (so far)"),
        Period(
            previous_start, previous_start + elapsed, f"same days of the week of {monday - timedelta(days=7):%d %b}"
        ),
    )


def last_full_week(now: datetime, time_zone: str) -> Comparison:
    """The last complete Monday-Sunday week before `now`, against the week before it."""
    zone = ZoneInfo(time_zone)
    today = now.astimezone(zone).date()
    monday = today - timedelta(days=today.weekday() + 7)
    return Comparison(_week(monday, zone), _week(monday - timedelta(days=7), zone))


def week_starting(monday: date, time_zone: str) -> Comparison:
    """The Monday-Sunday week from `monday`, against the week before it (the weekly post)."""
    zone = ZoneInfo(time_zone)
    if monday.weekday() != 0:
        raise PeriodError(f"{monday} is not a Monday")
    return Comparison(_week(monday, zone), _week(monday - timedelta(days=7), zone))


def month_to_date(now: datetime, time_zone: str) -> Comparison:
    """The 1st 00:00 (local) until now, against the same stretch of the month before (capped at its end)."""
    zone = ZoneInfo(time_zone)
    first = now.astimezone(zone).date().replace(day=1)
    start = _midnight(first, zone)
    previous_first = (first - timedelta(days=1)).replace(day=1)
    previous_start = _midnight(previous_first, zone)
    previous_end = min(previous_start + (now - start), start)
    return Comparison(
        Period(start, now, f"{first:%B %Y} (so far)"),
        Period(
            previous_start,
            max(previous_end, previous_start + timedelta(seconds=1)),
            f"same days of {previous_first:%B}",
        ),
    )


def calendar_month(year: int, month: int, time_zone: str) -> Comparison:
    """The whole month, against the whole month before."""
    zone = ZoneInfo(time_zone)
    first = date(year, month, 1)
    previous_first = (first - timedelta(days=1)).replace(day=1)
    return Comparison(_month(first, zone), _month(previous_first, zone))


def weeks_back(now: datetime, time_zone: str, count: int) -> list[Period]:
    """The last `count` Monday-Sunday weeks, oldest first, the last one running until now."""
    zone = ZoneInfo(time_zone)
    today = now.astimezone(zone).date()
    monday = today - timedelta(days=today.weekday())
    weeks = []
    for back in range(count - 1, 0, -1):
        week = _week(monday - timedelta(days=7 * back), zone)
        weeks.append(Period(week.start, week.end, f"{monday - timedelta(days=7 * back):%d %b}"))
    start = _midnight(monday, zone)
    return [*weeks, Period(start, max(now, start + timedelta(seconds=1)), f"{monday:%d %b}")]


def _week(monday: date, zone: ZoneInfo) -> Period:
    return Period(_midnight(monday, zone), _midnight(monday + timedelta(days=7), zone), f"week of {monday:%d %b %Y}")


def _month(first: date, zone: ZoneInfo) -> Period:
    following = (first + timedelta(days=32)).replace(day=1)
    return Period(_midnight(first, zone), _midnight(following, zone), f"{first:%B %Y}")


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)
