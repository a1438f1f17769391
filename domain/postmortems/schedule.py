"""Postmortem dates: due dates in working days, due words people type, and when reminders fire."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# Reminders arrive at the start of a working day, in the circle's time zone, never at 3 a.m.
REMINDER_TIME = time(9, 0)
# The owner has this many working days after their reminder before the Team Leader hears of it.
LEADER_GRACE_WORKING_DAYS = 2
# A corrective action with no due date given is due this many working days from today.
DEFAULT_ACTION_WORKING_DAYS = 10

_WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_RELATIVE = re.compile(r"^\+?(\d{1,3})(d|w|wd)$")


def local_date(at: datetime, time_zone: str) -> date:
    """The calendar date of the instant `at` in `time_zone`."""
    return at.astimezone(ZoneInfo(time_zone)).date()


def add_working_days(start: date, days: int, working_days: tuple[int, ...]) -> date:
    """The date `days` working days after `start` (0 = Monday in `working_days`)."""
    if not working_days:
        return start + timedelta(days=days)
    day = start
    remaining = days
    while remaining > 0:
        day += timedelta(days=1)
        if day.weekday() in working_days:
            remaining -= 1
    return day


def morning_of(day: date, time_zone: str) -> datetime:
    """REMINDER_TIME on `day` in `time_zone`, as an aware datetime."""
    return datetime.combine(day, REMINDER_TIME, tzinfo=ZoneInfo(time_zone))


def overdue_reminders(due: date, time_zone: str, working_days: tuple[int, ...]) -> tuple[datetime, datetime]:
    """When the owner, then the Team Leader, hear that something due on `due` is not done.

    The owner: the morning of the first working day after the due date. The Team Leader:
    LEADER_GRACE_WORKING_DAYS working days later.
    """
    first_overdue_day = add_working_days(due, 1, working_days)
    leader_day = add_working_days(first_overdue_day, LEADER_GRACE_WORKING_DAYS, working_days)
    return morning_of(first_overdue_day, time_zone), morning_of(leader_day, time_zone)


def parse_due(text: str, today: date, working_days: tuple[int, ...]) -> date | None:
    """A due date as people type it, or None when `text` is not one.

    Accepted: 2026-12-04, today, tomorrow, a weekday (mon … sun, the next one after today),
    3d or +3d (calendar days), 2w (weeks), 5wd (working days).
    """
    word = text.strip().lower()
    if not word:
        return None
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", word):
        try:
            return date.fromisoformat(word)
        except ValueError:
            return None
    if word == "today":
        return today
    if word == "tomorrow":
        return today + timedelta(days=1)
    if word[:3] in _WEEKDAY_NAMES and _is_weekday_word(word):
        ahead = (_WEEKDAY_NAMES.index(word[:3]) - today.weekday()) % 7 or 7
        return today + timedelta(days=ahead)
    match = _RELATIVE.match(word)
    if match is None:
        return None
    count, unit = int(match.group(1)), match.group(2)
    if unit == "wd":
        return add_working_days(today, count, working_days)
    return today + timedelta(days=count * (7 if unit == "w" else 1))


def _is_weekday_word(word: str) -> bool:
    full = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    return word in _WEEKDAY_NAMES or word in full
