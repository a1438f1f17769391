"""Adaptive Cards for incidents: the live incident card, its forms, the report and the prompts.

Short on purpose: read at 3 a.m. on a phone. Buttons that change state are Action.Execute, so
Teams replaces the card in place with the one the bot answers.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from bot.cards import Card, adaptive_card, execute_action, fact_set, text_block
from domain.circle import Circle, Member, Severity, SlaPolicy
from domain.incidents.model import PHASES, Incident, Source, TimelineEntry
from domain.incidents.report import IncidentReport, root_cause_of
from domain.incidents.service import escalation_target
from domain.incidents.sla import (
    SlaState,
    acknowledge_clock,
    deadline_text,
    describe,
    escalation_schedule,
    humanize,
    resolve_clock,
    time_left,
)
from domain.local_time import format_moment, format_time, format_when, zone_label, zone_named

SEVERITY_STYLE = {
    Severity.P1: "attention",
    Severity.P2: "warning",
    Severity.P3: "accent",
    Severity.P4: "default",
}
# What each severity means, so the person declaring at 3 a.m. does not have to remember.
SEVERITY_MEANING = {
    Severity.P1: "critical, customers down",
    Severity.P2: "major, a key feature degraded",
    Severity.P3: "minor, a workaround exists",
    Severity.P4: "low, no customer impact",
}
TIMELINE_ROWS_ON_CARD = 5
# Teams shows at most 6 buttons in a row of actions; the rest would hide behind "…".
MAX_LINKS_ON_CARD = 6
# Longer descriptions show their start, with a toggle for the rest: the card stays phone-sized.
DESCRIPTION_PREVIEW_CHARACTERS = 200
OUTBOX_HINT = "see `circlebot outbox list`"


class JiraState(StrEnum):
    """Where the incident's Jira issue stands, so the card never claims a state that is not true."""

    NOT_CONFIGURED = "not configured"
    PENDING = "pending"  # a write to Jira is still outstanding
    FAILED = "failed"  # a write to Jira is dead in the outbox
    SETTLED = "settled"  # nothing outstanding


def person(circle: Circle, handle: str | None) -> str:
    """A member's display name, or the handle when unknown."""
    member = circle.member(handle) if handle else None
    return member.display_name if member else (handle or "nobody")


def severity_choice(severity: Severity) -> str:
    """ "P1 — critical, customers down"."""
    return f"{severity.value} — {SEVERITY_MEANING[severity]}"


def incident_card(incident: Incident, circle: Circle, now: datetime, *, jira: JiraState) -> Card:
    """The live card: what, how bad, who, the deadlines as absolute times, and the buttons to act."""
    policy = circle.sla_for(incident.severity)
    zone = zone_named(circle.time_zone)
    facts = [
        ("Status", incident.status.value),
        ("Commander", person(circle, incident.commander)),
        ("Acknowledge", deadline_text(acknowledge_clock(incident, policy), now, zone)),
        ("Resolve", deadline_text(resolve_clock(incident, policy), now, zone)),
        ("Jira", jira_text(incident.jira_key, jira)),
    ]
    if incident.service:
        facts.append(("Service", incident.service))
    if incident.business_impact or incident.data_loss:
        facts.append(("Impact", impact_text(incident)))
    if incident.resolution_summary and not incident.is_open:
        facts.append(("Resolution", incident.resolution_summary))
    body = [
        _header(incident, now, policy),
        text_block(incident.title, weight="Bolder", wrap=True),
        *_description(incident.description),
        fact_set(facts),
        *_links(incident),
        *_recent_timeline(incident, zone, now),
    ]
    return adaptive_card(body, _incident_actions(incident))


def jira_text(key: str | None, state: JiraState) -> str:
    """The Jira fact: the issue key, or the truth about why there is none yet."""
    if state is JiraState.NOT_CONFIGURED:
        return "not configured"
    if state is JiraState.FAILED:
        return f"{key} · an update failed — {OUTBOX_HINT}" if key else f"failed — {OUTBOX_HINT}"
    if key:
        return key
    return "pending" if state is JiraState.PENDING else "not created"


