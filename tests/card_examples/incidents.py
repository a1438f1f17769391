"""Examples of the incident cards (bot/incidents/cards.py), built from plain domain objects."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from bot.cards import Card
from bot.incidents.cards import (
    JiraState,
    declare_form,
    incident_card,
    incident_list_card,
    page_card,
    report_card,
    resolve_form,
    stakeholder_prompt,
    stakeholder_update_card,
)
from domain.circle import Circle, Member, Severity
from domain.incidents.model import Incident


def _example_incident() -> tuple[Incident, Circle]:
    """A realistic incident for the schema test, built from plain domain objects."""
    from datetime import UTC, timedelta

    from domain.circle import JiraBinding, Role, SlaPolicy

    at = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)
    circle = Circle(
        name="demo", customer="acme", project="shop", team_id="team-id", channel_id="team-id",
        time_zone="Europe/Rome", team_leader="giulia",
        members=(
            Member("giulia", "Giulia Rossi", Role.TEAM_LEADER, phone="+39 0000 000000"),
            Member("luca", "Luca Verdi"),
        ),
        sla={s: SlaPolicy(timedelta(minutes=5), timedelta(hours=4), timedelta(minutes=30)) for s in Severity},
        jira=JiraBinding("DEMO"),
    )  # fmt: skip
    incident = Incident.declare(
        number=7, circle="demo", title="Checkout API returns 500", severity=Severity.P1, declared_by="Giulia Rossi",
        at=at, commander="luca", business_impact=True,
    )  # fmt: skip
    incident.acknowledge("Luca Verdi", at + timedelta(minutes=2))
    return incident, circle


def _example_now(incident: Incident) -> datetime:
    from datetime import timedelta

    return incident.declared_at + timedelta(minutes=3)


def _example_report() -> Card:
    from domain.incidents.report import build_report
    from domain.incidents.triggers import TriggerFired

    incident, circle = _example_incident()
    incident.resolve("Luca Verdi", _example_now(incident), summary="rolled back", oncall_intervened=True)
    triggers = [TriggerFired("on-call intervention", "the on-call engineer had to intervene")]
    return report_card(build_report(incident, circle.sla_for(incident.severity), triggers), circle)


def _example_resolved_card() -> Card:
    incident, circle = _example_incident()
    incident.resolve("Luca Verdi", _example_now(incident), summary="rolled back")
    return incident_card(incident, circle, _example_now(incident), jira=JiraState.SETTLED)


def _example_alert_card() -> Card:
    incident, circle = _example_incident()
    incident.add_links((("Runbook", "https://runbooks.example/checkout"), ("Source", "http://prometheus.local/graph")))
    return incident_card(incident, circle, _example_now(incident), jira=JiraState.FAILED)


def _example_overdue_card() -> Card:
    from datetime import timedelta

    incident, circle = _example_incident()
    late = Incident.declare(
        number=8, circle="demo", title="Login fails", severity=Severity.P1, declared_by="Giulia Rossi",
        at=incident.declared_at, commander="luca", description="Every login answers 502 since 03:00. " * 10,
    )  # fmt: skip
    return incident_card(late, circle, late.declared_at + timedelta(minutes=9), jira=JiraState.NOT_CONFIGURED)


def _example_page() -> Card:
    incident, circle = _example_incident()
    first = circle.members[0]
    return page_card(incident, circle, first, "not acknowledged", call=first, step=0, now=_example_now(incident))


def _with_example(build: Callable[[Incident, Circle], Card]) -> Callable[[], Card]:
    def example() -> Card:
        return build(*_example_incident())

    return example


EXAMPLES: list[tuple[str, Callable[[], Card]]] = [
    ("incident card", _with_example(lambda i, c: incident_card(i, c, _example_now(i), jira=JiraState.PENDING))),
    ("incident card, ack overdue, long description", _example_overdue_card),
    ("incident card, resolved", _example_resolved_card),
    ("incident card, from an alert with links", _example_alert_card),
    ("declare form, circle to choose", _with_example(lambda _i, c: declare_form([c], None))),
    ("declare form, circle known", _with_example(lambda _i, c: declare_form([c], c.name, "prefilled"))),
    ("resolve form", _with_example(lambda i, _c: resolve_form(i))),
    ("stakeholder prompt", _with_example(lambda i, _c: stakeholder_prompt(i, "draft", overdue=True))),
    ("stakeholder update", _with_example(lambda i, c: stakeholder_update_card(i, c, "rollback", _example_now(i)))),
    ("page", _example_page),
    ("incident list", _with_example(lambda i, c: incident_list_card(c, [i], _example_now(i)))),
    ("incident list, empty", _with_example(lambda i, c: incident_list_card(c, [], _example_now(i)))),
    ("incident report", _example_report),
]
