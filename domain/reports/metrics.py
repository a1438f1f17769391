"""The incident figures of a period, each defined once (README "Reports: definitions").

Every figure counts the incidents *declared* in the period, with everything known about them
when the report is made (`now`): an incident declared on the 30th and resolved on the 2nd
counts in the month it was declared, with its real time to resolve.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from domain.circle import Severity, SlaPolicy
from domain.incidents.model import Source
from domain.reports.facts import IncidentFacts
from domain.reports.period import Period

ACKNOWLEDGE, RESOLVE = "acknowledge", "resolve"
CLOCKS = (ACKNOWLEDGE, RESOLVE)
WORST_BREACHES = 3


@dataclass(frozen=True)
class ClockFigures:
    """One SLA clock over the period: met, breached (late or still running past the deadline), pending."""

    met: int = 0
    breached: int = 0
    pending: int = 0
    breach_minutes: float = 0.0

    @property
    def met_ratio(self) -> float | None:
        """Met among the decided (met + breached); None when nothing is decided yet."""
        decided = self.met + self.breached
        return self.met / decided if decided else None


@dataclass(frozen=True)
class Breach:
    """How far one incident went past one SLA deadline."""

    key: str
    title: str
    severity: Severity
    clock: str
    minutes: float
    ongoing: bool


@dataclass(frozen=True)
class IncidentFigures:
    total: int = 0
    manual: int = 0
    from_alerts: int = 0
    by_severity: Mapping[Severity, int] = field(default_factory=dict)
    by_service: Mapping[str, int] = field(default_factory=dict)
    acknowledged: int = 0
    resolved: int = 0
    mtta: timedelta | None = None
    mttr: timedelta | None = None
    sla: Mapping[str, ClockFigures] = field(default_factory=dict)
    worst_breaches: tuple[Breach, ...] = ()
    # Index i: incidents that reached escalation step i + 1.
    escalations_per_step: tuple[int, ...] = ()
    stakeholder_on_time: int = 0
    stakeholder_late: int = 0
    stakeholder_missed: int = 0

    @property
    def breach_minutes(self) -> float:
        """Cumulative minutes past a deadline, both clocks together."""
        return sum(clock.breach_minutes for clock in self.sla.values())

    @property
    def breaches(self) -> int:
        return sum(clock.breached for clock in self.sla.values())


def incident_figures(
    facts: Iterable[IncidentFacts],
    sla: Mapping[Severity, SlaPolicy],
    period: Period,
    now: datetime,
    *,
    escalation_steps: int = 0,
) -> IncidentFigures:
    """The figures of the incidents declared in `period`, judged against the circle's `sla`."""
    chosen = [f for f in facts if period.contains(f.declared_at)]
    acknowledged = [f.acknowledged_at - f.declared_at for f in chosen if f.acknowledged_at is not None]
    resolved = [f.resolved_at - f.declared_at for f in chosen if f.resolved_at is not None]
    clocks: dict[str, list[tuple[IncidentFacts, datetime, datetime | None]]] = {ACKNOWLEDGE: [], RESOLVE: []}
    for incident in chosen:
        policy = sla[incident.severity]
        clocks[ACKNOWLEDGE].append((incident, incident.declared_at + policy.acknowledge, incident.acknowledged_at))
        clocks[RESOLVE].append((incident, incident.declared_at + policy.resolve, incident.resolved_at))
    sla_figures, breaches = {}, []
    for name, entries in clocks.items():
        figures, found = _clock(name, entries, now)
        sla_figures[name] = figures
        breaches.extend(found)
    on_time, late, missed = _stakeholder_updates(chosen, sla, now)
    steps = max([escalation_steps, *(len(f.escalations) for f in chosen)])
    return IncidentFigures(
        total=len(chosen),
        manual=sum(1 for f in chosen if f.source is Source.MANUAL),
        from_alerts=sum(1 for f in chosen if f.source is Source.ALERT),
        by_severity={s: n for s in Severity if (n := sum(1 for f in chosen if f.severity is s))},
        by_service=dict(Counter(f.service or "(no service)" for f in chosen).most_common()),
        acknowledged=len(acknowledged),
        resolved=len(resolved),
        mtta=_mean(acknowledged),
        mttr=_mean(resolved),
        sla=sla_figures,
        worst_breaches=tuple(sorted(breaches, key=lambda b: -b.minutes)[:WORST_BREACHES]),
        escalations_per_step=tuple(sum(1 for f in chosen if len(f.escalations) > i) for i in range(steps)),
        stakeholder_on_time=on_time,
        stakeholder_late=late,
        stakeholder_missed=missed,
    )


def figures_by_severity(
    facts: Sequence[IncidentFacts], sla: Mapping[Severity, SlaPolicy], period: Period, now: datetime
) -> dict[Severity, IncidentFigures]:
    """The same figures for each severity that had incidents in the period."""
    result = {}
    for severity in Severity:
        subset = [f for f in facts if f.severity is severity]
        figures = incident_figures(subset, sla, period, now)
        if figures.total:
            result[severity] = figures
    return result


def _clock(
    name: str, entries: list[tuple[IncidentFacts, datetime, datetime | None]], now: datetime
) -> tuple[ClockFigures, list[Breach]]:
    met = breached = pending = 0
    minutes = 0.0
    breaches = []
    for incident, deadline, stopped_at in entries:
        end = stopped_at if stopped_at is not None else now
        if end <= deadline:
            if stopped_at is None:
                pending += 1
            else:
                met += 1
            continue
        breached += 1
        late = (end - deadline).total_seconds() / 60
        minutes += late
        breaches.append(Breach(incident.key, incident.title, incident.severity, name, late, stopped_at is None))
    return ClockFigures(met, breached, pending, minutes), breaches


def _stakeholder_updates(
    incidents: list[IncidentFacts], sla: Mapping[Severity, SlaPolicy], now: datetime
) -> tuple[int, int, int]:
    """(on time, late, missed): each update against the cadence since the previous one (or the declaration).

    `missed` counts incidents whose last cadence ran out before they were resolved (or by now)
    with no update after it.
    """
    on_time = late = missed = 0
    for incident in incidents:
        cadence = sla[incident.severity].stakeholder_update
        if not incident.business_impact or cadence is None:
            continue
        previous = incident.declared_at
        for sent in sorted(incident.stakeholder_updates):
            if sent - previous <= cadence:
                on_time += 1
            else:
                late += 1
            previous = sent
        end = incident.resolved_at or now
        if end - previous > cadence:
            missed += 1
    return on_time, late, missed


def _mean(durations: list[timedelta]) -> timedelta | None:
    if not durations:
        return None
    return sum(durations, timedelta(0)) / len(durations)
