"""The weekly report as recurring work: one post per circle per week, on its configured day and time."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from domain.circle import WEEKDAYS, Circle
from domain.recurring import Occurrence
from domain.reports.period import last_full_week

WEEKLY_REPORT = "reports.weekly"
# A report posted a day late still tells the week's story; later than that the next one is near.
CATCH_UP = timedelta(days=1)


class WeeklyReportSchedule:
    """Implements domain.recurring.RecurringSchedule for `report.weekly` of circles.yaml."""

    @property
    def name(self) -> str:
        return WEEKLY_REPORT

    def occurrences(self, circle: Circle, start: datetime, end: datetime) -> Iterator[Occurrence]:
        """Every weekly post due in [start, end); each reports the Monday-Sunday week before it."""
        policy = circle.report
        if not policy.weekly_enabled:
            return
        zone = ZoneInfo(circle.time_zone)
        day = start.astimezone(zone).date() - timedelta(days=1)
        while (due := _local(day, policy.weekly_at, zone)) < end:
            if day.weekday() == policy.weekly_day and due >= start:
                week = last_full_week(due, circle.time_zone).current
                monday = week.start.astimezone(zone).date()
                yield Occurrence(
                    kind=WEEKLY_REPORT,
                    key=f"{WEEKLY_REPORT}:{circle.name}:{monday.isoformat()}",
                    due_at=due,
                    payload={"circle": circle.name, "week_of": monday.isoformat()},
                    catch_up_until=due + CATCH_UP,
                    description=(
                        f"the weekly report of {circle.name} ({WEEKDAYS[policy.weekly_day]} "
                        f"{policy.weekly_at:%H:%M} {circle.time_zone})"
                    ),
                )
            day += timedelta(days=1)


def _local(day: date, at: time, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)
