"""circlebot in Microsoft's Teams emulator: what a newcomer sees after `make run`."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from adapters.circles_file import load_circles
from domain.rota import on_call_at
from storage import conversations
from storage.database import Database
from tests.playground.conftest import EXAMPLE_CIRCLES
from tests.playground.harness import GENERAL_CHANNEL_ID, Playground

pytestmark = pytest.mark.playground

CARD = "application/vnd.microsoft.card.adaptive"


def cards_of(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [a["content"] for a in message.get("attachments") or [] if a.get("contentType") == CARD]


def first_text(card: dict[str, Any]) -> str:
    return str(card["body"][0]["text"])


async def test_help_in_the_general_channel_shows_the_help_card(playground: Playground) -> None:
    thread = await playground.send_channel_message("help")

    [reply] = await playground.wait_for_bot_messages(thread, 1)

    [card] = cards_of(reply)
    facts = [f["title"] for element in card["body"] if element["type"] == "FactSet" for f in element["facts"]]
    assert "/help [command]" in facts
    assert any(title.startswith("/incident") for title in facts)


async def test_installing_the_bot_in_the_team_stores_the_channel_reference(
    playground: Playground, tmp_path: Path
) -> None:
    await playground.install_bot()
    [welcome] = await playground.wait_for_bot_messages(GENERAL_CHANNEL_ID, 1)
    assert cards_of(welcome)

    database = Database(f"sqlite:///{tmp_path / 'circlebot.db'}")
    try:
        async with database.session() as session:
            record = await conversations.channel_conversation(session, GENERAL_CHANNEL_ID)
    finally:
        await database.dispose()
    assert record is not None
    assert record.team_id == "team-id"
    assert record.service_url.endswith("/_connector")


async def test_declare_through_the_form_and_acknowledge_with_the_button(playground: Playground) -> None:
    await playground.install_bot()
    thread = await playground.send_channel_message("/incident")
    [form_message] = await playground.wait_for_bot_messages(thread, 1)
    [form] = cards_of(form_message)
    assert form["actions"][0]["verb"] == "incident.declare"

    status, body = await playground.invoke_action(
        thread,
        form_message["messageId"],
        {"title": "Checkout API returns 500", "severity": "P1", "business_impact": "true", "data_loss": "false"},
        verb="incident.declare",
    )
    assert status == 200, body
    assert first_text(body["value"]).startswith("INC-1 declared: Checkout API returns 500.")

    messages = await playground.wait_for_bot_messages(thread, 3)
    live = next(m for m in messages if cards_of(m) and first_text(cards_of(m)[0]).startswith("INC-1 · P1"))
    assert first_text(cards_of(live)[0]) == "INC-1 · P1 · DECLARED"
    assert any("you are commander of INC-1" in (m.get("text") or "") for m in messages)

    status, body = await playground.invoke_action(
        thread, live["messageId"], {"incident": 1}, verb="incident.ack", user=2
    )
    assert status == 200, body
    assert first_text(body["value"]) == "INC-1 · P1 · ACKNOWLEDGED"
    updated = await playground.wait_for_update(live["messageId"])
    assert first_text(cards_of(updated)[0]) == "INC-1 · P1 · ACKNOWLEDGED"


async def test_oncall_in_the_general_channel_names_the_example_circles_on_call(playground: Playground) -> None:
    example = load_circles(EXAMPLE_CIRCLES).circles[0]
    primary = on_call_at(example.rota, datetime.now(UTC)).primary
    assert primary is not None, "the example rota always has a primary"
    expected = example.member(primary.member)
    assert expected is not None

    thread = await playground.send_channel_message("/oncall")
    [reply] = await playground.wait_for_bot_messages(thread, 1)

    shown = json.dumps(cards_of(reply)) + (reply.get("text") or "")
    assert expected.display_name in shown


async def test_report_in_the_general_channel_counts_the_weeks_incident_and_the_dashboard_opens_locally(
    playground: Playground, circlebot_url: str
) -> None:
    declared = await playground.send_channel_message("/incident P2 search is slow")
    await playground.wait_for_bot_messages(declared, 1)

    thread = await playground.send_channel_message("/report")
    [reply] = await playground.wait_for_bot_messages(thread, 1)

    [card] = cards_of(reply)
    assert first_text(card).startswith("Report · demo · week of ")
    facts = {f["title"]: f["value"] for e in card["body"] if e["type"] == "FactSet" for f in e["facts"]}
    assert facts["Incidents"].startswith("1 (1 manual, 0 from alerts)")
    assert card["actions"][0]["title"] == "Open dashboard"
    # No app id, as in the playground: the dashboard opens for this machine, and says so.
    async with aiohttp.ClientSession() as session, session.get(f"{circlebot_url}/tabs/dashboard") as response:
        page = await response.text()
    assert response.status == 200
    assert "Local mode: MicrosoftAppId is empty" in page and 'data-chart="incidents"' in page
