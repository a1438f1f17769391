"""What a report is computed from: the facts of incidents, postmortems and handovers, as stored.

Storage reads these in one query per kind (no timelines, no aggregates), so every figure is
defined once, here in the domain, and tested against hand-computed values.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from domain.circle import Severity
from domain.incidents.model import Source


@dataclass(frozen=True)
class IncidentFacts:
    """One incident as a report sees it.

    `escalations` are the moments each escalation step was reached, in order (step 1 first);
    `stakeholder_updates` the moments an update was sent to the stakeholders.
    """

    number: int
    circle: str
    title: str
    severity: Severity
    source: Source
    service: str | None
    declared_at: datetime
    acknowledged_at: datetime | None
    resolved_at: datetime | None
    commander: str | None
    business_impact: bool = False
    data_loss: bool = False
    oncall_intervened: bool | None = None
    alert_fingerprint: str | None = None
    postmortem_decision: str | None = None
    escalations: tuple[datetime, ...] = ()
    stakeholder_updates: tuple[datetime, ...] = ()

    @property
    def key(self) -> str:
        return f"INC-{self.number}"


@dataclass(frozen=True)
class PostmortemFacts:
    incident_number: int
    circle: str
    status: str
    started_at: datetime
    closed_at: datetime | None


@dataclass(frozen=True)
class ActionFacts:
    """A postmortem's corrective action: added, due, done."""

    incident_number: int
    number: int
    owner: str
    added_at: datetime
    due: date
    done_at: datetime | None


@dataclass(frozen=True)
class HandoverFacts:
    """A shift handover: who took over, when the shift began, when they accepted it."""

    circle: str
    incoming: str
    shift_start: datetime
    accepted_at: datetime | None


@dataclass(frozen=True)
class StandupEntryFacts:
    """One member's stand-up of one day, as stored: `status` is an EntryStatus value, `reason` a skip's."""

    member: str
    day: date
    status: str
    reason: str = ""


@dataclass(frozen=True)
class BlockerFacts:
    """A blocker from the day it was first reported to the day it was solved (None: still open)."""

    member: str
    first_day: date
    solved_on: date | None


@dataclass(frozen=True)
class AwayFacts:
    """Time off (`/ooo`) from `start` to `end`, both included."""

    member: str
    start: date
    end: date


@dataclass(frozen=True)
class ActivityFacts:
    """An activity as reports see it: its owner, status and the moments its WIP spell is read from.

    `wip_since` is when it last went WIP and `status_changed_at` when its status last changed (for
    an activity no longer in WIP, when it left it or, for a done one, when it was approved).
    """

    id: int
    owner: str
    ref: str
    title: str
    status: str
    created_at: datetime
    started_at: datetime | None
    wip_since: datetime | None
    status_changed_at: datetime | None
    last_feedback_at: datetime | None
    deadline: date | None


@dataclass(frozen=True)
class FeedbackFacts:
    """Feedback given on an activity's card, on `day` (the circle's local day)."""

    activity_id: int
    day: date


@dataclass(frozen=True)
class TeamworkFacts:
    """Everything the stand-up and activity figures of one period are computed from."""

    entries: tuple[StandupEntryFacts, ...] = ()
    blockers: tuple[BlockerFacts, ...] = ()
    aways: tuple[AwayFacts, ...] = ()
    activities: tuple[ActivityFacts, ...] = ()
    feedback: tuple[FeedbackFacts, ...] = ()
    overdue: tuple[ActivityFacts, ...] = ()