def impact_text(incident: Incident) -> str:
    words = [word for flag, word in ((incident.business_impact, "business"), (incident.data_loss, "data loss")) if flag]
    return ", ".join(words) or "none"


def _description(description: str) -> list[dict[str, Any]]:
    """What the declarer typed: its start on the card, and the rest one click away."""
    if not description:
        return []
    if len(description) <= DESCRIPTION_PREVIEW_CHARACTERS:
        return [text_block(description, wrap=True)]
    preview = description[:DESCRIPTION_PREVIEW_CHARACTERS].rsplit(" ", 1)[0] + " …"
    short = {**text_block(preview, wrap=True), "id": "description-short"}
    full = {**text_block(description, wrap=True), "id": "description-full", "isVisible": False}
    toggle = {
        "type": "Action.ToggleVisibility",
        "title": "Show the whole description",
        "targetElements": ["description-short", "description-full"],
    }
    return [short, full, {"type": "ActionSet", "actions": [toggle]}]


def _links(incident: Incident) -> list[dict[str, Any]]:
    """Runbook, dashboard and alert source as buttons in the body, apart from the buttons that act."""
    if not incident.links:
        return []
    actions = [
        {"type": "Action.OpenUrl", "title": title, "url": url} for title, url in incident.links[:MAX_LINKS_ON_CARD]
    ]
    return [{"type": "ActionSet", "actions": actions}]


def headline(incident: Incident, now: datetime, policy: SlaPolicy) -> tuple[str, str]:
    """The header's state word and colour: a breached clock outranks the status."""
    if not incident.is_open:
        return incident.status.value.upper(), "good"
    if acknowledge_clock(incident, policy).state(now) is SlaState.BREACHED:
        return "ACK OVERDUE", "attention"
    if resolve_clock(incident, policy).state(now) is SlaState.BREACHED:
        return "SLA BREACHED", "attention"
    return incident.status.value.upper(), SEVERITY_STYLE[incident.severity]


def _header(incident: Incident, now: datetime, policy: SlaPolicy) -> dict[str, Any]:
    state, color = headline(incident, now, policy)
    return text_block(f"{incident.key} · {incident.severity} · {state}", size="Medium", weight="Bolder", color=color)


def _recent_timeline(incident: Incident, zone: ZoneInfo, now: datetime) -> list[dict[str, Any]]:
    recent = incident.timeline[-TIMELINE_ROWS_ON_CARD:]
    lines = "\n".join(f"- {format_when(e.at, zone, now)} {e.text}" for e in recent)
    return [text_block(lines, size="Small", subtle=True, wrap=True)] if lines else []


def _incident_actions(incident: Incident) -> list[dict[str, Any]]:
    """At most three buttons, the main one first and green: Acknowledge, Update, Resolve."""
    data = {"incident": incident.number}
    if not incident.is_open:
        return []
    actions = []
    if incident.acknowledged_at is None:
        actions.append(execute_action("Acknowledge", "incident.ack", data, style="positive"))
    later = list(PHASES[PHASES.index(incident.status) + 1 : -1])
    keep = [(f"No change ({incident.status.value}) — just a note", "")]
    actions.append(_show_card("Update", [
        _choice("status", "Status", keep + [(p.value.capitalize(), p.value) for p in later], ""),
        _text_input("note", "Note", multiline=True, max_length=2000),
    ], execute_action("Save update", "incident.update", data, style="positive")))  # fmt: skip
    actions.append(
        _show_card(
            "Resolve",
            resolve_form_inputs(incident),
            execute_action("Resolve", "incident.resolve", data, style="positive"),
        )
    )
    return actions


