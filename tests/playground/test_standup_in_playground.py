"""The daily stand-up in Microsoft's Teams emulator: the prompt arrives in the personal chat at the
stand-up time, the member answers on the card, and the summary card in General updates in place.

The real server runs with its relay, scheduler and timer tick; only the clock is ours, so the test
can move it to 09:30 in Rome on a Tuesday.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from adapters.runtime import RUNTIME, Runtime
from domain.clock import FixedClock
from tests.card_schema import assert_valid_card
from tests.playground.harness import GENERAL_CHANNEL_ID, Playground
from tests.support.circlebot_server import example_app, serving

pytestmark = pytest.mark.playground

CARD = "application/vnd.microsoft.card.adaptive"
BEFORE = datetime(2026, 12, 1, 8, 29, tzinfo=UTC)  # Tuesday, 09:29 in Rome
STANDUP = datetime(2026, 12, 1, 8, 30, tzinfo=UTC)


def cards_of(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [a["content"] for a in message.get("attachments") or [] if a.get("contentType") == CARD]


def texts_of(card: dict[str, Any]) -> str:
    return "\n".join(
        [e["text"] for e in card["body"] if e["type"] == "TextBlock"]
        + [f"{f['title']}: {f['value']}" for e in card["body"] if e["type"] == "FactSet" for f in e["facts"]]
    )


@pytest.fixture
async def bot(playground_needed: None, tmp_path: Path) -> AsyncIterator[tuple[str, Runtime]]:
    """circlebot as `make run` starts it (example circles applied), on a clock the test moves."""
    app = example_app(tmp_path, clock=FixedClock(BEFORE))
    async with serving(app) as url:
        yield url, app[RUNTIME]


@pytest.fixture
async def playground(bot: tuple[str, Runtime]) -> AsyncIterator[Playground]:
    async with Playground(f"{bot[0]}/api/messages") as running:
        yield running


async def test_the_prompt_arrives_at_stand_up_time_and_the_answer_updates_the_summary_in_general(
    playground: Playground, bot: tuple[str, Runtime]
) -> None:
    runtime = bot[1]
    clock = runtime.clock
    assert isinstance(clock, FixedClock)
    await playground.install_bot()  # the General channel's reference, for the summary card
    personal = (await playground.config())["personalChat"]["id"]
    # Alex Wilber (user-id-0) is Giulia, the example circle's Team Leader: she says hi to the bot once.
    await playground._checked(
        "POST",
        f"/_conversation/v1/conversations/{personal}/messages",
        {"from": {"id": "user-id-0"}, "text": "hi", "textFormat": "plain"},
    )
    await playground.wait_for_bot_messages(personal, 1, within=15)  # the bot answers hi
    await runtime.planner.plan()
    await asyncio.sleep(1)
    before = playground.bot_messages(personal)
    assert not [m for m in before if "Stand-up" in str(m)], "asked before 09:30"

    clock.set(STANDUP)
    messages = await playground.wait_for_bot_messages(personal, len(before) + 1, within=15)
    prompt_message = next(m for m in messages if cards_of(m) and "Stand-up · demo" in texts_of(cards_of(m)[0]))
    [prompt] = cards_of(prompt_message)
    assert_valid_card(prompt)
    assert texts_of(prompt).startswith("Stand-up · demo · Tue 1 Dec\nAnswers count for this stand-up until 12:30 CET.")
    # General also holds what was queued for it before the installation (the first plan's notices).
    summary_message = await playground.wait_for_bot_message(
        GENERAL_CHANNEL_ID, lambda m: bool(cards_of(m)) and texts_of(cards_of(m)[0]).startswith("Stand-up"), within=15
    )
    assert "0 of 6 answered" in texts_of(cards_of(summary_message)[0])

    clock.set(STANDUP + timedelta(minutes=4))
    send = prompt["actions"][0]
    answers = {"yesterday": "reviewed the rota", "today": "1:1s with the team", "blockers": "none"}
    status, body = await playground.invoke_action(
        personal, prompt_message["messageId"], send["data"] | answers, verb=send["verb"]
    )
    assert status == 200, body
    assert "Thanks, sent at 09:34 CET (Europe/Rome)" in texts_of(body["value"])

    clock.set(STANDUP + timedelta(minutes=4, seconds=6))  # the coalesced refresh falls due
    updated = await playground.wait_for_update(summary_message["messageId"], within=15)
    shown = texts_of(cards_of(updated)[0])
    assert "1 of 6 answered" in shown
    assert "Giulia Rossi: Yesterday: reviewed the rota · Today: 1:1s with the team" in shown
