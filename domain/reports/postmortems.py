"""Postmortem figures of a period: triggered, decided, started, closed, and corrective actions."""

from __future__ import annotations

import sys
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from domain.circle import PostmortemPolicy
from domain.incidents.model import Incident
from domain.incidents.triggers import evaluate_triggers
from domain.reports.facts import ActionFacts, IncidentFacts, PostmortemFacts
from domain.reports.period import Period


@dataclass(frozen=True)
class PostmortemFigures:
    triggered: int = 0
    decided_start: int = 0
    decided_not_needed: int = 0
    started: int = 0
    closed: int = 0
    open_actions: int = 0
    overdue_actions: int = 0


def postmortem_figures(
    incidents: Sequence[IncidentFacts],
    postmortems: Iterable[PostmortemFacts],
    actions: Iterable[ActionFacts],
    policy: PostmortemPolicy,
    period: Period,
    *,
    today: date,
) -> PostmortemFigures:
    """`today` is the circle's local date at the end of the period (or now): actions due before it are overdue."""
    resolved = [f for f in incidents if period.contains(f.declared_at) and f.resolved_at is not None]
    recurrence = _Recurrence(incidents)
    triggered = sum(
        1
        for f in resolved
        if evaluate_triggers(
            _as_incident(f), similar_recent=recurrence.similar(f, policy.recurrence_window), policy=policy
        )
    )
    postmortems = list(postmortems)
    end = period.end
    open_actions = [a for a in actions if a.added_at < end and (a.done_at is None or a.done_at >= end)]
    return PostmortemFigures(
        triggered=triggered,
        decided_start=sum(1 for f in resolved if f.postmortem_decision == "start"),
        decided_not_needed=sum(1 for f in resolved if f.postmortem_decision == "not_needed"),
        started=sum(1 for p in postmortems if period.contains(p.started_at)),
        closed=sum(1 for p in postmortems if p.closed_at is not None and period.contains(p.closed_at)),
        open_actions=len(open_actions),
        overdue_actions=sum(1 for a in open_actions if a.due < today),
    )


def open_actions_at(actions: Iterable[ActionFacts], moments: Sequence[datetime]) -> list[int]:
    """The burn-down: how many corrective actions were open (added, not done) at each moment."""
    actions = list(actions)
    return [sum(1 for a in actions if a.added_at <= at and (a.done_at is None or a.done_at > at)) for at in moments]


class _Recurrence:
    """Counts look-alikes fast: per service and per alert fingerprint, the declaration times in order."""

    def __init__(self, incidents: Sequence[IncidentFacts]) -> None:
        self._by: dict[tuple[str, str], list[tuple[datetime, int]]] = {}
        for f in sorted(incidents, key=lambda f: f.declared_at):
            for key in self._keys(f):
                self._by.setdefault(key, []).append((f.declared_at, f.number))

    def similar(self, incident: IncidentFacts, window: timedelta) -> int:
        """Incidents of the same service or alert within `window` before it, itself included (at least 1)."""
        since, until = incident.declared_at - window, incident.declared_at
        numbers: set[int] = set()
        for key in self._keys(incident):
            moments = self._by.get(key, [])
            low = bisect_left(moments, (since, -1))
            high = bisect_right(moments, (until, sys.maxsize))
            numbers.update(number for _, number in moments[low:high])
        return len(numbers) or 1

    @staticmethod
    def _keys(incident: IncidentFacts) -> list[tuple[str, str]]:
        keys = []
        if incident.service is not None:
            keys.append(("service", incident.service))
        if incident.alert_fingerprint is not None:
            keys.append(("alert", incident.alert_fingerprint))
        return keys


def _as_incident(facts: IncidentFacts) -> Incident:
    """Just enough of an incident for the handbook's trigger rules (domain.incidents.triggers)."""
    return Incident(
        number=facts.number,
        circle=facts.circle,
        title=facts.title,
        severity=facts.severity,
        declared_by="monitoring" if facts.source.value == "alert" else "a person",
        declared_at=facts.declared_at,
        business_impact=facts.business_impact,
        data_loss=facts.data_loss,
        source=facts.source,
        service=facts.service,
        alert_fingerprint=facts.alert_fingerprint,
        oncall_intervened=facts.oncall_intervened,
    )