def resolve_form_inputs(incident: Incident) -> list[dict[str, Any]]:
    """The resolution form; the root cause starts as the note given when the incident was marked identified."""
    return [
        _text_input("summary", "Resolution summary", required=True, multiline=True, max_length=2000),
        _text_input(
            "root_cause", "Root cause (optional)", multiline=True, max_length=2000, value=root_cause_of(incident) or ""
        ),
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
        [execute_action("Resolve", "incident.resolve", {"incident": incident.number}, style="positive")],
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
        _choice("severity", "Severity", [(severity_choice(s), s.value) for s in Severity], Severity.P2.value),
        *_service_choice(next((c for c in circles if c.name == preselected), None)),
        _toggle("business_impact", "Customers or the business are affected", False),
        _toggle("data_loss", "Data may be lost", False),
        _text_input(
            "description",
            "What do you see?",
            multiline=True,
            max_length=4000,
            placeholder="Symptoms, since when, what you already tried",
        ),
    ]
    data = {"circle": preselected} if preselected else {}
    return adaptive_card(inputs, [execute_action("Declare", "incident.declare", data, style="positive")])


def _service_choice(circle: Circle | None) -> list[dict[str, Any]]:
    """The affected service, optional, when the circle lists services: `/runbook` in the incident's
    thread opens its runbook, and recurrence counts its incidents."""
    if circle is None or not circle.services:
        return []
    return [
        _choice("service", "Service", [(s.name, s.name) for s in circle.services], placeholder="Not sure (optional)")
    ]


def report_card(report: IncidentReport, circle: Circle, *, postmortem_link: str | None = None) -> Card:
    """The incident report: the handbook's definition of done, and the postmortem question.

    `postmortem_link`: the Teams link to the postmortem's review thread, once its card is posted there.
    """
    incident = report.incident
    zone = zone_named(circle.time_zone)
    declared = incident.declared_at
    via = "monitoring" if incident.source is Source.ALERT else incident.declared_by
    facts = [
        ("Severity", incident.severity.value),
        ("Declared", f"{format_moment(declared, zone, declared)} by {via}"),
        ("Commander", person(circle, incident.commander)),
        ("Acknowledged", _stopped(report.time_to_acknowledge, report.acknowledge_sla)),
        ("Resolved", _stopped(report.time_to_resolve, report.resolve_sla)),
        ("Impact", impact_text(incident)),
        ("On-call intervened", {True: "yes", False: "no", None: "—"}[incident.oncall_intervened]),
        ("What was seen", incident.description or "—"),
        ("Resolution", incident.resolution_summary or "—"),
        ("Root cause", root_cause_of(incident) or "not identified yet"),
    ]
    body = [
        text_block(f"Incident report · {incident.key}", size="Medium", weight="Bolder"),
        text_block(incident.title, weight="Bolder", wrap=True),
        fact_set(facts),
        text_block(f"Timeline ({zone_label(declared, zone)})", weight="Bolder"),
        text_block(
            "\n".join(f"- {format_when(e.at, zone, declared)} {credited(e)}" for e in report.timeline),
            wrap=True,
            size="Small",
        ),
    ]
    actions: list[dict[str, Any]] = []
    if incident.postmortem_decision:
        if incident.postmortem_decision == "start":
            # Where to find it: its own thread in the channel, opened by its card (a link once it is posted).
            thread = f"[its review thread]({postmortem_link})" if postmortem_link else "its review thread"
            where = (
                f"{thread} opens with the card “Postmortem · {incident.key}” in the channel; "
                f"`/postmortem show {incident.key}` brings the card here"
            )
            body.append(text_block(f"Postmortem: started — {where}", wrap=True))
        else:
            why = f" — {incident.postmortem_reason}" if incident.postmortem_reason else ""
            body.append(text_block(f"Postmortem: not needed{why}", wrap=True))
    elif report.triggers:
        reasons = "\n".join(f"- **{t.name}**: {t.reason}" for t in report.triggers)
        body += [
            text_block("A postmortem is suggested", weight="Bolder", color="accent"),
            text_block(reasons, wrap=True),
        ]
        data = {"incident": incident.number}
        actions = [
            execute_action("Start postmortem", "incident.postmortem.start", data, style="positive"),
            _show_card(
                "Not needed",
                [_text_input("reason", "Why not?", required=True)],
                execute_action("Record decision", "incident.postmortem.skip", data),
            ),
        ]
    else:
        body.append(text_block("No postmortem trigger fired.", subtle=True))
    return adaptive_card(body, actions)


