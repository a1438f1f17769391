"""Moments as people type them in chat: "2026-12-01 18:00", "tomorrow 18:00", "mon 09:00", "18:00".

Local to the circle's time zone, returned in UTC. A bare "HH:MM" means today; everything else
names its day.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from domain.circle import WEEKDAYS


class OnCallError(ValueError):
    """A rota request that cannot be honoured; the message says what to do instead."""


MOMENT_EXAMPLES = '"2026-12-01 18:00", "tomorrow 18:00", "mon 09:00" or "18:00" (today)'

_TIME = re.compile(r"([01]?\d|2[0-3])[:.]([0-5]\d)")
_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_DATE_TIME = re.compile(r"(\d{4}-\d{2}-\d{2})[Tt](\S+)")


@dataclass(frozen=True)
class Moment:
    """A parsed moment, and whether the person named its day or only a time of day."""

    at: datetime
    words: int
    day_given: bool


def parse_moment(words: list[str], zone: ZoneInfo, now: datetime) -> Moment:
    """Read one moment from the start of `words`; OnCallError names what is accepted."""
    if not words:
        raise OnCallError(f"a time is missing; write it like {MOMENT_EXAMPLES}")
    first = words[0].lower()
    local_today = now.astimezone(zone).date()
    if first == "now":
        return Moment(now.astimezone(UTC), 1, True)
    if joined := _DATE_TIME.fullmatch(first):
        return Moment(_at(_date(joined.group(1)), _time(joined.group(2)), zone), 1, True)
    day = _day(first, local_today)
    if day is not None:
        if len(words) < 2 or not _TIME.fullmatch(words[1]):
            if _DATE.fullmatch(first):
                return Moment(_at(day, time(0, 0), zone), 1, True)
            raise OnCallError(f"`{words[0]}` needs a time after it, like `{words[0]} 09:00`")
        return Moment(_at(day, _time(words[1]), zone), 2, True)
    if _TIME.fullmatch(first):
        return Moment(_at(local_today, _time(first), zone), 1, False)
    raise OnCallError(f"`{words[0]}` is not a time; write it like {MOMENT_EXAMPLES}")


def parse_period(words: list[str], zone: ZoneInfo, now: datetime) -> tuple[datetime, datetime, list[str]]:
    """`<from> <to>` at the start of `words`, and the words after them.

    A `to` given as a bare time at or before `from` means that time on the next day, so
    "18:00 09:00" covers the night.
    """
    start = parse_moment(words, zone, now)
    rest = words[start.words :]
    if not rest:
        raise OnCallError(f"an end time is missing; write it like {MOMENT_EXAMPLES}")
    end = parse_moment(rest, zone, now)
    end_at = end.at
    if not end.day_given and end_at <= start.at:
        local_start = start.at.astimezone(zone)
        local_end = end_at.astimezone(zone).timetz().replace(tzinfo=None)
        day = local_start.date() + timedelta(days=0 if local_end > local_start.time() else 1)
        end_at = _at(day, local_end, zone)
    return start.at, end_at, rest[end.words :]


def _day(word: str, today: date) -> date | None:
    if word == "today":
        return today
    if word == "tomorrow":
        return today + timedelta(days=1)
    if word[:3] in WEEKDAYS and word in (word[:3], _full_weekday(word[:3])):
        return today + timedelta(days=(WEEKDAYS.index(word[:3]) - today.weekday()) % 7)
    if _DATE.fullmatch(word):
        return _date(word)
    return None


def _full_weekday(short: str) -> str:
    return ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")[WEEKDAYS.index(short)]


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise OnCallError(f"`{text}` is not a date; write it as YYYY-MM-DD, like 2026-12-01") from None


def _time(text: str) -> time:
    match = _TIME.fullmatch(text)
    if not match:
        raise OnCallError(f"`{text}` is not a time of day; write it as HH:MM, like 18:00")
    return time(int(match.group(1)), int(match.group(2)))


def _at(day: date, clock_time: time, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, clock_time, tzinfo=zone).astimezone(UTC)
