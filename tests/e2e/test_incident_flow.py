"""An SRE at 3 a.m., through /api/messages: declare, acknowledge, work, resolve — and nothing lost."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import col, select

from adapters.circles_file import parse_circles
from adapters.runtime import RUNTIME
from domain.clock import FixedClock
from storage import sent_messages
from storage.incidents.repository import TimelineRow
from storage.outbox import OutboxRow
from tests.conftest import START
from tests.support.activities import (
    CHANNEL_ID,
    TEAM_ID,
    USER_ID,
    card_action,
    channel_message,
    installed_in_team,
)
from tests.support.bot_app import BotClient, bot_client, post_activity, runtime_of
from tests.support.fake_connector import FakeConnector

CIRCLE = f"""
circles:
  - name: payments
    customer: acme
    project: pay
    team_id: "{TEAM_ID}"
    channel_id: "{CHANNEL_ID}"
    time_zone: Europe/Rome
    team_leader: ada
    members:
      - {{handle: ada, name: Ada Lovelace, teams_user_id: "{USER_ID}"}}
      - {{handle: bob, name: Bob Oncall, teams_user_id: "29:bob", phone: "+39 0000 000001"}}
    rota:
      rotations:
        - {{layer: primary, members: [bob], every: weekly, handover: {{day: mon, time: "09:00"}}, start: 2026-01-05}}
    escalation:
      - {{notify: primary, after: 0m}}
      - {{notify: team_leader, after: 5m}}
    sla:
      P1: {{acknowledge: 5m, resolve: 4h, stakeholder_updates: 30m}}
      P2: {{acknowledge: 15m, resolve: 8h, stakeholder_updates: 1h}}
      P3: {{acknowledge: 1h, resolve: 3d, stakeholder_updates: never}}
      P4: {{acknowledge: 4h, resolve: 10d, stakeholder_updates: never}}
    jira: {{project: PAY}}
    services:
      - {{name: checkout, owner: bob}}
      - {{name: catalog, owner: ada}}