def credited(entry: TimelineEntry) -> str:
    """A timeline line with its author named once: "Acknowledged by Bob", "circlebot: SLA warning …"."""
    if not entry.actor or entry.actor in entry.text:
        return entry.text
    return f"{entry.actor}: {entry.text}"


def _stopped(took: timedelta | None, state: SlaState) -> str:
    return f"after {humanize(took)} · SLA {state}" if took is not None else "—"


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
        [
            execute_action(
                "Send to stakeholders", "incident.stakeholder.send", {"incident": incident.number}, style="positive"
            )
        ],
    )


def stakeholder_update_card(incident: Incident, circle: Circle, text: str, now: datetime) -> Card:
    return adaptive_card(
        [
            text_block(f"{incident.key} · {incident.severity} · {incident.status.value}", weight="Bolder"),
            text_block(incident.title, wrap=True),
            text_block(text, wrap=True),
            text_block(
                f"{format_time(now, zone_named(circle.time_zone))} · commander {person(circle, incident.commander)}",
                size="Small",
                subtle=True,
            ),
        ]
    )


def page_card(
    incident: Incident, circle: Circle, member: Member, reason: str, *, call: Member | None, step: int, now: datetime
) -> Card:
    """The private escalation message of step `step`: acknowledge here; since when it is overdue, who is
    paged next and when; for a P1, whom to phone."""
    zone = zone_named(circle.time_zone)
    facts = [("Acknowledge", deadline_text(acknowledge_clock(incident, circle.sla_for(incident.severity)), now, zone))]
    later = escalation_schedule(incident, circle)[step + 1 :]
    if later:
        at, next_step = later[0]
        who = escalation_target(circle, next_step.notify, at)
        name = f"{who.display_name} ({next_step.notify})" if who else next_step.notify
        # A page sent late (the bot was down) may find the next step due already: it follows at once.
        when = f"at {format_when(at, zone, now)} (in {time_left(at - now)})" if at > now else "right after you"
        facts.append(("Next page", f"{name} {when}"))
    else:
        facts.append(("Next page", "none: you are the last step"))
    if call is not None and call.phone:
        facts.append(("Call", f"{call.display_name} {call.phone}"))
    body = [
        text_block(f"You are paged for {incident.key} · {incident.severity}", weight="Bolder", color="attention"),
        text_block(incident.title, wrap=True),
        text_block(reason, wrap=True, subtle=True),
        fact_set(facts),
    ]
    return adaptive_card(
        body, [execute_action("Acknowledge", "incident.ack", {"incident": incident.number}, style="positive")]
    )


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
                f"{incident.title} — {incident.status.value}, {describe(clock, now, zone_named(circle.time_zone))}",
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


def _choice(
    input_id: str, label: str, choices: list[tuple[str, str]], value: str | None = None, *, placeholder: str = ""
) -> dict[str, Any]:
    """A dropdown; without a `value` nothing is chosen until the person picks (its `placeholder` shows)."""
    element: dict[str, Any] = {"type": "Input.ChoiceSet", "id": input_id, "label": label, "style": "compact"}
    if value is not None:
        element["value"] = value
    if placeholder:
        element["placeholder"] = placeholder
    element["choices"] = [{"title": title, "value": choice} for title, choice in choices]
    return element


def _toggle(input_id: str, title: str, value: bool) -> dict[str, Any]:
    return {"type": "Input.Toggle", "id": input_id, "title": title, "value": "true" if value else "false"}
