"""The incident report the handbook asks for: what happened, actions taken, root cause, SLA outcome."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from domain.circle import SlaPolicy
from domain.incidents.model import Incident, IncidentStatus, TimelineEntry
from domain.incidents.sla import SlaState, acknowledge_clock, resolve_clock
from domain.incidents.triggers import TriggerFired


@dataclass(frozen=True)
class IncidentReport:
    incident: Incident
    time_to_acknowledge: timedelta | None
    time_to_resolve: timedelta | None
    acknowledge_sla: SlaState
    resolve_sla: SlaState
    triggers: tuple[TriggerFired, ...]
    timeline: tuple[TimelineEntry, ...]

    @property
    def sla_met(self) -> bool:
        return self.acknowledge_sla is SlaState.MET and self.resolve_sla is SlaState.MET

    @property
    def postmortem_suggested(self) -> bool:
        return bool(self.triggers)


def build_report(incident: Incident, policy: SlaPolicy, triggers: list[TriggerFired]) -> IncidentReport:
    """Facts for a resolved incident; the timeline keeps every entry, chat included."""
    ack, res = acknowledge_clock(incident, policy), resolve_clock(incident, policy)
    now = incident.resolved_at or incident.declared_at
    return IncidentReport(
        incident=incident,
        time_to_acknowledge=ack.elapsed(),
        time_to_resolve=res.elapsed(),
        acknowledge_sla=ack.state(now),
        resolve_sla=res.state(now),
        triggers=tuple(triggers),
        timeline=tuple(incident.timeline),
    )


IDENTIFIED_NOTE = f"Status: {IncidentStatus.IDENTIFIED} — "


def root_cause_of(incident: Incident) -> str | None:
    """The root cause given at resolution, else the note written when the incident was marked identified."""
    if incident.root_cause:
        return incident.root_cause
    notes = [e.text for e in incident.timeline if e.kind == "status" and e.text.startswith(IDENTIFIED_NOTE)]
    return notes[-1][len(IDENTIFIED_NOTE) :].strip() or None if notes else None
