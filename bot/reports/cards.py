"""The report card: the period's headline figures against the period before, the worst SLA
breaches, who carried the night, and a link to the dashboard. Compact enough for a phone."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from bot.cards import Card, adaptive_card, fact_set, text_block
from domain.circle import Severity
from domain.reports.load import SLEEP
from domain.reports.metrics import ClockFigures, IncidentFigures
from domain.reports.period import calendar_month
from domain.reports.postmortems import PostmortemFigures
from domain.reports.report import CircleReport
from domain.sla import humanize

T = TypeVar("T")


def report_card(report: CircleReport, dashboard_url: str | None = None, *, late: str | None = None) -> Card:
    """The `/report` answer and the weekly post; `late` says why a weekly post comes late."""
    now, before = report.current, report.previous
    comparison = report.comparison
    body = [
        text_block(f"Report · {report.circle} · {comparison.current.label}", size="Medium", weight="Bolder"),
        text_block(f"Compared with {comparison.previous.label} · times in {report.time_zone}", subtle=True),
        fact_set(_headline(now, before, report.postmortems)),
    ]
    if late:
        body.insert(2, text_block(f"Posted late: {late}", subtle=True))
    if now.worst_breaches:
        body.append(text_block("Worst SLA breaches", weight="Bolder"))
        body.extend(
            text_block(
                f"{b.key} {b.severity} · {b.clock} {_minutes(b.minutes)} late{' and counting' if b.ongoing else ''}"
                f" — {b.title}",
                color="attention",
            )
            for b in now.worst_breaches
        )
    carrier = report.night_carrier
    if carrier is not None:
        body.append(text_block("Most night load (00:00–07:00 in their zone)", weight="Bolder"))
        body.append(
            text_block(
                f"{carrier.name}: {carrier.pages[SLEEP]} pages, {_minutes(carrier.minutes[SLEEP])} on incidents "
                f"({carrier.time_zone})"
            )
        )
    actions = [{"type": "Action.OpenUrl", "title": "Open dashboard", "url": dashboard_url}] if dashboard_url else []
    return adaptive_card(body, actions)


def _headline(now: IncidentFigures, before: IncidentFigures, postmortems: PostmortemFigures) -> list[tuple[str, str]]:
    facts = [
        (
            "Incidents",
            f"{now.total} ({now.manual} manual, {now.from_alerts} from alerts){_was(now.total, before.total, str)}",
        ),
        ("By severity", " · ".join(f"{s} {now.by_severity[s]}" for s in Severity if s in now.by_severity) or "—"),
        ("MTTA", _duration(now.mtta) + _was(now.mtta, before.mtta, _duration)),
        ("MTTR", _duration(now.mttr) + _was(now.mttr, before.mttr, _duration)),
        ("SLA met", f"ack {_ratio(now.sla.get('acknowledge'))} · resolve {_ratio(now.sla.get('resolve'))}"),
        (
            "Minutes in breach",
            _minutes(now.breach_minutes) + _was(now.breach_minutes, before.breach_minutes, _minutes),
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


def _duration(value: timedelta | None) -> str:
    return "—" if value is None else humanize(value)


def _minutes(value: float) -> str:
    return humanize(timedelta(minutes=value)) if value else "0m"


def _ratio(clock: ClockFigures | None) -> str:
    if clock is None or clock.met_ratio is None:
        return "—"
    return f"{clock.met_ratio:.0%} ({clock.met}/{clock.met + clock.breached})"


def _example_report(*, quiet: bool = False) -> CircleReport:
    from domain.circle import Circle, JiraBinding, Member, Role, SlaPolicy
    from domain.incident import Source
    from domain.reports.facts import IncidentFacts
    from domain.reports.report import build_report

    policy = SlaPolicy(timedelta(minutes=5), timedelta(hours=4), timedelta(minutes=30))
    circle = Circle(
        name="demo", customer="acme", project="shop", team_id="team", channel_id="channel",
        time_zone="Europe/Rome", team_leader="giulia",
        members=(Member("giulia", "Giulia Rossi", Role.TEAM_LEADER), Member("marco", "Marco Bianchi")),
        sla=dict.fromkeys(Severity, policy), jira=JiraBinding("DEMO"),
    )  # fmt: skip
    declared = datetime(2026, 11, 10, 2, 0, tzinfo=UTC)
    incidents = [] if quiet else [
        IncidentFacts(
            1, "demo", "Checkout returns 500", Severity.P1, Source.ALERT, "checkout", declared,
            declared + timedelta(minutes=12), declared + timedelta(hours=5), "marco",
            business_impact=True, stakeholder_updates=(declared + timedelta(minutes=20),),
        )
    ]  # fmt: skip
    return build_report(
        circle, calendar_month(2026, 11, "Europe/Rome"), incidents=incidents, postmortems=[], actions=[],
        handovers=[], now=datetime(2026, 12, 1, 8, tzinfo=UTC),
    )  # fmt: skip


CARD_EXAMPLES: list[tuple[str, Callable[[], Card]]] = [
    ("report_card", lambda: report_card(_example_report(), "https://bot.example.com/tabs/dashboard?t=x")),
    ("report_card (quiet month, no link)", lambda: report_card(_example_report(quiet=True))),
]