"""


@pytest.fixture
async def client(tmp_path: Path, connector: FakeConnector) -> AsyncIterator[BotClient]:
    async with bot_client(f"sqlite:///{tmp_path / 'bot.db'}", clock=FixedClock(START)) as test_client:
        runtime = test_client.app[RUNTIME]
        async with runtime.uow() as uow:
            await uow.circles.apply(parse_circles(CIRCLE, "circles.yaml"), runtime.clock.now())
            await uow.commit()
        await post_activity(test_client, installed_in_team(connector.service_url))
        connector.sent.clear()  # the welcome card
        yield test_client


async def timeline(client: BotClient) -> list[str]:
    async with runtime_of(client).database.session() as session:
        rows = (await session.exec(select(TimelineRow).order_by(col(TimelineRow.id)))).all()
        return [row.text for row in rows]


async def invoke_body(client: BotClient, activity: dict[str, Any]) -> dict[str, Any]:
    response = await post_activity(client, activity)
    assert response.status == 200
    body: dict[str, Any] = await response.json()
    return body


async def test_declare_ack_work_and_resolve_an_incident_from_the_channel(
    client: BotClient, connector: FakeConnector
) -> None:
    runtime = runtime_of(client)
    declare = channel_message("/incident P1 Payments API returns 500", connector.service_url)
    thread = declare["conversation"]["id"]

    await post_activity(client, declare)
    assert connector.texts() == []  # the card in this thread is the answer, with one line for the commander
    await runtime.relay.drain()
    card_post, mention = [s for s in connector.in_conversation(thread) if s.reply_to_id is None]  # not replies
    assert card_post.cards[0]["body"][0]["text"] == "INC-1 · P1 · DECLARED"
    facts = {f["title"]: f["value"] for e in card_post.cards[0]["body"] if e["type"] == "FactSet" for f in e["facts"]}
    assert facts["Jira"] == "not configured"  # this bot has no Jira: never "pending"
    assert facts["Acknowledge"] == "by 04:05 CET (in 5m)"
    assert mention.text == "<at>Bob Oncall</at> you are commander of INC-1."
    assert mention.activity["entities"][0]["mentioned"]["id"] == "29:bob"

    # Bob clicks Acknowledge on the card: the card refreshes in place for him, and for everyone.
    ack = card_action(
        "incident.ack", connector.service_url, {"incident": 1}, **{"from": {"id": "29:bob", "name": "Bob"}}
    )
    body = await invoke_body(client, ack)
    assert body["type"] == "application/vnd.microsoft.card.adaptive"
    assert body["value"]["body"][0]["text"] == "INC-1 · P1 · ACKNOWLEDGED"
    await runtime.relay.drain()
    async with runtime.database.session() as session:
        posted = await sent_messages.lookup(session, "teams:incident:1:card")
    assert posted is not None
    update = connector.updates[-1]  # the PUT that updates the original card for everyone
    assert (update.conversation_id, update.activity_id) == (thread, posted.activity_id)
    assert update.cards[0]["body"][0]["text"] == "INC-1 · P1 · ACKNOWLEDGED"

    work = channel_message(
        "/incident status identified bad deploy v2.3", connector.service_url, in_thread=declare["id"]
    )
    await post_activity(client, work)
    chatter = channel_message("rolling back now", connector.service_url, mention_bot=False, in_thread=declare["id"])
    await post_activity(client, chatter)
    resolve = channel_message("/incident resolve rolled back to v2.2", connector.service_url, in_thread=declare["id"])
    await post_activity(client, resolve)
    await runtime.relay.drain()

    # Resolved in its own thread: the report card arriving here is the answer, not a line pointing here.
    assert connector.texts()[-1] == "INC-1 is now identified."
    assert "INC-1 resolved; the report is in its thread." not in connector.texts()
    report = connector.in_conversation(thread)[-1].cards[0]
    assert report["body"][0]["text"] == "Incident report · INC-1"
    assert await timeline(client) == [
        "P1 declared by Ada Lovelace: Payments API returns 500",
        "Commander: Bob Oncall (on call)",
        "Acknowledged by Bob Oncall",
        "Status: identified — bad deploy v2.3",
        "rolling back now",
        "Resolved: rolled back to v2.2",
    ]
    assert "rolling back now" not in connector.texts()  # chatter is recorded, never answered


async def test_an_unacknowledged_p1_escalates_to_the_team_leader_in_the_thread(
    client: BotClient, connector: FakeConnector
) -> None:
    runtime = runtime_of(client)
    await post_activity(client, channel_message("/incident P1 Checkout down", connector.service_url))
    clock = runtime.clock
    assert isinstance(clock, FixedClock)
    for minutes in (4, 5, 10):
        clock.set(START + timedelta(minutes=minutes))
        await runtime.timers.tick()
    await runtime.relay.drain()
    texts = connector.texts()
    # 03:05 UTC is 04:05 in Rome in November: the circle's clock, saying which; the commander is @mentioned.
    assert "<at>Bob Oncall</at> SLA warning: INC-1 must be acknowledged by 04:05 CET (in 1m)." in texts
    assert "<at>Bob Oncall</at> ACK OVERDUE: INC-1 was not acknowledged by 04:05 CET." in texts
    assert "I cannot message Bob Oncall privately yet — call +39 0000 000001." in texts
    assert "Not acknowledged: escalated to Ada Lovelace (team_leader, step 2)" in texts
    # The card was redrawn in place when the deadline passed: its header says so, in red.
    header = connector.updated_cards()[-1]["body"][0]
    assert (header["text"], header["color"]) == ("INC-1 · P1 · ACK OVERDUE", "attention")


async def test_bad_input_gets_the_usage_and_creates_nothing(client: BotClient, connector: FakeConnector) -> None:
    runtime = runtime_of(client)
    for text in (
        "/incident P7 disk full",
        "/incident P1",
        "/incident ack",
        "/incident frobnicate",
        "/incident ack INC-99",
    ):
        await post_activity(client, channel_message(text, connector.service_url))
    assert connector.texts() == [
        "Severity is P1–P4 (sev1–sev4 work too), not `P7`: `/incident P1 Checkout API returns 500`",
        "An incident needs a title: `/incident P2 Checkout API returns 500`",
        "Which incident? Use it in the incident's thread or give the id: `/incident ack [INC-7]`",
        # <title> would vanish in Teams as an unknown HTML tag: placeholders are drawn in angle quotes.
        "I don't know `/incident frobnicate`. `/incident` opens the form · "
        "`/incident P2 \u2039title\u203a` declares at once · "
        "`/incident ack|status|note|assign|severity|impact|service|resolve|reopen|close [INC-7] …` · "
        "`/incident show INC-7` · "
        "`/incident list`",
        "There is no INC-99; `/incident list` shows the open ones",
    ]
    async with runtime.database.session() as session:
        assert (await session.exec(select(OutboxRow))).all() == []


async def test_sev1_is_an_alias_many_teams_type(client: BotClient, connector: FakeConnector) -> None:
    await post_activity(client, channel_message("/incident sev1 Checkout down", connector.service_url))
    await runtime_of(client).relay.drain()
    assert connector.cards()[0]["body"][0]["text"] == "INC-1 · P1 · DECLARED"


async def test_the_form_declares_with_the_circle_of_the_channel(client: BotClient, connector: FakeConnector) -> None:
    await post_activity(client, channel_message("/incident", connector.service_url))
    [form] = connector.cards()
    assert form["actions"][0]["verb"] == "incident.declare"

    submitted = card_action(
        "incident.declare",
        connector.service_url,
        {
            "title": "Search is slow",
            "severity": "P3",
            "business_impact": "true",
            "data_loss": "false",
            "description": "",
        },
    )
    body = await invoke_body(client, submitted)
    assert body["value"]["body"][0]["text"].startswith("INC-1 declared: Search is slow.")
    assert (await timeline(client))[0] == "P3 declared by Ada Lovelace: Search is slow"


async def test_the_form_links_the_incident_to_one_of_the_circles_services_or_says_which_exist(
    client: BotClient, connector: FakeConnector
) -> None:
    await post_activity(client, channel_message("/incident", connector.service_url))
    [form] = connector.cards()
    [choice] = [element for element in form["body"] if element.get("id") == "service"]
    assert [c["value"] for c in choice["choices"]] == ["checkout", "catalog"] and "value" not in choice  # optional
    declared = {"title": "Checkout returns 500", "severity": "P2", "service": "Checkout"}

    refused = await invoke_body(client, card_action("incident.declare", connector.service_url,
                                                    {**declared, "service": "billing"}))  # fmt: skip
    body = await invoke_body(client, card_action("incident.declare", connector.service_url, declared))
    await runtime_of(client).relay.drain()

    assert refused["value"] == ("'billing' is not a service of payments (services: checkout, catalog)")
    assert body["value"]["body"][0]["text"].startswith("INC-1 declared: Checkout returns 500.")
    card = connector.cards()[-1]
    facts = {f["title"]: f["value"] for e in card["body"] if e["type"] == "FactSet" for f in e["facts"]}
    assert facts["Service"] == "checkout"  # the circle's spelling: /runbook in the thread finds it


async def test_an_incident_declared_in_one_line_is_linked_to_a_service_in_its_thread(
    client: BotClient, connector: FakeConnector
) -> None:
    await post_activity(client, channel_message("/incident P1 Checkout returns 500", connector.service_url))
    said = []
    for text in ("/incident service INC-1", "/incident service INC-1 billing", "/incident service INC-1 CHECKOUT",
                 "/incident service INC-1 checkout", "/incident service INC-1 catalog"):  # fmt: skip
        connector.sent.clear()
        await post_activity(client, channel_message(text, connector.service_url))
        said.append(connector.texts()[-1])

    assert said == [
        "Which service (checkout, catalog)? `/incident service [INC-7] \u2039service\u203a`",
        "'billing' is not a service of payments (services: checkout, catalog)",
        "INC-1 is linked to checkout; `/runbook` here opens its runbook.",
        "INC-1 is already linked to checkout",
        "INC-1 is linked to catalog; `/runbook` here opens its runbook.",
    ]
    assert (await timeline(client))[-2:] == ["Service: checkout", "Service checkout → catalog"]


async def test_the_cards_update_button_saves_a_status_with_its_note_or_just_a_note(
    client: BotClient, connector: FakeConnector
) -> None:
    await post_activity(client, channel_message("/incident P2 Search is slow", connector.service_url))
    update = {"incident": 1, "status": "identified", "note": "index rebuild stuck"}
    body = await invoke_body(client, card_action("incident.update", connector.service_url, update))
    assert body["value"]["body"][0]["text"] == "INC-1 · P2 · IDENTIFIED"
    note_only = {"incident": 1, "status": "", "note": "rebuild restarted"}
    await invoke_body(client, card_action("incident.update", connector.service_url, note_only))
    neither = await invoke_body(client, card_action("incident.update", connector.service_url, {"incident": 1}))
    assert neither["value"] == "Choose a new status or write a note, then Save update"  # the form keeps its input
    assert (await timeline(client))[-2:] == ["Status: identified — index rebuild stuck", "rebuild restarted"]
