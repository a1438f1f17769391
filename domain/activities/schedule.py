"""When activity work falls due, as recurring schedules for the shared planner (domain/recurring.py).

The feedback request goes to each member at the circle's `feedback` time on its days, in the member's
own zone when they have one (else the circle's); the
morning check (missing-feedback ladder, deadline risk) runs once per circle on the same days.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from domain.circle import Circle, Role
from domain.recurring import Occurrence

FEEDBACK_REQUEST_TIMER = "activities.feedback_request"
DAILY_CHECK_TIMER = "activities.daily_check"


def _local_days(time_zone: str, start: datetime, end: datetime) -> Iterator[date]:
    zone = ZoneInfo(time_zone)
    day = start.astimezone(zone).date() - timedelta(days=1)
    last = end.astimezone(zone).date() + timedelta(days=1)
    while day <= last:
        yield day
        day += timedelta(days=1)


def _at(day: date, moment: time, time_zone: str) -> datetime:
    return datetime.combine(day, moment, tzinfo=ZoneInfo(time_zone)).astimezone(UTC)


def _end_of_day(day: date, time_zone: str) -> datetime:
    return _at(day + timedelta(days=1), time(0, 0), time_zone)


class FeedbackRequests:
    """Per member and working day: "how did your activity go today?" (handbook: daily feedback)."""

    name = "activities.feedback-request"

    def occurrences(self, circle: Circle, start: datetime, end: datetime) -> Iterable[Occurrence]:
        schedule = circle.feedback
        if schedule is None or not schedule.enabled:
            return
        due: list[Occurrence] = []
        for member in circle.members:
            if member.role is Role.STAKEHOLDER:
                continue
            # The end of *their* working day: a member abroad is asked at the feedback time where they are.
            zone = member.time_zone or circle.time_zone
            for day in _local_days(zone, start, end):
                if day.weekday() not in schedule.days:
                    continue
                at = _at(day, schedule.at, zone)
                if not start <= at < end:
                    continue
                due.append(
                    Occurrence(
                        kind=FEEDBACK_REQUEST_TIMER,
                        key=f"activities:feedback:{circle.name}:{member.handle}:{day.isoformat()}",
                        due_at=at,
                        payload={"circle": circle.name, "member": member.handle, "day": day.isoformat()},
                        catch_up_until=_end_of_day(day, zone),
                        description=f"the {day.isoformat()} feedback request to {member.display_name} ({zone} time)",
                    )
                )
        yield from sorted(due, key=lambda occurrence: occurrence.due_at)  # stable: members keep their order


class DailyActivityCheck:
    """Per circle and working day, in the morning: the missing-feedback ladder and deadline risk."""

    name = "activities.daily-check"

    def occurrences(self, circle: Circle, start: datetime, end: datetime) -> Iterable[Occurrence]:
        schedule = circle.feedback
        if schedule is None or not schedule.enabled:
            return
        for day in _local_days(circle.time_zone, start, end):
            if day.weekday() not in schedule.days:
                continue
            due = _at(day, circle.activities.check_at, circle.time_zone)
            if start <= due < end:
                yield Occurrence(
                    kind=DAILY_CHECK_TIMER,
                    key=f"activities:check:{circle.name}:{day.isoformat()}",
                    due_at=due,
                    payload={"circle": circle.name, "day": day.isoformat()},
                    catch_up_until=_end_of_day(day, circle.time_zone),
                    description=f"the {day.isoformat()} activity check of {circle.name}",
                )


SCHEDULES = (FeedbackRequests(), DailyActivityCheck())
