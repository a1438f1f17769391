"""The report in words, shared by the card, the command line and the dashboard."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar

from domain.circle import Severity
from domain.incidents.sla import humanize
from domain.reports.load import SLEEP, PersonLoad
from domain.reports.metrics import Breach, ClockFigures, IncidentFigures
from domain.reports.postmortems import PostmortemFigures
from domain.reports.report import CircleReport
from domain.reports.teamwork import TeamworkFigures

T = TypeVar("T")


def headline(report: CircleReport) -> list[tuple[str, str]]:
    """(label, value) pairs: the period's figures, each with the previous period's where it changed."""
    return _headline(report.current, report.previous, report.postmortems) + teamwork_lines(
        report.teamwork, report.previous_teamwork
    )


def teamwork_lines(figures: TeamworkFigures, before: TeamworkFigures | None = None) -> list[tuple[str, str]]:
    """Stand-ups, activity feedback, WIP age and overdue activities, as compact (label, value) pairs,
    each rate and count with the previous period's (`before`) where that period had any.

    A circle without a stand-up has no stand-up line; one with no activity in progress, no WIP line.
    WIP age is as of now, so it has no "before".
    """
    facts = []
    if figures.has_standup:
        answered = share(figures.standups_answered, figures.standups_expected)
        was = _share_was(
            figures.participation, (before.standups_answered, before.standups_expected) if before else None
        )
        facts.append(
            (
                "Stand-ups",
                f"{answered} answered{was} · "
                f"blockers {figures.blockers_raised} raised, {figures.blockers_solved} solved",
            )
        )
    feedback = share(figures.feedback_days, figures.wip_days)
    was = _share_was(figures.feedback_compliance, (before.feedback_days, before.wip_days) if before else None)
    facts.append(("Activity feedback", f"{feedback} of WIP days{was}" if figures.wip_days else "no WIP days"))
    ages = [m for m in figures.members if m.wip_age_days is not None]
    if ages:
        oldest = sorted(ages, key=lambda m: (-(m.wip_age_days or 0), m.name))
        facts.append(("WIP age", " · ".join(f"{m.name} {m.wip_ref} {days(m.wip_age_days)}" for m in oldest)))
    overdue, overdue_before = figures.overdue_activities, before.overdue_activities if before else None
    facts.append(("Overdue activities", f"{overdue}{_was(overdue, overdue_before, str)}"))
    return facts


def _share_was(rate: float | None, before: tuple[int, int] | None) -> str:
    """ " (before: 60% (3/5))", " (same as before)", or nothing when the previous period had nothing to count."""
    if before is None or not before[1]:
        return ""
    if rate is not None and round(rate, 2) == round(before[0] / before[1], 2):
        return " (same as before)"
    return f" (before: {share(*before)})"


def share(part: int, whole: int) -> str:
    """ "75% (6/8)"; "—" when there is nothing to count."""
    return f"{part / whole:.0%} ({part}/{whole})" if whole else "—"


def days(count: int | None) -> str:
    return "—" if count is None else f"{count} day{'' if count == 1 else 's'}"


def breach_line(breach: Breach) -> str:
    """ "INC-2 P1 · resolve 1h late — Checkout returns 500"."""
    counting = " and counting" if breach.ongoing else ""
    return f"{breach.key} {breach.severity} · {breach.clock} {minutes(breach.minutes)} late{counting} — {breach.title}"


def night_line(person: PersonLoad) -> str:
    """ "Marco Bianchi: 2 pages, 1h 30m on incidents (Europe/Rome)"."""
    pages = person.pages[SLEEP]
    return (
        f"{person.name}: {pages} page{'' if pages == 1 else 's'}, {minutes(person.minutes[SLEEP])} on incidents "
        f"({person.time_zone})"
    )


def minutes(value: float) -> str:
    """Minutes as "1h 7m"; "0m" for none."""
    return humanize(timedelta(minutes=value)) if value else "0m"


def duration(value: timedelta | None) -> str:
    return "—" if value is None else humanize(value)


def _headline(now: IncidentFigures, before: IncidentFigures, postmortems: PostmortemFigures) -> list[tuple[str, str]]:
    facts = [
        (
            "Incidents",
            f"{now.total} ({now.manual} manual, {now.from_alerts} from alerts){_was(now.total, before.total, str)}",
        ),
        ("By severity", " · ".join(f"{s} {now.by_severity[s]}" for s in Severity if s in now.by_severity) or "—"),
        ("MTTA", duration(now.mtta) + _was(now.mtta, before.mtta, duration)),
        ("MTTR", duration(now.mttr) + _was(now.mttr, before.mttr, duration)),
        ("SLA met", f"ack {_ratio(now.sla.get('acknowledge'))} · resolve {_ratio(now.sla.get('resolve'))}"),
        (
            "Minutes in breach",
            minutes(now.breach_minutes) + _was(now.breach_minutes, before.breach_minutes, minutes),
        ),
    ]
    if any(now.escalations_per_step):
        steps = " · ".join(f"step {i + 1}: {n}" for i, n in enumerate(now.escalations_per_step))
        facts.append(("Escalations", steps))
    updates = now.stakeholder_on_time + now.stakeholder_late + now.stakeholder_missed
    if updates:
        facts.append(
            (
                "Stakeholder updates",
                f"{now.stakeholder_on_time} on time · {now.stakeholder_late} late · {now.stakeholder_missed} missed",
            )
        )
    facts.append(
        (
            "Postmortems",
            f"{postmortems.triggered} triggered · {postmortems.started} started · {postmortems.closed} closed · "
            f"{postmortems.overdue_actions} overdue actions",
        )
    )
    return facts


def _was(now: T | None, before: T | None, show: Callable[[T], str]) -> str:
    if before is None or before == now:
        return "" if before is None else " (same as before)"
    return f" (before: {show(before)})"


def _ratio(clock: ClockFigures | None) -> str:
    if clock is None or clock.met_ratio is None:
        return "—"
    return f"{clock.met_ratio:.0%} ({clock.met}/{clock.met + clock.breached})"
