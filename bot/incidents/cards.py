"""Adaptive Cards for incidents: the live incident card, its forms, the report and the prompts.

Short on purpose: read at 3 a.m. on a phone. Buttons that change state are Action.Execute, so
Teams replaces the card in place with the one the bot answers.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.cards import Card, adaptive_card, execute_action, fact_set, text_block
from domain.circle import Circle, Member, Severity
from domain.incidents.model import PHASES, Incident
from domain.incidents.report import IncidentReport
from domain.incidents.sla import acknowledge_clock, describe, humanize, resolve_clock

SEVERITY_STYLE = {
    Severity.P1: "attention",
    Severity.P2: "warning",
    Severity.P3: "accent",
    Severity.P4: "default",
}
TIMELINE_ROWS_ON_CARD = 5
# Teams shows at most 6 buttons in a row of actions; the rest would hide behind "…".
MAX_LINKS_ON_CARD = 6


def person(circle: Circle, handle: str | None) -> str:
    """A member's display name, or the handle when unknown."""
    member = circle.member(handle) if handle else None
    return member.display_name if member else (handle or "nobody")


def incident_card(incident: Incident, circle: Circle, now: datetime) -> Card:
    """The live card: what, how bad, who, the SLA clocks, and the buttons to act."""
    policy = circle.sla_for(incident.severity)
    facts = [
        ("Status", incident.status.value),
        ("Commander", person(circle, incident.commander)),
        (
            "SLA",
            f"{describe(acknowledge_clock(incident, policy), now)} · {describe(resolve_clock(incident, policy), now)}",
        ),
        ("Jira", incident.jira_key or "pending"),
    ]
    if incident.business_impact or incident.data_loss:
        impact = [
            word for flag, word in ((incident.business_impact, "business"), (incident.data_loss, "data loss")) if flag
        ]
        facts.append(("Impact", ", ".join(impact)))
    if incident.resolution_summary and not incident.is_open:
        facts.append(("Resolution", incident.resolution_summary))
    body = [
        _header(incident),
        text_block(incident.title, weight="Bolder", wrap=True),
        fact_set(facts),
        *_links(incident),
        *_recent_timeline(incident),
    ]
    return adaptive_card(body, _incident_actions(incident))


def _links(incident: Incident) -> list[dict[str, Any]]:
    """Runbook, dashboard and alert source as buttons in the body, apart from the buttons that act."""
    if not incident.links:
        return []
    actions = [
        {"type": "Action.OpenUrl", "title": title, "url": url} for title, url in incident.links[:MAX_LINKS_ON_CARD]
    ]
    return [{"type": "ActionSet", "actions": actions}]


def _header(incident: Incident) -> dict[str, Any]:
    return text_block(
        f"{incident.key} · {incident.severity} · {incident.status.value.upper()}",
        size="Medium",
        weight="Bolder",
        color=SEVERITY_STYLE[incident.severity] if incident.is_open else "good",
    )


def _recent_timeline(incident: Incident) -> list[dict[str, Any]]:
    recent = incident.timeline[-TIMELINE_ROWS_ON_CARD:]
    lines = "\n".join(f"- {e.at:%H:%M} {e.text}" for e in recent)
    return [text_block(lines, size="Small", subtle=True, wrap=True)] if lines else []


def _incident_actions(incident: Incident) -> list[dict[str, Any]]:
    data = {"incident": incident.number}
    if not incident.is_open:
        return []
    actions = []
    if incident.acknowledged_at is None:
        actions.append(execute_action("Acknowledge", "incident.ack", data))
    later = list(PHASES[PHASES.index(incident.status) + 1 : -1])
    if later:
        actions.append(_show_card("Update status", [
            _choice("status", "New status", [(p.value.capitalize(), p.value) for p in later], later[0].value),
            _text_input("note", "Note (optional)", max_length=500),
        ], execute_action("Save status", "incident.status", data)))  # fmt: skip
    actions.append(_show_card("Add note", [_text_input("note", "Note", required=True, multiline=True)],
                              execute_action("Add note", "incident.note", data)))  # fmt: skip
    actions.append(
        _show_card("Resolve", resolve_form_inputs(incident), execute_action("Resolve", "incident.resolve", data))
    )
    return actions


