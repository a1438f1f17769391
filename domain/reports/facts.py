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
