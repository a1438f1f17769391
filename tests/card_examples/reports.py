"""Examples of the report card (bot/reports/cards.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta

from bot.cards import Card
from bot.reports.cards import report_card
from domain.circle import Circle, JiraBinding, Member, Role, Severity, SlaPolicy, StandupPolicy
from domain.incidents.model import Source
from domain.reports.facts import ActivityFacts, BlockerFacts, IncidentFacts, StandupEntryFacts, TeamworkFacts
from domain.reports.period import calendar_month
from domain.reports.report import CircleReport, build_report


def _example_report(*, quiet: bool = False) -> CircleReport:
    policy = SlaPolicy(timedelta(minutes=5), timedelta(hours=4), timedelta(minutes=30))
    circle = Circle(
        name="demo", customer="acme", project="shop", team_id="team", channel_id="channel",
        time_zone="Europe/Rome", team_leader="giulia",
        members=(Member("giulia", "Giulia Rossi", Role.TEAM_LEADER), Member("marco", "Marco Bianchi")),
        sla=dict.fromkeys(Severity, policy), jira=JiraBinding("DEMO"), standup=StandupPolicy(time(9, 30)),
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
        handovers=[], now=datetime(2026, 12, 1, 8, tzinfo=UTC), teamwork=TeamworkFacts() if quiet else _teamwork(),
    )  # fmt: skip


def _teamwork() -> TeamworkFacts:
    """Marco answered two of three stand-ups, raised a blocker, and has had #15 in progress since 20 Nov."""
    started = datetime(2026, 11, 20, 9, tzinfo=UTC)
    wip = ActivityFacts(
        15, "marco", "#15", "Rotate the TLS certificates", "wip", started, started, started, started, None,
        date(2026, 11, 27),
    )  # fmt: skip
    return TeamworkFacts(
        entries=tuple(
            StandupEntryFacts("marco", date(2026, 11, day), status) for day, status in
            ((24, "answered"), (25, "answered"), (26, "prompted"))
        ),
        blockers=(BlockerFacts("marco", date(2026, 11, 24), None),),
        activities=(wip,),
        overdue=(wip,),
    )  # fmt: skip


EXAMPLES: list[tuple[str, Callable[[], Card]]] = [
    ("report_card", lambda: report_card(_example_report(), "https://bot.example.com/tabs/dashboard?t=x")),
    (
        "report_card (late weekly post)",
        lambda: report_card(
            _example_report(), late="the 09:00 weekly report, sent at 11:00 (Europe/Rome) after a restart"
        ),
    ),
    ("report_card (quiet month, no link)", lambda: report_card(_example_report(quiet=True))),
]
