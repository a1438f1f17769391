"""`/oncall` and `/handover` through /api/messages, with the example circle applied, as Teams users see them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from adapters.circles_file import load_circles
from adapters.runtime import RUNTIME
from domain.clock import FixedClock
from tests.conftest import START
from tests.support.activities import (
    CHANNEL_ID,
    TENANT_ID,
    card_action,
    channel_message,
    installed_in_team,
    personal_message,
)
from tests.support.bot_app import BotClient, bot_client, post_activity, runtime_of
from tests.support.fake_connector import FakeConnector

EXAMPLE = Path(__file__).resolve().parents[2] / "circles.example.yaml"
DEMO_CHANNEL = "team-id"  # the example circle's channel: the playground's General channel
NEXT_MONDAY = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)  # 09:00 in Rome: luca hands primary over to sara
PEOPLE = {"giulia": ("user-id-0", "Giulia Rossi"), "marco": ("user-id-1", "Marco Bianchi"),
          "luca": ("user-id-2", "Luca Ferrari"), "sara": ("user-id-3", "Sara Romano")}  # fmt: skip


def in_demo_channel(activity: dict[str, Any], *, by: str = "giulia") -> dict[str, Any]:
    """An activity from the playground's General channel (the example circle's), sent by `by`."""
    user_id, name = PEOPLE[by]
    activity["conversation"]["id"] = activity["conversation"]["id"].replace(CHANNEL_ID, DEMO_CHANNEL)
    data = activity["channelData"]
    data["teamsChannelId"] = data["teamsTeamId"] = DEMO_CHANNEL
    data["channel"], data["team"] = {"id": DEMO_CHANNEL}, {"id": DEMO_CHANNEL}
    if "settings" in data:
        data["settings"]["selectedChannel"] = {"id": DEMO_CHANNEL}
    activity["from"] = {"id": user_id, "name": name}
    return activity


def privately(activity: dict[str, Any], by: str) -> dict[str, Any]:
    """An activity in `by`'s 1:1 chat with the bot."""
    user_id, name = PEOPLE[by]
    activity["from"] = {"id": user_id, "name": name}
    activity["conversation"] = {"conversationType": "personal", "tenantId": TENANT_ID, "id": f"a:chat-with-{by}"}
    activity["channelData"] = {"tenant": {"id": TENANT_ID}}
    return activity


def mention(handle: str) -> tuple[str, dict[str, Any]]:
    user_id, name = PEOPLE[handle]
    return f"<at>{name}</at>", {
        "type": "mention",
        "text": f"<at>{name}</at>",
        "mentioned": {"id": user_id, "name": name},
    }


@pytest.fixture
async def client(tmp_path: Path, connector: FakeConnector) -> AsyncIterator[BotClient]:
    async with bot_client(f"sqlite:///{tmp_path / 'bot.db'}", clock=FixedClock(START)) as test_client:
        runtime = test_client.app[RUNTIME]
        async with runtime.uow() as uow:
            await uow.circles.apply(load_circles(EXAMPLE), runtime.clock.now())
            await uow.commit()
        await post_activity(test_client, in_demo_channel(installed_in_team(connector.service_url)))
        connector.sent.clear()  # the welcome card
        yield test_client


def facts(card: dict[str, Any]) -> dict[str, str]:
    return {f["title"]: f["value"] for e in card["body"] if e["type"] == "FactSet" for f in e["facts"]}


async def say_in_channel(client: BotClient, connector: FakeConnector, text: str, *, by: str = "giulia",
                         entities: list[dict[str, Any]] | None = None) -> list[str]:  # fmt: skip
    connector.sent.clear()
    activity = in_demo_channel(channel_message(text, connector.service_url), by=by)
    activity["entities"] = [*activity["entities"], *(entities or [])]
    response = await post_activity(client, activity)
    assert response.status == 200
    return connector.texts()


async def test_oncall_in_the_team_channel_names_the_example_circles_on_call(
    client: BotClient, connector: FakeConnector
) -> None:
    await say_in_channel(client, connector, "/oncall")

    [card] = connector.cards()
    assert card["body"][0]["text"] == "On call · demo"
    shown = facts(card)
    assert shown["Primary"] == "Luca Ferrari (+39 0000 000002) until Mon 30 Nov 09:00 CET (in 3d 5h)"
    assert shown["Next primary"] == "Sara Romano from Mon 30 Nov 09:00 CET"
    assert shown["Secondary"].startswith("Paolo Colombo (+39 0000 000004) until Mon 30 Nov 09:00 CET")
    assert shown["Next secondary"] == "Elena Ricci from Mon 30 Nov 09:00 CET"


async def test_oncall_schedule_shows_the_next_fourteen_days_by_default(
    client: BotClient, connector: FakeConnector
) -> None:
    await say_in_channel(client, connector, "oncall schedule")

    [card] = connector.cards()
    assert card["body"][1]["text"] == "Next 14 days, times in Europe/Rome"
    primary = card["body"][3]["facts"]
    assert [f["value"] for f in primary] == ["Luca Ferrari", "Sara Romano", "Marco Bianchi"]
    assert primary[0]["title"] == "Fri 27 Nov 04:00 CET → Mon 30 Nov 09:00 CET"


