"""When the rota's recurring work falls due: shift changes, shift reminders and the weekly rota check.

Each is a RecurringSchedule (domain/recurring.py) planned by the shared planner. Keys name what
a run announces (circle, layer, instant, person), so planning again arms nothing twice, and a
fired timer checks the rota again first, so a run made stale by an override is harmless.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from domain.circle import Circle
from domain.local_time import format_moment
from domain.oncall.model import ShiftChange, shift_changes
from domain.recurring import Occurrence, RecurringSchedule

SHIFT_CHANGE = "oncall.shift_change"
SHIFT_REMINDER = "oncall.shift_reminder"
GAP_REPORT = "oncall.gap_report"

# A handover started up to this late (after a restart) still helps the incoming engineer.
DEFAULT_SHIFT_CHANGE_GRACE = timedelta(hours=12)
GAP_REPORT_TIME = time(9, 0)  # Monday morning, circle time
# The weekly rota check is still worth reading later that day.
GAP_REPORT_GRACE = timedelta(hours=12)


@dataclass(frozen=True)
class ShiftChangeSchedule:
    """Every shift change starts its handover; a missed one still does up to `grace` late,
    but never after the incoming engineer's turn has ended."""

    grace: timedelta = DEFAULT_SHIFT_CHANGE_GRACE
    name: str = "oncall.shift-change"

    def occurrences(self, circle: Circle, start: datetime, end: datetime) -> Iterator[Occurrence]:
        for change in shift_changes(circle.rota, start, end):
            at = change.at.isoformat()
            yield Occurrence(
                kind=SHIFT_CHANGE,
                key=f"handover:{circle.name}:{change.layer}:{at}",
                due_at=change.at,
                payload={"circle": circle.name, "layer": change.layer.value, "at": at},
                catch_up_until=min(change.at + self.grace, change.until),
                description=f"the {change.layer} on-call handover of {_when(circle, change.at)}{_who(circle, change)}",
            )


@dataclass(frozen=True)
class ShiftReminderSchedule:
    """The circle's `handover.shift_reminders` before each shift; only worth sending before it starts."""

    name: str = "oncall.shift-reminder"

    def occurrences(self, circle: Circle, start: datetime, end: datetime) -> Iterator[Occurrence]:
        reminders = circle.handover.shift_reminders
        if not reminders:
            return
        for change in shift_changes(circle.rota, start, end + max(reminders)):
            at = change.at.isoformat()
            for before in reminders:
                due = change.at - before
                if not start <= due < end:
                    continue
                seconds = int(before.total_seconds())
                incoming = circle.member(change.incoming)
                yield Occurrence(
                    kind=SHIFT_REMINDER,
                    key=f"shift-reminder:{circle.name}:{change.layer}:{at}:{change.incoming}:{seconds}",
                    due_at=due,
                    payload={
                        "circle": circle.name,
                        "layer": change.layer.value,
                        "at": at,
                        "member": change.incoming,
                        "before": seconds,
                    },
                    catch_up_until=change.at,
                    description=f"the reminder to {incoming.display_name if incoming else change.incoming} "
                    f"of their {change.layer} shift from {_when(circle, change.at)}",
                )


@dataclass(frozen=True)
class GapReportSchedule:
    """Every Monday morning the Team Leader hears of rota gaps and people the bot cannot reach."""

    name: str = "oncall.gap-report"

    def occurrences(self, circle: Circle, start: datetime, end: datetime) -> Iterator[Occurrence]:
        zone = circle.rota.zone
        day = start.astimezone(zone).date()
        while (due := datetime.combine(day, GAP_REPORT_TIME, tzinfo=zone)) < end:
            if day.weekday() == 0 and due >= start:
                yield Occurrence(
                    kind=GAP_REPORT,
                    key=f"oncall-gaps:{circle.name}:{day.isoformat()}",
                    due_at=due.astimezone(UTC),
                    payload={"circle": circle.name},
                    catch_up_until=due + GAP_REPORT_GRACE,
                    description=f"the weekly rota check of {_when(circle, due)}",
                )
            day += timedelta(days=1)


def oncall_schedules(shift_change_grace: timedelta = DEFAULT_SHIFT_CHANGE_GRACE) -> list[RecurringSchedule]:
    """The rota's schedules, for the planner."""
    return [ShiftChangeSchedule(grace=shift_change_grace), ShiftReminderSchedule(), GapReportSchedule()]


def _when(circle: Circle, moment: datetime) -> str:
    return format_moment(moment, circle.rota.zone, moment)


def _who(circle: Circle, change: ShiftChange) -> str:
    incoming = circle.member(change.incoming)
    to = incoming.display_name if incoming else change.incoming
    outgoing = circle.member(change.outgoing) if change.outgoing else None
    return f" from {outgoing.display_name} to {to}" if outgoing else f" to {to}"
