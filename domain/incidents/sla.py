"""SLA clocks: when an incident must be acknowledged and resolved, and how close it is."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from domain.circle import Circle, EscalationStep, SlaPolicy
from domain.incidents.model import Incident
from domain.local_time import format_when

# Teams cards and the handbook's "warned before breach": the warning comes at 80 % of the budget.
WARNING_FRACTION = 0.8


class SlaState(StrEnum):
    ON_TRACK = "on track"
    AT_RISK = "at risk"
    BREACHED = "breached"
    MET = "met"
    MISSED = "missed"


@dataclass(frozen=True)
class SlaClock:
    """One deadline (acknowledge or resolve) measured from declaration."""

    name: str
    started_at: datetime
    budget: timedelta
    stopped_at: datetime | None

    @property
    def deadline(self) -> datetime:
        return self.started_at + self.budget

    @property
    def warn_at(self) -> datetime:
        return self.started_at + self.budget * WARNING_FRACTION

    def state(self, now: datetime) -> SlaState:
        if self.stopped_at is not None:
            return SlaState.MET if self.stopped_at <= self.deadline else SlaState.MISSED
        if now >= self.deadline:
            return SlaState.BREACHED
        if now >= self.warn_at:
            return SlaState.AT_RISK
        return SlaState.ON_TRACK

    def remaining(self, now: datetime) -> timedelta:
        """Time left (negative once breached)."""
        return self.deadline - now

    def elapsed(self) -> timedelta | None:
        """How long it took, once stopped."""
        return None if self.stopped_at is None else self.stopped_at - self.started_at


def acknowledge_clock(incident: Incident, policy: SlaPolicy) -> SlaClock:
    return SlaClock("acknowledge", incident.declared_at, policy.acknowledge, incident.acknowledged_at)


def resolve_clock(incident: Incident, policy: SlaPolicy) -> SlaClock:
    return SlaClock("resolve", incident.declared_at, policy.resolve, incident.resolved_at)


def escalation_schedule(incident: Incident, circle: Circle) -> tuple[tuple[datetime, EscalationStep], ...]:
    """When each step of the circle's escalation path pages for this incident, if nobody acknowledges."""
    return tuple((incident.declared_at + offset, step) for offset, step in circle.escalation_offsets(incident.severity))


def next_stakeholder_update_due(incident: Incident, policy: SlaPolicy) -> datetime | None:
    """When the next stakeholder update is due, or None when none is expected."""
    if not incident.business_impact or policy.stakeholder_update is None or not incident.is_open:
        return None
    since = incident.last_stakeholder_update_at or incident.declared_at
    return since + policy.stakeholder_update


def describe(clock: SlaClock, now: datetime, zone: ZoneInfo) -> str:
    """One line with the absolute deadline a snapshot card can keep true, and a relative hint.

    "ack by 15:30 CET (in 3m)", "ack OVERDUE since 15:30 CET (4m)", "ack met at 15:27 CET (2m)".
    A card is read minutes after it was drawn, so the absolute time leads and the hint follows.
    """
    label = "ack" if clock.name == "acknowledge" else "resolve"
    return f"{label} {deadline_text(clock, now, zone)}"


def deadline_text(clock: SlaClock, now: datetime, zone: ZoneInfo) -> str:
    """The clock's state without its name: "by 15:30 CET (in 3m)", "OVERDUE since 15:30 CET (4m)"."""
    state = clock.state(now)
    due = format_when(clock.deadline, zone, now)
    if clock.stopped_at is not None:
        took = humanize(clock.elapsed() or timedelta(0))
        return f"{state} at {format_when(clock.stopped_at, zone, now)} ({took})"
    if state is SlaState.BREACHED:
        return f"OVERDUE since {due}" + overdue_hint(now - clock.deadline)
    return f"by {due} (in {time_left(clock.remaining(now))})" + (" ⚠" if state is SlaState.AT_RISK else "")


def time_left(remaining: timedelta) -> str:
    """Whole minutes, rounded up ("4m", "3h 55m"); "<1m" in the last minute. Seconds are noise on a card."""
    if remaining < timedelta(minutes=1):
        return "<1m"
    return humanize(timedelta(minutes=-(-remaining // timedelta(minutes=1))))


def overdue_hint(late: timedelta) -> str:
    """The lateness in whole minutes, " (4m)", once a minute has passed; before that nothing, never "0s"."""
    if late < timedelta(minutes=1):
        return ""
    return f" ({humanize(timedelta(minutes=late // timedelta(minutes=1)))})"


def humanize(delta: timedelta) -> str:
    """Two most significant units: 90 s -> "1m 30s", 26 h -> "1d 2h"."""
    seconds = max(0, int(delta.total_seconds()))
    parts: list[str] = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= size or (unit == "s" and not parts):
            parts.append(f"{seconds // size}{unit}")
            seconds %= size
    return " ".join(parts[:2])
