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

T = TypeVar("T")


def headline(report: CircleReport) -> list[tuple[str, str]]:
    """(label, value) pairs: the period's figures, each with the previous period's where it changed."""
    return _headline(report.current, report.previous, report.postmortems)


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
