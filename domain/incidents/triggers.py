"""The handbook's postmortem triggers, evaluated from incident facts."""

from __future__ import annotations

from dataclasses import dataclass

from domain.circle import PostmortemPolicy
from domain.incidents.model import Incident, Source


@dataclass(frozen=True)
class TriggerFired:
    name: str
    reason: str


def evaluate_triggers(incident: Incident, *, similar_recent: int, policy: PostmortemPolicy) -> list[TriggerFired]:
    """Which triggers fired and why; `similar_recent` counts this incident and its look-alikes."""
    fired = []
    if incident.data_loss:
        fired.append(TriggerFired("data loss", "data was lost"))
    if incident.oncall_intervened:
        fired.append(TriggerFired("on-call intervention", "the on-call engineer had to intervene"))
    if incident.business_impact:
        fired.append(TriggerFired("business impact", "customers or the business were affected"))
    if incident.source is Source.MANUAL:
        fired.append(
            TriggerFired("monitoring failure", f"declared by {incident.declared_by}, not by an alert from monitoring")
        )
    if similar_recent >= policy.recurrence_count:
        days = policy.recurrence_window.days
        what = f"alert {incident.alert_fingerprint}" if incident.alert_fingerprint else f"service {incident.service}"
        fired.append(TriggerFired("recurring event", f"{similar_recent} incidents for {what} in the last {days} days"))
    return fired
