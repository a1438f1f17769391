"""What the incident cards show an engineer woken at 3 a.m. (issue #12): true deadlines, no lost words."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.incidents.cards import JiraState, declare_form, incident_card, page_card, report_card, resolve_form
from bot.teams_links import channel_message_link
from domain.circle import Circle, EscalationStep, JiraBinding, Member, Role, Service, Severity, SlaPolicy
from domain.incidents.model import Incident, IncidentStatus
from domain.incidents.report import build_report
from tests.card_schema import assert_valid_card

T0 = datetime(2026, 12, 1, 14, 16, tzinfo=UTC)  # 15:16 in Rome
CIRCLE = Circle(
    name="demo", customer="acme", project="shop", team_id="team-id", channel_id="team-id",
    time_zone="Europe/Rome", team_leader="giulia",
    members=(Member("giulia", "Giulia Rossi", Role.TEAM_LEADER), Member("luca", "Luca Verdi")),
    sla={s: SlaPolicy(timedelta(minutes=14), timedelta(hours=4, minutes=9)) for s in Severity},
    jira=JiraBinding("DEMO"),
)  # fmt: skip


def declared(description: str = "") -> Incident:
    return Incident.declare(
        number=7, circle="demo", title="Checkout API returns 500", severity=Severity.P1,
        declared_by="Giulia Rossi", at=T0, commander="luca", commander_name="Luca Verdi", description=description,
    )  # fmt: skip


def facts(card: dict[str, Any]) -> dict[str, str]:
    return {f["title"]: f["value"] for e in card["body"] if e["type"] == "FactSet" for f in e["facts"]}


def texts(card: dict[str, Any]) -> list[str]:
    return [e["text"] for e in card["body"] if e["type"] == "TextBlock"]


def card_at(incident: Incident, minutes: float, jira: JiraState = JiraState.SETTLED) -> dict[str, Any]:
    card = incident_card(incident, CIRCLE, T0 + timedelta(minutes=minutes), jira=jira)
    assert_valid_card(card)
    return card


def test_the_card_shows_absolute_deadlines_in_the_circles_zone_next_to_the_hint() -> None:
    shown = facts(card_at(declared(), 1))
    assert shown["Acknowledge"] == "by 15:30 CET (in 13m)"
    assert shown["Resolve"] == "by 19:25 CET (in 4h 8m)"


def test_past_the_ack_deadline_the_header_says_ack_overdue_in_the_attention_colour() -> None:
    card = card_at(declared(), 14)
    assert card["body"][0] == {
        "type": "TextBlock", "text": "INC-7 · P1 · ACK OVERDUE", "wrap": True, "color": "attention",
        "size": "Medium", "weight": "Bolder",
    }  # fmt: skip
    assert facts(card)["Acknowledge"] == "OVERDUE since 15:30 CET"  # never "overdue by 0s"
    assert facts(card_at(declared(), 20))["Acknowledge"] == "OVERDUE since 15:30 CET (6m)"


def test_past_the_resolve_deadline_the_header_says_sla_breached() -> None:
    incident = declared()
    incident.acknowledge("Luca Verdi", T0 + timedelta(minutes=2))
    card = card_at(incident, 250)
    assert card["body"][0]["text"] == "INC-7 · P1 · SLA BREACHED"
    assert facts(card)["Acknowledge"] == "met at 15:18 CET (2m)"


def test_a_resolved_incident_is_green_whatever_its_clocks_said() -> None:
    incident = declared()
    incident.resolve("Luca Verdi", T0 + timedelta(minutes=30), summary="rolled back")
    card = card_at(incident, 300)
    assert (card["body"][0]["text"], card["body"][0]["color"]) == ("INC-7 · P1 · RESOLVED", "good")
    assert "actions" not in card


def test_the_jira_fact_never_claims_a_state_that_is_not_true() -> None:
    incident = declared()
    assert facts(card_at(incident, 1, JiraState.NOT_CONFIGURED))["Jira"] == "not configured"
    assert facts(card_at(incident, 1, JiraState.PENDING))["Jira"] == "pending"
    assert facts(card_at(incident, 1, JiraState.FAILED))["Jira"] == "failed — see `circlebot outbox list`"
    incident.jira_key = "DEMO-12"
    assert facts(card_at(incident, 1, JiraState.SETTLED))["Jira"] == "DEMO-12"
    assert facts(card_at(incident, 1, JiraState.FAILED))["Jira"] == (
        "DEMO-12 · an update failed — see `circlebot outbox list`"
    )


def test_what_the_declarer_typed_is_on_the_card_and_a_long_text_expands() -> None:
    assert "Pods crash-loop since the 15:00 deploy" in texts(
        card_at(declared("Pods crash-loop since the 15:00 deploy"), 1)
    )
    long = "Every login answers 502 since 03:00 and the retry storm grows. " * 8
    card = card_at(declared(long), 1)
    short, full, toggle = card["body"][2:5]
    assert short["text"].endswith(" …") and len(short["text"]) < 210
    assert (full["text"], full["isVisible"]) == (long, False)
    assert toggle["actions"][0]["targetElements"] == ["description-short", "description-full"]


def test_acknowledge_is_the_green_main_action_and_no_button_sits_alone_on_a_row() -> None:
    actions = card_at(declared(), 1)["actions"]
    assert [a["title"] for a in actions] == ["Acknowledge", "Update", "Resolve"]
    assert actions[0]["style"] == "positive"
    incident = declared()
    incident.acknowledge("Luca Verdi", T0)
    assert [a["title"] for a in card_at(incident, 1)["actions"]] == ["Update", "Resolve"]


def test_severity_choices_say_what_they_mean_and_declare_is_the_main_action() -> None:
    form = declare_form([CIRCLE], "demo")
    assert_valid_card(form)
    severity = next(e for e in form["body"] if e.get("id") == "severity")
    assert severity["choices"][0] == {"title": "P1 — critical, customers down", "value": "P1"}
    assert form["actions"][0]["style"] == "positive"


def test_the_form_offers_the_circles_services_when_it_knows_the_circle() -> None:
    with_services = replace(CIRCLE, services=(Service("checkout", owner="luca"), Service("catalog", owner="luca")))

    form = declare_form([with_services], "demo")
    choosing_the_circle = declare_form([with_services], None)

    assert_valid_card(form)
    [service] = [e for e in form["body"] if e.get("id") == "service"]
    assert [c["title"] for c in service["choices"]] == ["checkout", "catalog"]
    assert service["placeholder"] == "Not sure (optional)" and not service.get("isRequired")
    assert all(
        e.get("id") != "service" for e in [*choosing_the_circle["body"], *declare_form([CIRCLE], "demo")["body"]]
    )


def test_the_report_names_each_author_once_and_credits_automatic_steps_to_the_bot() -> None:
    incident = declared("Pods crash-loop since the 15:00 deploy")
    incident.acknowledge("Luca Verdi", T0 + timedelta(minutes=2))
    incident.move_to(IncidentStatus.IDENTIFIED, "Luca Verdi", T0 + timedelta(minutes=9), "bad config map in v2.3")
    incident.record(T0 + timedelta(minutes=12), "circlebot", "sla_warning", "SLA warning: …")
    incident.resolve("Luca Verdi", T0 + timedelta(minutes=40), summary="rolled back to v2.2")
    card = report_card(build_report(incident, CIRCLE.sla_for(Severity.P1), []), CIRCLE)
    assert_valid_card(card)
    timeline = texts(card)[texts(card).index("Timeline (CET)") + 1].split("\n")
    assert timeline == [
        "- 15:16 CET P1 declared by Giulia Rossi: Checkout API returns 500",
        "- 15:16 CET circlebot: Commander: Luca Verdi (on call)",
        "- 15:18 CET Acknowledged by Luca Verdi",
        "- 15:25 CET Luca Verdi: Status: identified — bad config map in v2.3",
        "- 15:28 CET circlebot: SLA warning: …",
        "- 15:56 CET Luca Verdi: Resolved: rolled back to v2.2",
    ]
    shown = facts(card)
    assert shown["Declared"] == "Tue 1 Dec 15:16 CET by Giulia Rossi"
    assert shown["What was seen"] == "Pods crash-loop since the 15:00 deploy"
    assert shown["Root cause"] == "bad config map in v2.3"  # from the note given when it was identified
    assert not [e for e in card["body"] if e.get("color") == "warning"]  # yellow is unreadable on white


def test_the_resolve_form_starts_with_the_root_cause_noted_when_identified() -> None:
    incident = declared()
    incident.move_to(IncidentStatus.IDENTIFIED, "Luca Verdi", T0, "bad config map in v2.3")
    form = resolve_form(incident)
    assert next(e for e in form["body"] if e.get("id") == "root_cause")["value"] == "bad config map in v2.3"
    assert form["actions"][0]["style"] == "positive"


def test_the_report_keeps_why_no_postmortem_was_needed() -> None:
    incident = declared()
    incident.resolve("Luca Verdi", T0 + timedelta(minutes=40), summary="rolled back to v2.2")
    incident.decide_postmortem("Giulia Rossi", T0 + timedelta(hours=1), start=False, reason="known issue, see INC-3")
    card = report_card(build_report(incident, CIRCLE.sla_for(Severity.P1), []), CIRCLE)
    assert "Postmortem: not needed — known issue, see INC-3" in texts(card)


def test_the_report_links_to_the_postmortem_review_thread_when_its_message_is_known() -> None:
    incident = declared()
    incident.resolve("Luca Verdi", T0 + timedelta(minutes=40), summary="rolled back to v2.2")
    incident.decide_postmortem("Giulia Rossi", T0 + timedelta(hours=1), start=True)
    report = build_report(incident, CIRCLE.sla_for(Severity.P1), [])
    link = channel_message_link("19:abc@thread.tacv2", "1764601200000", tenant_id="tenant-1")
    assert link == (
        "https://teams.microsoft.com/l/message/19%3Aabc%40thread.tacv2/1764601200000"
        "?tenantId=tenant-1&parentMessageId=1764601200000"
    )
    card = report_card(report, CIRCLE, postmortem_link=link)
    assert_valid_card(card)
    assert f"Postmortem: started — [its review thread]({link}) opens with the card “Postmortem · INC-7”" in (
        "\n".join(texts(card))
    )
    # Before the thread exists the report still says where the card will be, without a dead link.
    unlinked = "\n".join(texts(report_card(report, CIRCLE)))
    assert "Postmortem: started — its review thread opens" in unlinked and "https://" not in unlinked


def test_a_page_says_since_when_the_ack_is_overdue_and_who_is_paged_next_and_when() -> None:
    circle = replace(
        CIRCLE,
        members=(*CIRCLE.members, Member("sara", "Sara Neri", phone="+39 333 1234567")),
        escalation=(EscalationStep("sara"), EscalationStep("team_leader", after=timedelta(minutes=10))),
    )
    sara = circle.members[2]
    paged_at = T0 + timedelta(minutes=16)  # 15:32 in Rome: the ack was due at 15:30, sara is step 1

    first = page_card(declared(), circle, sara, "not acknowledged", call=sara, step=0, now=paged_at)
    last = page_card(declared(), circle, circle.members[0], "still not", call=None, step=1, now=paged_at)

    assert_valid_card(first)
    assert texts(first)[0] == "You are paged for INC-7 · P1"
    assert facts(first) == {
        "Acknowledge": "OVERDUE since 15:30 CET (2m)",
        "Next page": "Giulia Rossi (team_leader) at 15:40 CET (in 8m)",
        "Call": "Sara Neri +39 333 1234567",
    }
    assert facts(last)["Next page"] == "none: you are the last step"
    late = page_card(declared(), circle, sara, "not acknowledged", call=None, step=0, now=T0 + timedelta(hours=1))
    assert facts(late)["Next page"] == "Giulia Rossi (team_leader) right after you"  # never "in <1m" for a past time