def resolve_form_inputs(incident: Incident) -> list[dict[str, Any]]:
    return [
        _text_input("summary", "Resolution summary", required=True, multiline=True, max_length=2000),
        _text_input("root_cause", "Root cause (optional)", multiline=True, max_length=2000),
        _toggle("data_loss", "Data was lost", incident.data_loss),
        _toggle("oncall_intervened", "The on-call had to intervene", True),
    ]


def resolve_form(incident: Incident) -> Card:
    """`/incident resolve` without a summary opens this."""
    return adaptive_card(
        [
            text_block(f"Resolve {incident.key}: {incident.title}", weight="Bolder", wrap=True),
            *resolve_form_inputs(incident),
        ],
        [execute_action("Resolve", "incident.resolve", {"incident": incident.number})],
    )


def declare_form(circles: Sequence[Circle], preselected: str | None, title: str = "") -> Card:
    """`/incident` with no arguments: the declaration form."""
    inputs: list[dict[str, Any]] = [text_block("Declare an incident", size="Medium", weight="Bolder")]
    if preselected is None:
        inputs.append(
            _choice("circle", "Circle", [(c.name, c.name) for c in circles], circles[0].name if circles else "")
        )
    inputs += [
        _text_input(
            "title",
            "Title",
            required=True,
            max_length=150,
            value=title,
            placeholder="Checkout API returns 500",
        ),
        _choice("severity", "Severity", [(s.value, s.value) for s in Severity], Severity.P2.value),
        _toggle("business_impact", "Customers or the business are affected", False),
        _toggle("data_loss", "Data may be lost", False),
        _text_input("description", "What do you see?", multiline=True, max_length=4000),
    ]
    data = {"circle": preselected} if preselected else {}
    return adaptive_card(inputs, [execute_action("Declare", "incident.declare", data)])


def report_card(report: IncidentReport, circle: Circle) -> Card:
    """The incident report: the handbook's definition of done, and the postmortem question."""
    incident = report.incident
    sla = "met" if report.sla_met else f"ack {report.acknowledge_sla}, resolve {report.resolve_sla}"
    facts = [
        ("Severity", incident.severity.value),
        ("Commander", person(circle, incident.commander)),
        ("Time to acknowledge", humanize(report.time_to_acknowledge) if report.time_to_acknowledge else "—"),
        ("Time to resolve", humanize(report.time_to_resolve) if report.time_to_resolve else "—"),
        ("SLA", sla),
        ("Resolution", incident.resolution_summary or "—"),
        ("Root cause", incident.root_cause or "not identified yet"),
    ]
    body = [
        text_block(f"Incident report · {incident.key}", size="Medium", weight="Bolder"),
        text_block(incident.title, weight="Bolder", wrap=True),
        fact_set(facts),
        text_block("Timeline", weight="Bolder"),
        text_block(
            "\n".join(f"- {e.at:%Y-%m-%d %H:%M} {e.actor}: {e.text}" for e in report.timeline),
            wrap=True,
            size="Small",
        ),
    ]
    actions: list[dict[str, Any]] = []
    if incident.postmortem_decision:
        body.append(text_block(f"Postmortem decision: {incident.postmortem_decision.replace('_', ' ')}", wrap=True))
    elif report.triggers:
        reasons = "\n".join(f"- **{t.name}**: {t.reason}" for t in report.triggers)
        body += [
            text_block("A postmortem is suggested", weight="Bolder", color="warning"),
            text_block(reasons, wrap=True),
        ]
        data = {"incident": incident.number}
        actions = [
            execute_action("Start postmortem", "incident.postmortem.start", data),
            _show_card(
                "Not needed",
                [_text_input("reason", "Why not?", required=True)],
                execute_action("Record decision", "incident.postmortem.skip", data),
            ),
        ]
    else:
        body.append(text_block("No postmortem trigger fired.", subtle=True))
    return adaptive_card(body, actions)


