"""The daily stand-up through /api/messages, as the example circle's members see it in Teams.

The clock is moved to Tuesday 1 December 2026; 09:30 in Rome is 08:30 UTC.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from adapters.circles_file import load_circles
from adapters.runtime import RUNTIME, Runtime
from bot.standups.notifier import summary_key
from domain.clock import FixedClock
from storage import sent_messages
from tests.card_schema import assert_valid_card
from tests.conftest import START
from tests.e2e.test_oncall_commands import in_demo_channel, privately
from tests.support.activities import card_action, channel_message, installed_in_team, personal_message
from tests.support.bot_app import BotClient, bot_client, post_activity
from tests.support.fake_connector import FakeConnector, Sent

EXAMPLE = Path(__file__).resolve().parents[2] / "circles.example.yaml"
CHANNEL = "team-id"
STANDUP_TIME = datetime(2026, 12, 1, 8, 30, tzinfo=UTC)


@pytest.fixture
async def client(tmp_path: Path, connector: FakeConnector) -> AsyncIterator[BotClient]:
    async with bot_client(f"sqlite:///{tmp_path / 'bot.db'}", clock=FixedClock(START)) as test_client:
        runtime = test_client.app[RUNTIME]
        async with runtime.uow() as uow:
            await uow.circles.apply(load_circles(EXAMPLE), runtime.clock.now())
            await uow.commit()
        await post_activity(test_client, in_demo_channel(installed_in_team(connector.service_url)))
        for person in ("marco", "sara", "giulia"):  # each says hi once, so the bot can reach them privately
            await post_activity(test_client, privately(personal_message("hi", connector.service_url), person))
        connector.sent.clear()
        yield test_client


def runtime_of(client: BotClient) -> Runtime:
    runtime: Runtime = client.app[RUNTIME]
    return runtime


async def at(client: BotClient, moment: datetime) -> None:
    """Move the clock, fire what is due, deliver what was queued: the bot's background work."""
    runtime = runtime_of(client)
    runtime.clock.set(moment)  # type: ignore[attr-defined]
    await runtime.timers.tick()
    await runtime.relay.drain()


def cards_in(connector: FakeConnector, conversation: str) -> list[Sent]:
    return [s for s in connector.sent if s.conversation_id == conversation and s.cards]


def text_of(card: dict[str, Any]) -> str:
    parts: list[str] = []

    def walk(element: Any) -> None:
        if isinstance(element, dict):
            if element.get("type") == "TextBlock":
                parts.append(element["text"])
            if element.get("type") == "FactSet":
                parts.extend(f"{f['title']}: {f['value']}" for f in element["facts"])
            for value in element.values():
                walk(value)
        elif isinstance(element, list):
            for item in element:
                walk(item)

    walk(card.get("body"))
    return "\n".join(parts)


async def say(client: BotClient, connector: FakeConnector, activity: dict[str, Any]) -> list[Sent]:
    connector.sent.clear()
    response = await post_activity(client, activity)
    assert response.status == 200
    return list(connector.sent)


