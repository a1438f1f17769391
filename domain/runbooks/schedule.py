"""The weekly runbook check, as a recurring schedule for the shared planner (domain/recurring.py)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from domain.circle import WEEKDAYS, Circle
from domain.recurring import Occurrence

RUNBOOK_CHECK_TIMER = "runbooks.weekly_check"
# A weekly check read on the same day is still useful; the next week's run covers the rest.
CHECK_GRACE = timedelta(hours=12)


class WeeklyRunbookCheck:
    """Once a week per circle with services, at `runbooks.check` (default Monday 09:00, circle time)."""

    name = "runbooks.weekly-check"

    def occurrences(self, circle: Circle, start: datetime, end: datetime) -> Iterator[Occurrence]:
        if not circle.services:
            return
        policy = circle.runbooks
        zone = ZoneInfo(circle.time_zone)
        day = start.astimezone(zone).date() - timedelta(days=1)
        while (due := datetime.combine(day, policy.check_at, tzinfo=zone)) < end:
            if day.weekday() == policy.check_day and due >= start:
                yield Occurrence(
                    kind=RUNBOOK_CHECK_TIMER,
                    key=f"runbooks:check:{circle.name}:{day.isoformat()}",
                    due_at=due.astimezone(UTC),
                    payload={"circle": circle.name, "day": day.isoformat()},
                    catch_up_until=(due + CHECK_GRACE).astimezone(UTC),
                    description=f"the weekly runbook check of {circle.name} ({WEEKDAYS[day.weekday()]} "
                    f"{day.isoformat()} {policy.check_at:%H:%M} {circle.time_zone})",
                )
            day += timedelta(days=1)


SCHEDULES = (WeeklyRunbookCheck(),)
