"""The report card: the period's headline figures against the period before, the worst SLA
breaches, who carried the night, and a link to the dashboard. Compact enough for a phone."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from bot.cards import Card, adaptive_card, fact_set, text_block
from domain.circle import Severity
from domain.reports.period import calendar_month
from domain.reports.report import CircleReport
from domain.reports.summary import breach_line, headline, night_line


def report_card(report: CircleReport, dashboard_url: str | None = None, *, late: str | None = None) -> Card:
    """The `/report` answer and the weekly post; `late` says why a weekly post comes late."""
    now = report.current
    comparison = report.comparison
    body = [
        text_block(f"Report · {report.circle} · {comparison.current.label}", size="Medium", weight="Bolder"),
        text_block(f"Compared with {comparison.previous.label} · times in {report.time_zone}", subtle=True),
        fact_set(headline(report)),
    ]
    if late:
        body.insert(2, text_block(f"Posted late: {late}", subtle=True))
    if now.worst_breaches:
        body.append(text_block("Worst SLA breaches", weight="Bolder"))
        body.extend(text_block(breach_line(b), color="attention") for b in now.worst_breaches)
    carrier = report.night_carrier
    if carrier is not None:
        body.append(text_block("Most night load (00:00–07:00 in their zone)", weight="Bolder"))
        body.append(text_block(night_line(carrier)))
    actions = [{"type": "Action.OpenUrl", "title": "Open dashboard", "url": dashboard_url}] if dashboard_url else []
    return adaptive_card(body, actions)


def _example_report(*, quiet: bool = False) -> CircleReport:
    from domain.circle import Circle, JiraBinding, Member, Role, SlaPolicy
    from domain.incidents.model import Source
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
