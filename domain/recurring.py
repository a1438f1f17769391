"""Recurring work the bot owns: one planning and catch-up rule for every feature's schedule.

A feature describes *when* its work falls due as pure occurrences (shift changes, shift
reminders, stand-up prompts, feedback requests, weekly reports); the shared planner
(`adapters/schedule_planner.py`) arms each one as a durable timer under its idempotent key,
at start-up, on becoming leader, after a configuration change and periodically. An
occurrence whose time passed while no process was planning is still armed (and so fires,
late) while `catch_up_until` has not passed; beyond it, it is reported once as skipped.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Any, Protocol

from domain.local_time import format_date, format_time

if TYPE_CHECKING:
    from domain.circle import Circle
    from domain.ports import UnitOfWork

# The timer tick runs every second and a firing takes a few more; a run later than this was
# held up by something people should know about (the bot was down, restarting or deploying).
LATE_AFTER = timedelta(minutes=1)


@dataclass(frozen=True)
class Occurrence:
    """One run of a recurring schedule: timer `kind` under the unique `key`, due at `due_at` (UTC).

    `key` must name what the run announces (circle, person, local date or instant), never the
    moment it was planned, so planning the same range twice arms nothing new.
    `catch_up_until` is the last moment a run missed by a stopped bot is still worth doing
    (None: the planner's default grace). `description` names it for a person ("the 09:00
    handover of demo"), used when it is reported as late or skipped.
    """

    kind: str
    key: str
    due_at: datetime
    payload: dict[str, Any] = field(default_factory=dict)
    catch_up_until: datetime | None = None
    description: str = ""


class RecurringSchedule(Protocol):
    """A feature's recurring work, described without side effects."""

    @property
    def name(self) -> str:
        """A stable identifier, e.g. "oncall.shift-change" or "standup.prompt"."""
        ...

    def occurrences(self, circle: Circle, start: datetime, end: datetime) -> Iterable[Occurrence]:
        """Every run for `circle` due in [start, end); pure and deterministic for the same inputs."""
        ...


class SkippedWorkNotifier(Protocol):
    """Where the planner reports runs it is too late to do: the circle's Team Leader."""

    async def tell_team_leader(self, uow: UnitOfWork, circle: Circle, text: str, *, key: str) -> None:
        """Queue `text` for the Team Leader in `uow`; the same `key` is delivered once."""
        ...


def lateness(due_at: datetime, now: datetime, *, tolerance: timedelta = LATE_AFTER) -> timedelta | None:
    """How late a run at `now` is for `due_at`, or None when it is (nearly) on time."""
    late = now - due_at
    return late if late > tolerance else None


def late_note(what: str, due_at: datetime, now: datetime, zone: tzinfo) -> str | None:
    """The phrase for a late run, "the 09:00 handover, sent at 09:07 CET after a restart"; None on time.

    `what` names the run without its time ("handover", "shift reminder"); the due day is added
    when the run is sent on a later day, so a reader never mistakes which one it was.
    """
    if lateness(due_at, now) is None:
        return None
    due, sent = due_at.astimezone(zone), now.astimezone(zone)
    day = "" if due.date() == sent.date() else f" of {format_date(due.date(), sent.date())}"
    return f"the {due:%H:%M} {what}{day}, sent at {format_time(now, zone)} after a restart"