async def test_prompt_answer_and_the_summary_card_updated_in_place(client: BotClient, connector: FakeConnector) -> None:
    runtime = runtime_of(client)
    runtime.clock.set(STANDUP_TIME - timedelta(hours=1))  # type: ignore[attr-defined]
    await runtime.planner.plan()
    await at(client, STANDUP_TIME)

    [prompt] = [card for s in cards_in(connector, "a:chat-with-marco") for card in s.cards]
    assert_valid_card(prompt)
    assert prompt["body"][0]["text"] == "Stand-up · demo · Tue 1 Dec"
    assert prompt["body"][1]["text"] == "Answers count for this stand-up until 12:30 CET."
    assert [e["id"] for e in prompt["body"] if e["type"] == "Input.Text"] == ["yesterday", "today", "blockers"]
    [summary_post] = cards_in(connector, CHANNEL)
    [summary] = summary_post.cards
    assert_valid_card(summary)
    assert "0 of 6 answered · live until 18:30 CET" in text_of(summary)
    assert "I cannot reach Luca Ferrari, Paolo Colombo privately: say hi to the bot once" in text_of(summary)
    assert "Asked later in their time zone: Elena Ricci" in text_of(summary)

    send = prompt["actions"][0]
    answer = privately(card_action(send["verb"], connector.service_url, send["data"] | {
        "yesterday": "rotated the TLS certificates", "today": "migrate the ingress",
        "blockers": "waiting for DB access",
    }), "marco")  # fmt: skip
    runtime.clock.set(STANDUP_TIME + timedelta(minutes=7))  # type: ignore[attr-defined]
    body = await (await post_activity(client, answer)).json()
    assert body["type"] == "application/vnd.microsoft.card.adaptive"
    answered = body["value"]
    assert_valid_card(answered)
    assert "Thanks, sent at 09:37 CET (Europe/Rome)" in text_of(answered)
    assert answered["actions"][0]["verb"] == "standup.edit"

    connector.updates.clear()
    await at(client, STANDUP_TIME + timedelta(minutes=7, seconds=5))
    [update] = [s for s in connector.updates if s.conversation_id == CHANNEL]
    assert update.activity_id == await summary_activity_id(client)  # the same message, updated in place
    refreshed = text_of(update.cards[0])
    assert "1 of 6 answered" in refreshed
    assert "• Marco Bianchi: waiting for DB access (day 1)" in refreshed
    assert "Yesterday: rotated the TLS certificates · Today: migrate the ingress" in refreshed
    assert "<at>" not in refreshed  # non-answerers are named, never @mentioned

    # Editing the answer changes the summary again, and the prompt comes back prefilled.
    edit = privately(card_action("standup.edit", connector.service_url, answered["actions"][0]["data"]), "marco")
    form = (await (await post_activity(client, edit)).json())["value"]
    assert form["body"][0]["text"].startswith("Edit your stand-up")
    assert next(e for e in form["body"] if e.get("id") == "today")["value"] == "migrate the ingress"


async def summary_activity_id(client: BotClient) -> str:
    """The Teams id of the day's summary message, as recorded when the connector answered."""
    async with runtime_of(client).database.session() as session:
        sent = await sent_messages.lookup(session, summary_key("demo", STANDUP_TIME.date()))
    assert sent is not None
    return sent.activity_id


async def test_reminder_skip_ooo_and_the_final_card(client: BotClient, connector: FakeConnector) -> None:
    runtime = runtime_of(client)
    runtime.clock.set(STANDUP_TIME - timedelta(hours=1))  # type: ignore[attr-defined]
    await runtime.planner.plan()
    await at(client, STANDUP_TIME)

    runtime.clock.set(STANDUP_TIME + timedelta(minutes=10))  # type: ignore[attr-defined]
    [skipped] = await say(client, connector, privately(personal_message("standup skip customer workshop",
                                                                          connector.service_url), "sara"))  # fmt: skip
    assert "Skipped (customer workshop)" in text_of(skipped.cards[0])
    [away] = await say(
        client, connector, privately(personal_message("/ooo 3d dentist", connector.service_url), "giulia")
    )
    assert away.text.startswith("Away from 2026-12-01 to 2026-12-03 (dentist): no stand-up prompts in demo")

    connector.sent.clear()
    await at(client, STANDUP_TIME + timedelta(hours=1))  # reminders are due
    reminders = [s.conversation_id for s in connector.sent if s.text.startswith("Reminder: your stand-up")]
    assert reminders == ["a:chat-with-marco"]  # Sara skipped; Giulia is away; the others cannot be reached

    await at(client, datetime(2026, 12, 1, 17, 30, tzinfo=UTC))  # the last window (Elena's, New York) closes
    *_, final = [s for s in connector.updates if s.conversation_id == CHANNEL]
    shown = text_of(final.cards[0])
    assert "0 of 4 answered · final" in shown
    assert "Sara Romano: skipped — customer workshop" in shown and "Giulia Rossi: away — dentist" in shown
    assert "Did not answer: Marco Bianchi, Luca Ferrari, Paolo Colombo, Elena Ricci" in shown
    assert "I cannot reach Luca Ferrari, Paolo Colombo, Elena Ricci privately: say hi to the bot once" in shown

    [card] = await say(client, connector, in_demo_channel(channel_message("/standup summary", connector.service_url)))
    assert "0 of 4 answered · final" in text_of(card.cards[0])


