"""The report use cases: read a circle's facts for a period through a port, compute the figures."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from domain.circle import Circle
from domain.reports.facts import ActionFacts, HandoverFacts, IncidentFacts, TeamworkFacts
from domain.reports.period import Comparison, Period
from domain.reports.ports import ReportReads
from domain.reports.report import CircleReport, build_report
from domain.reports.teamwork import period_days


async def circle_report(reads: ReportReads, circle: Circle, comparison: Comparison, now: datetime) -> CircleReport:
    """The report of `circle` for `comparison.current`, with `comparison.previous` for the change."""
    names = [circle.name]
    start = min(comparison.previous.start, comparison.current.start)
    end = max(comparison.previous.end, comparison.current.end)
    return build_report(
        circle,
        comparison,
        incidents=await reads.incidents(names, start, end),
        postmortems=await reads.postmortems(names, comparison.current.end),
        actions=await reads.actions(names, comparison.current.end),
        handovers=await reads.handovers(names, comparison.current.start, comparison.current.end),
        now=now,
        teamwork=await teamwork_facts(reads, circle, comparison.current, now),
        previous_teamwork=await teamwork_facts(reads, circle, comparison.previous, now),
    )


async def teamwork_facts(reads: ReportReads, circle: Circle, period: Period, now: datetime) -> TeamworkFacts:
    """The stand-up and activity facts of `period`: one read per kind."""
    names = [circle.name]
    first, last, today = period_days(period, now, circle.time_zone)
    cut = min(period.end, now)
    return TeamworkFacts(
        entries=tuple(await reads.standup_entries(names, first, last)),
        blockers=tuple(await reads.blockers(names, first, last)),
        aways=tuple(await reads.aways(names, first, last)),
        activities=tuple(await reads.wip_activities(names, period.start)),
        feedback=tuple(await reads.feedback(names, first, last)),
        overdue=tuple(await reads.overdue_activities(names, cut, today)),
    )


@dataclass(frozen=True)
class History:
    """The facts of several consecutive periods (the dashboard's weeks), read once."""

    periods: tuple[Period, ...]
    incidents: tuple[IncidentFacts, ...]
    actions: tuple[ActionFacts, ...]
    handovers: tuple[HandoverFacts, ...]


async def report_and_history(
    reads: ReportReads, circle: Circle, comparison: Comparison, weeks: Sequence[Period], now: datetime
) -> tuple[CircleReport, History]:
    """The dashboard's report and its weeks of charts, from one read of each kind of fact."""
    names = [circle.name]
    start = min(comparison.previous.start, comparison.current.start, weeks[0].start)
    end = max(comparison.previous.end, comparison.current.end, weeks[-1].end)
    incidents = await reads.incidents(names, start, end)
    actions = await reads.actions(names, end)
    handovers = await reads.handovers(names, start, end)
    report = build_report(
        circle,
        comparison,
        incidents=incidents,
        postmortems=await reads.postmortems(names, comparison.current.end),
        actions=[a for a in actions if a.added_at < comparison.current.end],
        handovers=handovers,
        now=now,
        teamwork=await teamwork_facts(reads, circle, comparison.current, now),
        previous_teamwork=await teamwork_facts(reads, circle, comparison.previous, now),
    )
    return report, History(tuple(weeks), tuple(incidents), tuple(actions), tuple(handovers))
