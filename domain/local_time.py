"""One clock for every time a person reads: local to the circle (or member) and saying which zone.

An engineer woken at 3 a.m. must never convert time zones in their head, nor guess whether a
time is UTC. So every time the bot shows is in the reader's zone with its abbreviation, "15:16 CET",
and every date has one style, "Tue 1 Dec" (the year only when it is not the current one).
Abbreviations come from the IANA database (zoneinfo), so they follow daylight saving: the same
zone reads "CET" in winter and "CEST" in summer.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


@lru_cache(maxsize=64)
def zone_named(name: str) -> ZoneInfo:
    """The IANA zone with this name; UTC for an unknown or empty name (config validation rejects those)."""
    try:
        return ZoneInfo(name) if name else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def zone_label(moment: datetime, zone: tzinfo) -> str:
    """The zone's abbreviation at that moment: "CET", "CEST", "UTC"; "UTC+05:30" where none exists."""
    local = _aware(moment).astimezone(zone)
    name = local.tzname() or ""
    if name and name[0] not in "+-":
        return name
    # Zones without a letter abbreviation (tzdata writes "-03", "+0530"): say the offset from UTC.
    offset = local.utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    sign = "+" if minutes >= 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return "UTC" if minutes == 0 else f"UTC{sign}{hours:02d}:{rest:02d}"


def format_time(moment: datetime, zone: tzinfo) -> str:
    """Time of day with its zone, for a moment whose day is clear from context: "15:16 CET"."""
    local = _aware(moment).astimezone(zone)
    return f"{local:%H:%M} {zone_label(moment, zone)}"


def format_date(day: date, today: date | None = None) -> str:
    """A calendar day: "Tue 1 Dec", with the year when it differs from `today` (or no today is given)."""
    year = "" if today is not None and today.year == day.year else f" {day.year}"
    return f"{day:%a} {day.day} {day:%b}{year}"


def format_moment(moment: datetime, zone: tzinfo, now: datetime | None = None) -> str:
    """Day and time with the zone: "Tue 1 Dec 15:16 CET"; the year when not `now`'s (always without `now`)."""
    local = _aware(moment).astimezone(zone)
    today = _aware(now).astimezone(zone).date() if now is not None else None
    return f"{format_date(local.date(), today)} {format_time(moment, zone)}"


def format_when(moment: datetime, zone: tzinfo, now: datetime) -> str:
    """The shortest unambiguous form for a live card: "15:16 CET" today, "Wed 2 Dec 09:00 CET" otherwise."""
    if _aware(moment).astimezone(zone).date() == _aware(now).astimezone(zone).date():
        return format_time(moment, zone)
    return format_moment(moment, zone, now)


def _aware(moment: datetime) -> datetime:
    # Stored times are UTC; a naive one (SQLite drops tzinfo) is read as UTC, never as local time.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