def stakeholder_prompt(incident: Incident, draft: str, *, overdue: bool) -> Card:
    """For the commander: review the prefilled update and send it."""
    heading = f"Stakeholder update {'overdue' if overdue else 'due'} · {incident.key}"
    return adaptive_card(
        [
            text_block(heading, weight="Bolder", color="attention" if overdue else "default"),
            _text_input(
                "update",
                "Update for stakeholders",
                required=True,
                multiline=True,
                value=draft,
                max_length=4000,
            ),
        ],
        [execute_action("Send to stakeholders", "incident.stakeholder.send", {"incident": incident.number})],
    )


def stakeholder_update_card(incident: Incident, circle: Circle, text: str, now: datetime) -> Card:
    return adaptive_card(
        [
            text_block(f"{incident.key} · {incident.severity} · {incident.status.value}", weight="Bolder"),
            text_block(incident.title, wrap=True),
            text_block(text, wrap=True),
            text_block(f"{now:%H:%M} UTC · commander {person(circle, incident.commander)}", size="Small", subtle=True),
        ]
    )


def page_card(incident: Incident, member: Member, reason: str, *, call: Member | None) -> Card:
    """The private escalation message: acknowledge here; for a P1, whom to phone."""
    body = [
        text_block(f"You are paged for {incident.key} · {incident.severity}", weight="Bolder", color="attention"),
        text_block(incident.title, wrap=True),
        text_block(reason, wrap=True, subtle=True),
    ]
    if call is not None and call.phone:
        body.append(fact_set([("Call", f"{call.display_name} {call.phone}")]))
    return adaptive_card(body, [execute_action("Acknowledge", "incident.ack", {"incident": incident.number})])


def incident_list_card(circle: Circle, incidents: Sequence[Incident], now: datetime) -> Card:
    if not incidents:
        return adaptive_card([text_block(f"No open incidents in {circle.name}.", wrap=True)])
    rows = []
    for incident in incidents:
        policy = circle.sla_for(incident.severity)
        clock = (
            acknowledge_clock(incident, policy) if incident.acknowledged_at is None else resolve_clock(incident, policy)
        )
        rows.append(
            (
                f"{incident.key} {incident.severity}",
                f"{incident.title} — {incident.status.value}, {describe(clock, now)}",
            )
        )
    return adaptive_card([text_block(f"Open incidents · {circle.name}", weight="Bolder"), fact_set(rows)])


def _show_card(title: str, body: list[dict[str, Any]], submit: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "Action.ShowCard",
        "title": title,
        "card": {"type": "AdaptiveCard", "body": body, "actions": [submit]},
    }


def _text_input(
    input_id: str,
    label: str,
    *,
    required: bool = False,
    multiline: bool = False,
    max_length: int | None = None,
    value: str = "",
    placeholder: str = "",
) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "Input.Text", "id": input_id, "label": label, "isMultiline": multiline}
    if required:
        element.update(isRequired=True, errorMessage=f"{label} is required")
    if max_length:
        element["maxLength"] = max_length
    if value:
        element["value"] = value
    if placeholder:
        element["placeholder"] = placeholder
    return element


def _choice(input_id: str, label: str, choices: list[tuple[str, str]], value: str) -> dict[str, Any]:
    return {
        "type": "Input.ChoiceSet",
        "id": input_id,
        "label": label,
        "style": "compact",
        "value": value,
        "choices": [{"title": title, "value": choice} for title, choice in choices],
    }


def _toggle(input_id: str, title: str, value: bool) -> dict[str, Any]:
    return {"type": "Input.Toggle", "id": input_id, "title": title, "value": "true" if value else "false"}