@pytest.mark.parametrize(
    ("text", "by", "answer"),
    [
        ("/standup stats", "giulia", "`/standup stats` works in our personal chat"),
        ("/standup dance", "giulia", "I don't know `/standup dance`."),
        ("/standup summary someday", "giulia", "`someday` is not a date"),
        ("/ooo forever", "marco", "I don't understand `forever`"),
    ],
)
async def test_bad_stand_up_input_gets_a_short_answer(
    client: BotClient, connector: FakeConnector, text: str, by: str, answer: str
) -> None:
    [reply] = await say(client, connector, in_demo_channel(channel_message(text, connector.service_url), by=by))
    assert answer in reply.text


async def test_standup_in_the_channel_sends_the_prompt_privately_and_stats_answer_the_team_leader(
    client: BotClient, connector: FakeConnector
) -> None:
    runtime_of(client).clock.set(STANDUP_TIME + timedelta(minutes=1))  # type: ignore[attr-defined]
    [reply] = await say(
        client, connector, in_demo_channel(channel_message("/standup", connector.service_url), by="sara")
    )
    assert reply.text == "Sara Romano, I sent you the stand-up in our personal chat."
    connector.sent.clear()
    await runtime_of(client).relay.drain()
    [prompt] = cards_in(connector, "a:chat-with-sara")
    assert prompt.cards[0]["body"][0]["text"] == "Stand-up · demo · Tue 1 Dec"

    [stats] = await say(
        client, connector, privately(personal_message("standup stats 7d", connector.service_url), "giulia")
    )
    assert_valid_card(stats.cards[0])
    assert "Stand-up statistics · demo" in text_of(stats.cards[0])
    [refused] = await say(
        client, connector, privately(personal_message("standup stats", connector.service_url), "marco")
    )
    assert refused.text == "Only the Team Leader of demo sees stand-up statistics"


async def test_answering_the_card_after_the_window_counts_for_the_next_stand_up(
    client: BotClient, connector: FakeConnector
) -> None:
    runtime = runtime_of(client)
    runtime.clock.set(STANDUP_TIME - timedelta(hours=1))  # type: ignore[attr-defined]
    await runtime.planner.plan()
    await at(client, STANDUP_TIME)
    [prompt] = [card for s in cards_in(connector, "a:chat-with-marco") for card in s.cards]

    runtime.clock.set(datetime(2026, 12, 1, 18, 0, tzinfo=UTC))  # type: ignore[attr-defined]  # Tuesday evening
    send = prompt["actions"][0]
    answer = privately(card_action(send["verb"], connector.service_url, send["data"] | {
        "yesterday": "rotated the certificates", "today": "migrate the ingress", "blockers": ""}), "marco")  # fmt: skip
    answered = (await (await post_activity(client, answer)).json())["value"]
    assert answered["body"][1]["text"] == "The window had closed: this counts for Wed 2 Dec."
    assert answered["body"][0]["text"] == "Stand-up · demo · Wed 2 Dec"

    connector.sent.clear()
    await at(client, datetime(2026, 12, 2, 8, 30, tzinfo=UTC))  # Wednesday 09:30: Marco has answered already
    assert not cards_in(connector, "a:chat-with-marco")
    assert cards_in(connector, "a:chat-with-sara")
