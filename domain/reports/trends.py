"""The dashboard's weekly series: what each chart draws, computed from one read of the facts."""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.circle import Circle, Severity
from domain.reports.load import oncall_load
from domain.reports.metrics import figures_by_severity, incident_figures
from domain.reports.period import Period
from domain.reports.postmortems import open_actions_at
from domain.reports.report import working_hours
from domain.reports.service import History


@dataclass(frozen=True)
class Trends:
    """Per week (oldest first): response times per severity, incidents, breaches; the load heatmap; actions."""

    weeks: tuple[Period, ...]
    mtta_minutes: dict[Severity, list[float | None]]
    mttr_hours: dict[Severity, list[float | None]]
    incidents: dict[Severity, list[int]]
    breaches: list[int]
    breach_minutes: list[float]
    # (person's name, their zone, minutes on incidents per local hour of day) over all the weeks.
    load_by_hour: list[tuple[str, str, list[float]]]
    open_actions: list[int]


def trends(history: History, circle: Circle, now: datetime) -> Trends:
    weeks = history.periods
    # Each week's own incidents (the facts come ordered by declaration), so no week scans them all.
    declared = [f.declared_at for f in history.incidents]
    of_week = [history.incidents[bisect_left(declared, week.start) : bisect_left(declared, week.end)] for week in weeks]
    by_week = [figures_by_severity(facts, circle.sla, week, now) for facts, week in zip(of_week, weeks, strict=True)]
    overall = [incident_figures(facts, circle.sla, week, now) for facts, week in zip(of_week, weeks, strict=True)]
    span = Period(weeks[0].start, weeks[-1].end, "all weeks")
    load = oncall_load(history.incidents, history.handovers, circle, working_hours(circle), span, now)
    return Trends(
        weeks=weeks,
        mtta_minutes={
            s: [_minutes(w[s].mtta) if s in w and w[s].mtta is not None else None for w in by_week] for s in Severity
        },
        mttr_hours={
            s: [_minutes(w[s].mttr) / 60 if s in w and w[s].mttr is not None else None for w in by_week]
            for s in Severity
        },
        incidents={s: [w[s].total if s in w else 0 for w in by_week] for s in Severity},
        breaches=[f.breaches for f in overall],
        breach_minutes=[f.breach_minutes for f in overall],
        load_by_hour=[(p.name, p.time_zone, list(p.minutes_by_hour)) for p in load if not p.is_idle],
        open_actions=open_actions_at(history.actions, [min(week.end, now) for week in weeks]),
    )


def _minutes(value: timedelta | None) -> float:
    return 0.0 if value is None else value.total_seconds() / 60
