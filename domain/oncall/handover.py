"""Shift handover: the outgoing engineer's notes, the incoming engineer's brief, and acceptance."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from domain.circle import Circle, HandoverPolicy
from domain.incidents.model import Incident
from domain.incidents.sla import acknowledge_clock, describe, humanize, next_stakeholder_update_due, resolve_clock
from domain.local_time import format_moment, format_when, zone_named
from domain.oncall.moments import OnCallError
from domain.postmortems.model import Postmortem, PostmortemStatus
from domain.postmortems.schedule import local_date
from domain.rota import Layer

MAX_NOTES_LENGTH = 4000


class HandoverStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"


@dataclass
class Handover:
    """One shift change of one layer: `incoming` takes over from `outgoing` at `shift_start`.

    `since` is when the outgoing turn began, so the brief can list the incidents of that shift.
    """

    circle: str
    layer: Layer
    shift_start: datetime
    shift_end: datetime
    since: datetime
    outgoing: str | None
    incoming: str
    created_at: datetime
    id: int | None = None
    status: HandoverStatus = HandoverStatus.PENDING
    notes: str = ""
    notes_by: str | None = None
    notes_at: datetime | None = None
    accepted_at: datetime | None = None
    accepted_by: str | None = None
    reminded_at: datetime | None = None
    escalated_at: datetime | None = None

    @property
    def is_pending(self) -> bool:
        return self.status is HandoverStatus.PENDING

    def accept_deadline(self, policy: HandoverPolicy) -> datetime:
        """When a reminder goes out if not accepted: counted from the shift change, or from now
        when the handover was started early with `/handover`."""
        return max(self.created_at, self.shift_start) + policy.accept_within

    def escalation_due(self, policy: HandoverPolicy) -> datetime:
        return self.accept_deadline(policy) + policy.escalate_after

    def add_notes(self, by: str, at: datetime, text: str) -> None:
        """The outgoing engineer's notes; sending again replaces them."""
        text = text.strip()
        if not text:
            raise OnCallError("the notes are empty; write what the next on-call needs to know")
        if len(text) > MAX_NOTES_LENGTH:
            raise OnCallError(f"the notes have {len(text)} characters; keep them under {MAX_NOTES_LENGTH}")
        if by != self.outgoing:
            raise OnCallError("only the outgoing on-call writes the handover notes")
        self.notes, self.notes_by, self.notes_at = text, by, at

    def accept(self, by: str, at: datetime, zone: ZoneInfo | None = None) -> None:
        """The incoming engineer takes the shift over; only they can. `zone` is the reader's, for errors."""
        if by != self.incoming:
            raise OnCallError("only the incoming on-call can accept this handover")
        if not self.is_pending:
            accepted = format_moment(self.accepted_at or at, zone or zone_named("UTC"), at)
            raise OnCallError(f"this handover was already accepted at {accepted}")
        self.status, self.accepted_at, self.accepted_by = HandoverStatus.ACCEPTED, at, by


@dataclass(frozen=True)
class IncidentLine:
    """One incident as the handover brief shows it."""

    key: str
    severity: str
    title: str
    status: str
    sla: str
    commander: str | None
    stakeholder_update: str | None = None


@dataclass(frozen=True)
class ActionLine:
    """A corrective action not done yet, from a postmortem still under way."""

    key: str
    text: str
    owner: str
    due: date
    overdue: bool


@dataclass(frozen=True)
class HandoverBrief:
    """What the incoming engineer needs: open incidents, the past shift's, pending updates and actions."""

    open_incidents: tuple[IncidentLine, ...]
    during_shift: tuple[IncidentLine, ...]
    pending_updates: tuple[IncidentLine, ...]
    pending_actions: tuple[ActionLine, ...] = ()


def build_brief(
    circle: Circle,
    open_incidents: Sequence[Incident],
    during_shift: Sequence[Incident],
    now: datetime,
    postmortems: Sequence[Postmortem] = (),
) -> HandoverBrief:
    """The brief at `now`; stakeholder updates are pending for open business-impact incidents."""
    open_lines = tuple(_line(circle, incident, now) for incident in open_incidents)
    return HandoverBrief(
        open_incidents=open_lines,
        during_shift=tuple(_line(circle, incident, now) for incident in during_shift),
        pending_updates=tuple(line for line in open_lines if line.stakeholder_update),
        pending_actions=pending_actions(circle, postmortems, now),
    )


def pending_actions(circle: Circle, postmortems: Sequence[Postmortem], now: datetime) -> tuple[ActionLine, ...]:
    """Actions not done of postmortems not closed, soonest due first (a closed one's live in the tracker)."""
    today = local_date(now, circle.time_zone)
    lines = [
        ActionLine(
            key=f"{postmortem.incident_key} {action.key}",
            text=action.text,
            owner=(member.display_name if (member := circle.member(action.owner)) else action.owner),
            due=action.due,
            overdue=action.due < today,
        )
        for postmortem in postmortems
        if postmortem.status is not PostmortemStatus.CLOSED
        for action in postmortem.actions
        if not action.done
    ]
    return tuple(sorted(lines, key=lambda line: (line.due, line.key)))


def _line(circle: Circle, incident: Incident, now: datetime) -> IncidentLine:
    policy = circle.sla_for(incident.severity)
    zone = zone_named(circle.time_zone)
    clocks = (acknowledge_clock(incident, policy), resolve_clock(incident, policy))
    sla = " · ".join(describe(clock, now, zone) for clock in clocks)
    due = next_stakeholder_update_due(incident, policy)
    update = None
    if due is not None:
        when = format_when(due, zone, now)
        update = f"due {when} (in {humanize(due - now)})" if due > now else f"OVERDUE since {when}"
    member = circle.member(incident.commander) if incident.commander else None
    return IncidentLine(
        key=incident.key,
        severity=incident.severity.value,
        title=incident.title,
        status=incident.status.value,
        sla=sla,
        commander=member.display_name if member else incident.commander,
        stakeholder_update=update,
    )