async def test_the_team_leader_overrides_with_a_mention_and_oncall_shows_it(
    client: BotClient, connector: FakeConnector
) -> None:
    tag, entity = mention("sara")

    replies = await say_in_channel(client, connector, f"oncall override {tag} 18:00 09:00 luca at a wedding",
                                   entities=[entity])  # fmt: skip

    assert replies == [
        "Override #1: Sara Romano is primary on call from Fri 27 Nov 18:00 CET to Sat 28 Nov 09:00 CET, "
        "instead of Luca Ferrari."
    ]
    runtime_of(client).clock.set(datetime(2026, 11, 27, 18, 30, tzinfo=UTC))  # type: ignore[attr-defined]
    await say_in_channel(client, connector, "oncall")
    assert facts(connector.cards()[0])["Primary"].startswith("Sara Romano (+39 0000 000003) until Sat 28 Nov 09:00 CET")
    await say_in_channel(client, connector, "oncall overrides")
    assert "luca at a wedding" in facts(connector.cards()[0])["#1"]


@pytest.mark.parametrize(
    ("text", "by", "answer"),
    [
        ("oncall override @sara soon later", "giulia", "`soon` is not a time; write it like"),
        ("oncall override @sara", "giulia", "Usage: `/oncall override @person \u2039from\u203a \u2039to\u203a"),
        ("oncall override @nobody 18:00 20:00", "giulia", "`@nobody` is not a member of demo"),
        ("oncall override @sara 18:00 20:00", "marco", "Only the Team Leader (Giulia Rossi) or the person being"),
        ("oncall schedule forever", "giulia", "`forever` is not a number of days from 1 to 60"),
        ("oncall whenever", "giulia", "I don't know `/oncall whenever`"),
    ],
)
async def test_bad_oncall_input_gets_a_short_answer_with_the_usage(
    client: BotClient, connector: FakeConnector, text: str, by: str, answer: str
) -> None:
    [reply] = await say_in_channel(client, connector, text, by=by)

    assert answer in reply


async def test_shift_change_handover_notes_and_acceptance_end_to_end(
    client: BotClient, connector: FakeConnector
) -> None:
    runtime = runtime_of(client)
    for person in ("luca", "sara"):  # each says hi once, so the bot can reach them privately
        await post_activity(client, privately(personal_message("hi", connector.service_url), person))
    await runtime.planner.plan()
    connector.sent.clear()

    runtime.clock.set(NEXT_MONDAY)  # type: ignore[attr-defined]
    await runtime.timers.tick()
    await runtime.relay.drain()

    to_luca = [s for s in connector.sent if s.conversation_id == "a:chat-with-luca"]
    to_sara = [s for s in connector.sent if s.conversation_id == "a:chat-with-sara"]
    [prompt] = [card for s in to_luca for card in s.cards]
    [handover] = [card for s in to_sara for card in s.cards]
    assert prompt["body"][0]["text"] == "Handover notes · demo · primary"
    assert handover["body"][0]["text"] == "Handover · demo · primary"
    assert facts(handover)["From"] == "Luca Ferrari"
    handover_id = handover["actions"][0]["data"]["handover"]

    notes = privately(card_action("handover.notes", connector.service_url,
                                  {"handover": handover_id, "notes": "db-2 disk at 85 %"}), "luca")  # fmt: skip
    body = await (await post_activity(client, notes)).json()
    assert body["value"]["body"][1]["text"] == "db-2 disk at 85 %"

    accept = privately(card_action("handover.accept", connector.service_url, {"handover": handover_id}), "sara")
    body = await (await post_activity(client, accept)).json()
    assert body["type"] == "application/vnd.microsoft.card.adaptive"
    assert body["value"]["body"][-1]["text"] == "✓ Accepted by Sara Romano at Mon 30 Nov 09:00 CET"
    assert "actions" not in body["value"]

    connector.sent.clear()
    await runtime.relay.drain()
    assert "Sara Romano accepted the primary on-call handover of demo." in connector.texts()
    runtime.clock.set(NEXT_MONDAY + timedelta(hours=2))  # type: ignore[attr-defined]
    await runtime.timers.tick()
    await runtime.relay.drain()
    assert not [t for t in connector.texts() if "has not accepted" in t and "Sara" in t]


async def test_handover_typed_by_the_outgoing_engineer_starts_it_early(
    client: BotClient, connector: FakeConnector
) -> None:
    replies = await say_in_channel(client, connector, "handover", by="luca")

    # Neither has ever chatted with the bot, so neither could be messaged: the answer says so and what to do.
    assert replies == [
        "Handover of demo primary to Sara Romano (shift from Mon 30 Nov 09:00 CET) started. "
        "I could not reach Luca Ferrari and Sara Romano: I can only message people who have chatted with me once. "
        "Ask them to say hi to me in a 1:1 chat, then type `/handover` again; the Team Leader is told."
    ]
    await say_in_channel(client, connector, "handover notes watch the db-2 disk", by="luca")
    assert connector.texts() == ["Notes passed to Sara Romano."]
    await say_in_channel(client, connector, "handover accept", by="luca")
    assert connector.texts() == ["You have no handover to accept; `/handover` starts the next one"]
