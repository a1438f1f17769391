"""A circle's report for a period: the figures, the same figures for the period before, and the load."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from domain.circle import Circle
from domain.reports.facts import ActionFacts, HandoverFacts, IncidentFacts, PostmortemFacts, TeamworkFacts
from domain.reports.load import PersonLoad, WorkingHours, oncall_load
from domain.reports.metrics import IncidentFigures, incident_figures
from domain.reports.period import Comparison
from domain.reports.postmortems import PostmortemFigures, postmortem_figures
from domain.reports.teamwork import TeamworkFigures, teamwork_figures


@dataclass(frozen=True)
class CircleReport:
    circle: str
    time_zone: str
    comparison: Comparison
    current: IncidentFigures
    previous: IncidentFigures
    postmortems: PostmortemFigures
    load: tuple[PersonLoad, ...]
    made_at: datetime
    teamwork: TeamworkFigures
    # The same figures over the comparison's previous period; None when its facts were not read.
    previous_teamwork: TeamworkFigures | None = None

    @property
    def night_carrier(self) -> PersonLoad | None:
        """Who carried the most sleep-hour load (minutes, then pages); None when nobody was woken."""
        loaded = [p for p in self.load if p.minutes["sleep"] or p.pages["sleep"]]
        return loaded[0] if loaded else None


def working_hours(circle: Circle) -> WorkingHours:
    """The circle's business hours, as its `report:` settings and working days say."""
    return WorkingHours(circle.report.business_start, circle.report.business_end, circle.working_days)


def build_report(
    circle: Circle,
    comparison: Comparison,
    *,
    incidents: Sequence[IncidentFacts],
    postmortems: Sequence[PostmortemFacts],
    actions: Sequence[ActionFacts],
    handovers: Sequence[HandoverFacts],
    now: datetime,
    teamwork: TeamworkFacts = TeamworkFacts(),
    previous_teamwork: TeamworkFacts | None = None,
) -> CircleReport:
    """Every figure of the report; the facts must cover both periods of `comparison`."""
    current, previous = comparison.current, comparison.previous
    steps = len(circle.escalation)
    today = min(current.end, now).astimezone(ZoneInfo(circle.time_zone)).date()
    return CircleReport(
        circle=circle.name,
        time_zone=circle.time_zone,
        comparison=comparison,
        current=incident_figures(incidents, circle.sla, current, now, escalation_steps=steps),
        previous=incident_figures(incidents, circle.sla, previous, now, escalation_steps=steps),
        postmortems=postmortem_figures(incidents, postmortems, actions, circle.postmortem, current, today=today),
        load=tuple(oncall_load(incidents, handovers, circle, working_hours(circle), current, now)),
        made_at=now,
        teamwork=teamwork_figures(circle, teamwork, current, now),
        previous_teamwork=(
            teamwork_figures(circle, previous_teamwork, previous, now) if previous_teamwork is not None else None
        ),
    )
